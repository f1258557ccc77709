// The only code that changes anything on a provider (write, clear, mark watched, un-watch first).
// Sync, two-way and undo all write through `applyWrites`: journal the prior value before the
// request → change → confirm by one batched re-read → record the outcome. A write whose reply went
// wrong is never re-sent blind: the target is re-read first. One item's failure never stops the rest.
import pLimit from 'p-limit';
import type { JournalValue, ProgressValue, TargetState } from '../core/model.ts';
import { decided, type DecisionFor, type PlannedWrite, type TypedDecision } from '../core/pipeline.ts';
import { crossesWatchedPoint, holdsJournalled } from '../core/position.ts';
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
  /** Told of each confirmed write with the state the re-read that confirmed it showed. */
  onConfirmed?: ((write: PlannedWrite, state: TargetState) => void) | undefined;
}

/** What the journal records as the value of a clear, and of a finish that marked the item watched. */
const CLEARED: ProgressValue = { progressMs: 0 };
const MARKED_WATCHED: JournalValue = { progressMs: 0, watched: true };

/** Re-sends of one write after ambiguous failures that a re-read proved had not landed. */
const MAX_RESENDS = 2;

/**
 * How one write went out. `sent`: the server answered OK (the batched re-read confirms it).
 * After an ambiguous failure (the request was sent, the reply went wrong) the target is re-read:
 * `confirmed` when the value is there, else it is sent again (at most MAX_RESENDS times); `failed`
 * when the server refused it, or when it was still absent after the last re-send; `unknown` when
 * the re-read failed too.
 */
type Sent =
  | { outcome: 'sent'; resent: number }
  | { outcome: 'confirmed'; resent: number; state: TargetState }
  | { outcome: 'failed'; resent: number; error: unknown }
  | { outcome: 'unknown'; resent: number; error: string };

/**
 * Applies planned writes to one target and returns each write's final decision, by key:
 * confirmed (`detail.confirmed`), `failed` (with `detail.error`, and `detail.unknown` when it may
 * have landed), or `unresolved` when the target answers that it does not know the item. Every
 * journal row ends `confirmed`, `failed` (proved not applied) or `unknown`.
 *
 * Order and concurrency come from the target's capabilities: oldest source time first, so a
 * target that stamps "now" on every write (Plex, Trakt) shows the most recent item first in
 * Continue Watching; for those, one write at a time keeps that order exact. Targets that store
 * our time (`setsProgressTime`: Jellyfin, Emby) take up to `maxConcurrentWrites` at once.
 */
export async function applyWrites(target: Provider, writes: PlannedWrite[], ctx: ApplyContext): Promise<Map<string, TypedDecision>> {
  const { store, now } = ctx;
  const outcomes = new Map<string, TypedDecision>();
  const ordered = belowWatchedPoint(target, writes, outcomes).sort((a, b) => a.orderAt - b.orderAt);
  const limit = pLimit(target.capabilities.setsProgressTime ? target.capabilities.maxConcurrentWrites : 1);
  const journalIds = new Map<string, number>();
  const resends = new Map<string, number>();
  let done = 0;
  await Promise.all(
    ordered.map((w) =>
      limit(async () => {
        if (ctx.signal?.aborted) return;
        const journalId = store.journalIntent({ runId: ctx.runId, ref: w.ref, key: w.key, previous: w.previous, value: journalled(w), at: now() });
        const sent = await sendSettled(target, w);
        if (sent.resent > 0) resends.set(w.key, sent.resent);
        const resent = sent.resent > 0 ? { resent: sent.resent } : {};
        if (sent.outcome === 'sent') journalIds.set(w.key, journalId);
        else if (sent.outcome === 'confirmed') {
          store.journalOutcome(journalId, { status: 'confirmed', at: now() });
          outcomes.set(w.key, confirmed(w, resent));
          ctx.onConfirmed?.(w, sent.state);
        } else if (sent.outcome === 'unknown') {
          store.journalOutcome(journalId, { status: 'unknown', error: sent.error, at: now() });
          outcomes.set(w.key, failed(w.decision, sent.error, { unknown: true, ...resent }));
        } else {
          const message = sent.error instanceof Error ? sent.error.message : String(sent.error);
          store.journalOutcome(journalId, { status: 'failed', error: message, at: now() });
          // A target that answers "no such item" (Trakt names items by ids and only then says it
          // does not know one) leaves the item unresolved, not failed: it may appear later.
          const unknownItem = sent.error instanceof ProviderError && sent.error.kind === 'not_found';
          outcomes.set(
            w.key,
            unknownItem
              ? decided(w.decision, 'skip', 'unresolved', { unresolved: `${target.id} does not know this item`, error: message, ...resent })
              : failed(w.decision, message, resent),
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
    // The server took the writes, but we cannot see that they hold: not confirmed, so not "ok".
    const error = `outcome unknown: the write was answered, but the re-read to confirm it failed (${errorText(err)})`;
    for (const w of changed) {
      store.journalOutcome(journalIds.get(w.key) as number, { status: 'unknown', error, at: now() });
      outcomes.set(w.key, failed(w.decision, error, { unknown: true, ...resentOf(resends, w.key) }));
    }
    return outcomes;
  }
  for (const w of changed) {
    const journalId = journalIds.get(w.key) as number;
    const state = after.get(w.ref.id);
    if (state && took(state, w, target)) {
      store.journalOutcome(journalId, { status: 'confirmed', at: now() });
      outcomes.set(w.key, confirmed(w, resentOf(resends, w.key)));
      ctx.onConfirmed?.(w, state);
    } else {
      const held = state?.progressMs ?? (state?.progressPct !== undefined ? `${state.progressPct}%` : undefined);
      const now_ = state ? `position ${held ?? 'none'}${state.watched ? ', watched' : ''}` : 'item missing';
      // The server accepted the write and holds something else: it may have applied it and moved
      // on (someone played, a watched point tripped). Undo re-reads before touching it.
      const error = `not confirmed: after ${describe(w)} the server reports ${now_}`;
      store.journalOutcome(journalId, { status: 'unknown', error, at: now() });
      outcomes.set(w.key, failed(w.decision, error, { unknown: true, ...resentOf(resends, w.key) }));
    }
  }
  return outcomes;
}

/**
 * The invariant every write passes, whoever planned it (sync, two-way, undo): a position that
 * would land at or past the target's watched point (`crossesWatchedPoint`, in the target's own
 * runtime) is never sent. Such a write fails here, before its journal row, saying why; the rest
 * are returned to be applied.
 */
function belowWatchedPoint(target: Provider, writes: PlannedWrite[], outcomes: Map<string, TypedDecision>): PlannedWrite[] {
  const { completionPercent, units } = target.capabilities;
  return writes.filter((w) => {
    if (w.change.kind !== 'write' || !crossesWatchedPoint(w.change.value, w.targetDurationMs, completionPercent, units)) return true;
    const runtime = w.targetDurationMs !== undefined ? `of its ${w.targetDurationMs} ms runtime` : 'of an unknown runtime';
    const at = units === 'pct' ? `${w.change.value.progressPct ?? '?'}%` : `${w.change.value.progressMs} ms ${runtime}`;
    outcomes.set(w.key, failed(w.decision, `not sent: ${at} could reach ${target.id}'s ${completionPercent}% watched point and mark the item watched`));
    return false;
  });
}

/** Sends one change; after an ambiguous failure, settles it by re-reading (see `Sent`). */
async function sendSettled(target: Provider, w: PlannedWrite): Promise<Sent> {
  const steps = changeSteps(target, w);
  // A re-send starts at the step that went wrong: a step the server answered is not repeated
  // (marking watched twice would count a second play).
  let step = 0;
  for (let resent = 0; ; resent++) {
    try {
      for (; step < steps.length; step++) await (steps[step] as () => Promise<void>)();
      return { outcome: 'sent', resent };
    } catch (err) {
      if (!(err instanceof ProviderError && err.ambiguous)) return { outcome: 'failed', resent, error: err };
      let state: TargetState | undefined;
      try {
        state = (await target.targetState([w.ref], { playing: false })).get(w.ref.id);
      } catch (readErr) {
        return { outcome: 'unknown', resent, error: `outcome unknown: ${err.message}, and the re-read failed too (${errorText(readErr)})` };
      }
      if (state !== undefined && took(state, w, target)) return { outcome: 'confirmed', resent, state };
      if (resent >= MAX_RESENDS) {
        const tries = resent === 0 ? '' : ` after ${resent} re-send${resent === 1 ? '' : 's'}`;
        return { outcome: 'failed', resent, error: new Error(`${err.message}; a re-read shows it did not land${tries}`) };
      }
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function resentOf(resends: Map<string, number>, key: string): { resent?: number } {
  const n = resends.get(key);
  return n ? { resent: n } : {};
}

function confirmed(w: PlannedWrite, extra: { resent?: number }): TypedDecision {
  return { ...w.decision, detail: { ...w.decision.detail, confirmed: true, ref: w.ref.id, ...extra } } as TypedDecision;
}

/** One change on the target, as the requests it takes, in order. Marking watched resets a
 * position (Plex and Jellyfin alike), so it goes before a write and after a clear; un-watching
 * (undo of a finish) goes first, before the position is put back. */
function changeSteps(target: Provider, w: PlannedWrite): (() => Promise<void>)[] {
  const c = w.change;
  const markWatched = async () => {
    if (!target.markWatched) throw new ProviderError('config', target.id, `${target.id}: cannot mark items watched`);
    await target.markWatched(w.ref);
  };
  if (c.kind === 'mark_watched') return [markWatched];
  const unwatch =
    c.unwatchSince === undefined
      ? []
      : [
          async () => {
            if (!target.markUnwatched) throw new ProviderError('config', target.id, `${target.id}: cannot mark items unwatched`);
            await target.markUnwatched(w.ref, c.unwatchSince);
          },
        ];
  if (c.kind === 'clear') {
    const clear = async () => {
      if (!target.clear) throw new ProviderError('config', target.id, `${target.id}: cannot clear positions`);
      await target.clear(w.ref);
    };
    return [...unwatch, clear, ...(c.markWatched ? [markWatched] : [])];
  }
  const write = () => target.write(w.ref, c.value, { unwatchFirst: c.unwatchFirst });
  return [...unwatch, ...(c.markWatched ? [markWatched] : []), write];
}

/** The value a write is journalled with (crash recovery and undo compare the target with it). */
function journalled(w: PlannedWrite): JournalValue {
  if (w.change.kind === 'mark_watched') return MARKED_WATCHED;
  return w.change.kind === 'clear' ? CLEARED : w.change.value;
}

/** Whether the re-read shows the change: the position (or its absence), and the watched state expected. */
function took(state: TargetState, w: PlannedWrite, target: Provider): boolean {
  // A mark_watched is journalled watched, so holdsJournalled checks the flag (or, on a target that
  // logs plays instead, the position gone); `expectWatched` is for the other changes.
  return holdsJournalled(state, journalled(w), target.capabilities) && (w.expectWatched === undefined || state.watched === w.expectWatched);
}

function describe(w: PlannedWrite): string {
  if (w.decision.reason === 'restore') return 'the restore';
  if (w.change.kind === 'mark_watched') return 'marking it watched';
  return w.change.kind === 'clear' ? 'the clear' : `writing ${w.change.value.progressMs} ms`;
}

/** A planned change that did not go through (or may not have) keeps what it was about, plus the error. */
function failed(decision: TypedDecision, error: string, extra: { unknown?: true; resent?: number } = {}): DecisionFor<'failed'> {
  return { ...decision, reason: 'failed', detail: { ...decision.detail, error, ...extra } } as DecisionFor<'failed'>;
}
