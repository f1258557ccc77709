// One pair run for serve, through the same entry point as `playhead sync` (engine/run-all.ts:
// the same runs, decisions and journal tables, the same applyWrites), with its trigger kept on
// the run's row; then its events and metrics. A failed pair is an outcome, never a throw, so the
// scheduler goes on with the others.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { TypedDecision } from '../core/pipeline.ts';
import { runAll } from '../engine/run-all.ts';
import type { ScopedItem } from '../engine/run-pair.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './events.ts';
import type { RunRequest } from './scheduler.ts';

export interface RunOutcome {
  pair: string;
  trigger: string;
  dryRun: boolean;
  /** An item-scoped run's items. */
  items?: ScopedItem[];
  runId?: number;
  /** The run's status; `skipped` when the pair's progress feature is off (no run at all). */
  status: string;
  counts: Record<string, number>;
  writes: number;
  error?: string;
  decisions: TypedDecision[];
}

export interface RunnerOptions {
  config: Config;
  store: Store;
  log: Logger;
  events: EventBus;
  /** Aborted when serve stops: the run in progress finishes its writes in flight and closes as interrupted. */
  signal: AbortSignal;
  onOutcome: (outcome: RunOutcome) => void;
}

export function pairRunner(opts: RunnerOptions): (request: RunRequest) => Promise<RunOutcome> {
  return async (request) => {
    const { pair, trigger, dryRun, items } = request;
    const scope = items ? { items } : {};
    const lastIdBefore = opts.store.runs({ limit: 1 })[0]?.id ?? 0;
    opts.events.publish({ type: 'run-started', pair, trigger, dryRun, at: Date.now() });
    opts.log.info({ pair, trigger, dryRun, ...scope }, 'run started');
    let outcome: RunOutcome;
    try {
      const [result] = await runAll({
        config: opts.config,
        store: opts.store,
        log: opts.log,
        dryRun,
        pair,
        trigger,
        signal: opts.signal,
        ...scope,
      });
      if (!result) outcome = { pair, trigger, dryRun, ...scope, status: 'skipped', counts: {}, writes: 0, decisions: [] };
      else if (result.ok) {
        const r = result.result;
        outcome = {
          pair,
          trigger,
          dryRun,
          ...scope,
          ...(r.runId !== undefined ? { runId: r.runId } : {}),
          status: r.status,
          counts: r.counts,
          writes: r.stats.writes,
          decisions: r.decisions,
        };
      } else outcome = failed(opts.store, request, lastIdBefore, result.error);
    } catch (err) {
      outcome = failed(opts.store, request, lastIdBefore, err instanceof Error ? err : new Error(String(err)));
    }
    for (const d of outcome.decisions) {
      opts.events.publish({
        type: 'decision',
        pair,
        ...(outcome.runId !== undefined ? { runId: outcome.runId } : {}),
        key: d.key,
        title: d.title,
        action: d.action,
        reason: d.reason,
      });
    }
    const { decisions: _d, writes: _w, items: _i, ...finished } = outcome;
    opts.events.publish({ type: 'run-finished', ...finished, at: Date.now() });
    if (outcome.error) opts.log.warn({ pair, trigger, runId: outcome.runId, status: outcome.status, err: outcome.error }, 'run failed');
    else opts.log.info({ pair, trigger, runId: outcome.runId, status: outcome.status, counts: outcome.counts }, 'run finished');
    opts.onOutcome(outcome);
    return outcome;
  };
}

/** A pair that failed (or was interrupted): its run row, if the engine got as far as opening one, says which. */
function failed(store: Store, request: RunRequest, lastIdBefore: number, error: Error): RunOutcome {
  const row = request.dryRun ? undefined : store.runs({ pair: request.pair, limit: 1 })[0];
  const mine = row && row.id > lastIdBefore ? row : undefined;
  return {
    pair: request.pair,
    trigger: request.trigger,
    dryRun: request.dryRun,
    ...(mine ? { runId: mine.id } : {}),
    status: mine?.status ?? 'failed',
    counts: {},
    writes: 0,
    error: error.message,
    decisions: [],
  };
}
