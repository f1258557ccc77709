// What `GET /api/events` streams (Server-Sent Events): a run started, a run finished, and each
// decision of a finished run, a trigger going up or down. One in-process bus; each SSE client
// subscribes for as long as it is connected.
import { EventEmitter } from 'node:events';

export type ServeEvent =
  | { type: 'run-started'; pair: string; trigger: string; dryRun: boolean; at: number }
  | {
      type: 'run-finished';
      pair: string;
      trigger: string;
      dryRun: boolean;
      runId?: number;
      status: string;
      counts: Record<string, number>;
      error?: string;
      at: number;
    }
  | { type: 'decision'; pair: string; runId?: number; key: string; title: string; action: string; reason: string }
  | { type: 'trigger'; provider: string; trigger: string; state: 'connecting' | 'up' | 'down'; reconnects: number; lastError?: string; at: number };

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every SSE client is a listener: the default warning at 10 would be noise, not a leak.
    this.emitter.setMaxListeners(0);
  }

  publish(event: ServeEvent): void {
    this.emitter.emit('event', event);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ServeEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
