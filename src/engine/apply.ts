// The only code that changes anything on a provider (write, clear, mark watched, un-watch first).
// Sync, two-way and undo all write through `applyWrites`: journal the prior value before the
// request → change → confirm by one batched re-read → record the outcome. One item's failure
// never stops the rest.
import pLimit from 'p-limit';
import type { NativeRef, ProgressValue, TargetState } from '../core/model.ts';
import { decided, type DecisionFor, type PlannedWrite, type TypedDecision } from '../core/pipeline.ts';
import { hasPosition, holdsValue } from '../core/position.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import type { RunEvent } from './run.ts';

export interface ApplyContext {
  store: Store;
  runId: number;
  now: () => number;
  onEvent?: ((event: RunEvent) => void) | undefined;
  /** Once aborted (SIGINT/SIGTERM), no further write starts; those in flight finish and are journalled. */
  signal?: AbortSignal | undefined;
}

/** What the journal records as the value of a clear. */
const CLEARED: ProgressValue = { progressMs: 0 };

/**
 * Applies planned writes to one target and returns each write's final decision, by key:
 * confirmed (`detail.confirmed`), `failed` (with `detail.error`), or `unresolved` when the
 * target answers that it does not know the item.
 *
 * Order and concurrency come from the target's capabilities: oldest source time first, so a
 * target that stamps "now" on every write (Plex, Trakt) shows the most recent item first in
 * Continue Watching; for those, one write at a time keeps that order exact. Targets that store
 * our time (`setsProgressTime`: Jellyfin, Emby) take up to `maxConcurrentWrites` at once.
 */
export async function applyWrites(target: Provider, writes: PlannedWrite[], ctx: ApplyContext): Promise<Map<string, TypedDecision>> {
  const { store, now } = ctx;
  const outcomes = new Map<string, TypedDecision>();
  const ordered = [...writes].sort((a, b) => a.orderAt - b.orderAt);
  const limit = pLimit(target.capabilities.setsProgressTime ? target.capabilities.maxConcurrentWrites : 1);
  const journalIds = new Map<string, number>();
  let done = 0;
  await Promise.all(
    ordered.map((w) =>
      limit(async () => {
        if (ctx.signal?.aborted) return;
        const value = w.change.kind === 'clear' ? CLEARED : w.change.value;
        const journalId = store.journalIntent({ runId: ctx.runId, ref: w.ref, key: w.key, previous: w.previous, value, at: now() });
        try {
          await change(target, w);
          journalIds.set(w.key, journalId);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          store.journalOutcome(journalId, { status: 'failed', error: message, at: now() });
          // A target that answers "no such item" (Trakt names items by ids and only then says it
          // does not know one) leaves the item unresolved, not failed: it may appear later.
          const unknown = err instanceof ProviderError && err.kind === 'not_found';
          outcomes.set(
            w.key,
            unknown
              ? decided(w.decision, 'skip', 'unresolved', { unresolved: `${target.id} does not know this item`, error: message })
              : failed(w.decision, message),
          );
        }
        ctx.onEvent?.({ phase: 'write', done: ++done, total: ordered.length });
      }),
    ),
  );

  // Confirm what the server now holds, in one batched read.
  const changed = ordered.filter((w) => journalIds.has(w.key));
  if (changed.length === 0) return outcomes;
  let after: Map<string, TargetState>;
  try {
    after = await target.targetState(
      changed.map((w) => w.ref),
      { playing: false },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const w of changed)
      store.journalOutcome(journalIds.get(w.key) as number, { status: 'unconfirmed', error: `could not re-read: ${message}`, at: now() });
    return outcomes;
  }
  for (const w of changed) {
    const journalId = journalIds.get(w.key) as number;
    const state = after.get(w.ref.id);
    if (state && took(state, w)) {
      store.journalOutcome(journalId, { status: 'confirmed', at: now() });
      outcomes.set(w.key, { ...w.decision, detail: { ...w.decision.detail, confirmed: true, ref: w.ref.id } } as TypedDecision);
    } else {
      const held = state?.progressMs ?? (state?.progressPct !== undefined ? `${state.progressPct}%` : undefined);
      const now_ = state ? `position ${held ?? 'none'}${state.watched ? ', watched' : ''}` : 'item missing';
      const error = `not confirmed: after ${describe(w)} the server reports ${now_}`;
      store.journalOutcome(journalId, { status: 'unconfirmed', error, at: now() });
      outcomes.set(w.key, failed(w.decision, error));
    }
  }
  return outcomes;
}

/** One change on the target. Marking watched resets a position (Plex and Jellyfin alike), so it
 * goes before a write and after a clear. */
async function change(target: Provider, w: PlannedWrite): Promise<void> {
  const c = w.change;
  const markWatched = async (ref: NativeRef) => {
    if (!target.markWatched) throw new ProviderError('config', target.id, `${target.id}: cannot mark items watched`);
    await target.markWatched(ref);
  };
  if (c.kind === 'clear') {
    if (!target.clear) throw new ProviderError('config', target.id, `${target.id}: cannot clear positions`);
    await target.clear(w.ref);
    if (c.markWatched) await markWatched(w.ref);
    return;
  }
  if (c.markWatched) await markWatched(w.ref);
  await target.write(w.ref, c.value, { unwatchFirst: c.unwatchFirst });
}

/** Whether the re-read shows the change: the position (or its absence), and the watched state expected. */
function took(state: TargetState, w: PlannedWrite): boolean {
  const position = w.change.kind === 'clear' ? !hasPosition(state) : holdsValue(state, w.change.value);
  return position && (w.expectWatched === undefined || state.watched === w.expectWatched);
}

function describe(w: PlannedWrite): string {
  if (w.decision.reason === 'restore') return 'the restore';
  return w.change.kind === 'clear' ? 'the clear' : `writing ${w.change.value.progressMs} ms`;
}

/** A planned change that did not go through keeps what it was about, plus the error. */
function failed(decision: TypedDecision, error: string): DecisionFor<'failed'> {
  return { ...decision, reason: 'failed', detail: { ...decision.detail, error } } as DecisionFor<'failed'>;
}
