// One run lifecycle for sync, two-way and undo: open the run (not for dry runs), let the body
// plan and apply, record its decisions and what else it keeps, and ALWAYS close the run — with
// its status and counts, or with the error that stopped it.
import type { TypedDecision } from '../core/pipeline.ts';
import { summarise } from '../core/decide.ts';
import type { Store } from '../store/store.ts';

export type RunStatus = 'ok' | 'partial' | 'failed';

export interface RunResult {
  runId?: number;
  pair: string;
  source: string;
  target: string;
  dryRun: boolean;
  status: RunStatus;
  counts: Record<string, number>;
  decisions: TypedDecision[];
  startedAt: number;
  finishedAt: number;
  /** Requests are counted by the emulators; the engine reports what it did. */
  stats: { read: number; resolved: number; writes: number };
  /** Writes sent again after a reply that went wrong and a re-read that showed they had not landed. */
  resent: number;
}

export type RunEvent = { phase: 'read'; seen: number; total: number | undefined } | { phase: 'write'; done: number; total: number };

export interface RunMeta {
  pair: string;
  source: string;
  target: string;
  dryRun: boolean;
}

/** What a run's body hands back: its decisions, and what else to record before the run closes. */
export interface RunBody {
  decisions: TypedDecision[];
  /** Called for real runs only, after the decisions are recorded and before the run is closed. */
  record?: (runId: number, finishedAt: number) => void;
}

export interface RunSummary {
  runId?: number;
  status: RunStatus;
  counts: Record<string, number>;
  /** Re-sends over all writes (each decision's `detail.resent`). */
  resent: number;
  decisions: TypedDecision[];
  startedAt: number;
  finishedAt: number;
}

/** How many re-sends the decisions record (see engine/apply.ts). */
function resentIn(decisions: TypedDecision[]): number {
  return decisions.reduce((sum, d) => {
    const resent = d.detail && 'resent' in d.detail ? d.detail.resent : undefined;
    return sum + (typeof resent === 'number' ? resent : 0);
  }, 0);
}

/**
 * Runs `body` as one run. A dry run leaves no trace anywhere: no run row, no decisions (the body
 * gets `runId: undefined` and must not write). A run with a failed item (an unknown outcome
 * included: its decision is `failed`) is `partial`.
 */
export async function withRun(store: Store, meta: RunMeta, now: () => number, body: (runId: number | undefined) => Promise<RunBody>): Promise<RunSummary> {
  const startedAt = now();
  const runId = meta.dryRun ? undefined : store.startRun({ ...meta, startedAt });
  try {
    const { decisions, record } = await body(runId);
    const counts = summarise(decisions);
    const status: RunStatus = (counts.failed ?? 0) > 0 ? 'partial' : 'ok';
    const finishedAt = now();
    if (runId !== undefined) {
      store.recordDecisions(runId, decisions);
      record?.(runId, finishedAt);
      store.finishRun(runId, { finishedAt, status, counts });
    }
    return { ...(runId !== undefined ? { runId } : {}), status, counts, resent: resentIn(decisions), decisions, startedAt, finishedAt };
  } catch (err) {
    if (runId !== undefined)
      store.finishRun(runId, { finishedAt: now(), status: 'failed', counts: {}, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
