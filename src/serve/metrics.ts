// `GET /metrics` (Prometheus text format, prom-client). A registry of our own, not prom-client's
// global one, so two serves in one process (tests) do not share counts; plus Node's defaults
// (memory, event loop lag) because a long-running process is watched for those too.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { REQUEST_CHANNEL, type RequestObservation } from '../providers/http.ts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunOutcome } from './runner.ts';

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({
    name: 'playhead_runs_total',
    help: 'Pair runs by pair, trigger and final status (ok, partial, failed, interrupted); dry runs included',
    labelNames: ['pair', 'trigger', 'status', 'dry_run'] as const,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'playhead_decisions_total',
    help: 'Decisions of real (not dry) runs, by pair and reason',
    labelNames: ['pair', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly writes = new Counter({
    name: 'playhead_writes_total',
    help: 'Writes sent to targets by real runs, by pair',
    labelNames: ['pair'] as const,
    registers: [this.registry],
  });

  private readonly requests = new Counter({
    name: 'playhead_provider_requests_total',
    help: 'HTTP requests to providers, each attempt counted (retries too), by provider, method and status (`error`: no complete reply)',
    labelNames: ['provider', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'playhead_provider_request_duration_seconds',
    help: 'Time from sending a request to a provider to the end of its reply (or its failure), by provider and method',
    labelNames: ['provider', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  // Providers publish their requests on a diagnostics channel (src/providers/http.ts) so they need
  // not know serve exists; this listens until serve stops.
  private readonly onRequest = (message: unknown): void => {
    const r = message as RequestObservation;
    this.requests.inc({ provider: r.provider, method: r.method, status: String(r.status) });
    this.latency.observe({ provider: r.provider, method: r.method }, r.durationMs / 1000);
  };

  private readonly eventToWrite = new Histogram({
    name: 'playhead_event_to_write_seconds',
    help: "From a trigger's first event about an item to its write confirmed on the target, by pair and trigger",
    labelNames: ['pair', 'trigger'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly triggerUp = new Gauge({
    name: 'playhead_trigger_up',
    help: 'Whether a trigger is connected (1) or not (0: connecting, down), by provider and trigger',
    labelNames: ['provider', 'trigger'] as const,
    registers: [this.registry],
  });
  private readonly triggerReconnects = new Gauge({
    name: 'playhead_trigger_reconnects',
    help: 'Reconnects of a trigger since serve started',
    labelNames: ['provider', 'trigger'] as const,
    registers: [this.registry],
  });

  constructor(opts: { signal?: AbortSignal } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'playhead_process_' });
    subscribe(REQUEST_CHANNEL, this.onRequest);
    opts.signal?.addEventListener('abort', () => unsubscribe(REQUEST_CHANNEL, this.onRequest), { once: true });
  }

  eventWritten(pair: string, trigger: string, seconds: number): void {
    this.eventToWrite.observe({ pair, trigger }, seconds);
  }

  trigger(provider: string, trigger: string, up: boolean, reconnects: number): void {
    this.triggerUp.set({ provider, trigger }, up ? 1 : 0);
    this.triggerReconnects.set({ provider, trigger }, reconnects);
  }

  record(outcome: RunOutcome): void {
    const dryRun = String(outcome.dryRun);
    this.runs.inc({ pair: outcome.pair, trigger: outcome.trigger, status: outcome.status, dry_run: dryRun });
    if (outcome.dryRun) return;
    for (const [reason, n] of Object.entries(outcome.counts)) this.decisions.inc({ pair: outcome.pair, reason }, n);
    if (outcome.writes > 0) this.writes.inc({ pair: outcome.pair }, outcome.writes);
  }
}
