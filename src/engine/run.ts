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
  /** Aborted by SIGINT/SIGTERM (its reason is the signal's name): the applier starts no more writes and the run closes as `interrupted`. */
  signal?: AbortSignal | undefined;
  /** What started the run when not the command line (`schedule`, `api`): kept on its row. */
  trigger?: string | undefined;
}

/** A run stopped by a signal after finishing the writes it had started; its journal is complete. */
class RunInterruptedError extends Error {
  /** What the run row keeps as its error (its status says `interrupted`). */
  readonly stored: string;
  constructor(signalName: string, runId: number | undefined) {
    const stored = `stopped by ${signalName} after finishing the writes in flight`;
    super(runId !== undefined ? `${stored}: run #${runId} closed as interrupted; \`playhead undo ${runId}\` puts back what it wrote` : stored);
    this.stored = stored;
  }
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
 * included: its decision is `failed`) is `partial`; a run whose signal was aborted is
 * `interrupted` (its decisions are not recorded: the journal says what it wrote).
 */
export async function withRun(store: Store, meta: RunMeta, now: () => number, body: (runId: number | undefined) => Promise<RunBody>): Promise<RunSummary> {
  const startedAt = now();
  const runId = meta.dryRun
    ? undefined
    : store.startRun({ pair: meta.pair, source: meta.source, target: meta.target, dryRun: meta.dryRun, trigger: meta.trigger, startedAt });
  try {
    const { decisions, record } = await body(runId);
    if (meta.signal?.aborted) throw new RunInterruptedError(String(meta.signal.reason), runId);
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
    const error = meta.signal?.aborted ? new RunInterruptedError(String(meta.signal.reason), runId) : err;
    if (runId !== undefined) {
      const stopped = error instanceof RunInterruptedError;
      const message = stopped ? error.stored : error instanceof Error ? error.message : String(error);
      store.finishRun(runId, { finishedAt: now(), status: stopped ? 'interrupted' : 'failed', counts: {}, error: message });
    }
    throw error;
  }
}
