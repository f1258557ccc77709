// What `GET /api/events` streams (Server-Sent Events): a run started, a run finished, and each
// decision of a finished run, a trigger going up or down. One in-process bus; each SSE client
// subscribes for as long as it is connected.
import { EventEmitter } from 'node:events';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

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

/**
 * Streams the bus to one client as Server-Sent Events until it disconnects or `signal` aborts
 * (serve stopping). `/api/events` and the dashboard's `/live` answer with it.
 */
export function streamEvents(c: Context, events: EventBus, signal: AbortSignal): Response {
  return streamSSE(c, async (stream) => {
    let id = 0;
    const queue: Promise<void>[] = [];
    const unsubscribe = events.subscribe((event) => {
      queue.push(stream.writeSSE({ event: event.type, data: JSON.stringify(event), id: String(++id) }));
    });
    // A comment first, so a client knows it is subscribed before anything happens.
    await stream.write(': subscribed\n\n');
    await new Promise<void>((resolve) => {
      stream.onAbort(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    unsubscribe();
    await Promise.allSettled(queue);
  });
}
