// Finished items (the pair's `finish`): the source says its user finished an item that the target
// still holds as in progress, so the target leaves Continue Watching. Only an explicit signal
// counts: a record marked watched WITH a watched time. An item missing from a listing, a listing
// that shrank or a read that failed never reach this rule, so they never finish anything.
import type { FinishMode } from './pair.ts';
import type { ProgressRecord, TargetState } from './model.ts';
import { decided, type PlannedItem } from './pipeline.ts';
import { hasPosition, isNum, positionOf } from './position.ts';
import { displayTitle } from './decide.ts';

export interface FinishInput {
  /** Canonical key the decision is recorded under. */
  key: string;
  /** The source's finished record (`listFinished`/`readFinished`). */
  source: ProgressRecord;
  /** The target's live state; undefined when the item is not on the target. */
  target: TargetState | undefined;
  mode: Exclude<FinishMode, 'off'>;
  /** Clock slack between the servers (the pair's `timestamp_tolerance_seconds`); negative is 0. */
  toleranceMs: number;
  /** The target can mark items watched (`capabilities.watchedState`) or log a play (`logsPlays`: Trakt). */
  targetMarksWatched: boolean;
  /** The target can remove a position (`capabilities.clear`). */
  targetClears: boolean;
  /** When the source holds a resume position again for this item (its listing), that position's
   * time: an item resumed at or after its finish is in progress again, not finished. */
  sourceResumedAt?: number;
}

/**
 * Decides a finish, or nothing (`undefined`):
 * 1. nothing without an explicit signal (watched, with a watched time), without the item on the
 *    target, when the target holds no position (it is not in Continue Watching), or when the
 *    source has resumed the item since the finish;
 * 2. `playing_now` when the target plays it right now;
 * 3. `finished_skip` when the target was played more than the tolerance after the finish
 *    (exactly the tolerance later is not later, as for `target_newer`);
 * 4. `finished`: marked watched (`mark_watched` on a target that keeps a watched flag), else
 *    its position cleared; nothing when the target can do neither.
 */
export function planFinish(input: FinishInput): PlannedItem | undefined {
  const { source, target } = input;
  const finishedAt = source.watchedAt;
  if (source.watched !== true || !isNum(finishedAt) || target === undefined || !hasPosition(target)) return undefined;
  if (isNum(input.sourceResumedAt) && input.sourceResumedAt >= finishedAt) return undefined;
  const base = { key: input.key, title: displayTitle(source), type: source.type, source: positionOf(source), target: positionOf(target) };
  if (target.playingNow) return { decision: decided(base, 'skip', 'playing_now', { ref: target.ref.id }) };
  const toleranceMs = Math.max(0, input.toleranceMs);
  const targetAt = target.progressAt;
  if (isNum(targetAt) && targetAt > finishedAt + toleranceMs) {
    return { decision: decided(base, 'skip', 'finished_skip', { finishedAt, targetAt, aheadMs: targetAt - finishedAt, toleranceMs }) };
  }
  const mode = input.mode === 'mark_watched' && input.targetMarksWatched ? 'mark_watched' : input.targetClears ? 'clear' : undefined;
  if (mode === undefined) return undefined;
  const decision = decided(base, mode, 'finished', { mode, finishedAt, ...(isNum(targetAt) ? { targetAt } : {}) });
  return {
    decision,
    write: {
      key: input.key,
      ref: target.ref,
      change: { kind: mode },
      previous: base.target,
      orderAt: finishedAt,
      ...(target.durationMs !== undefined ? { targetDurationMs: target.durationMs } : {}),
      // No `expectWatched`: the journalled mark_watched is confirmed by holdsJournalled, which
      // reads the watched flag where there is one, and only the position's absence on a target
      // that logs plays (Trakt never reports an item watched, so expecting it failed every finish).
      decision,
    },
  };
}
