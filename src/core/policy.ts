// The write policy: the planner said a position is worth writing; may we write it to this target
// now? Checked against the target's live state, read just before writing.
import { isNum, materiallyEqual } from './position.ts';
import type { PositionSnapshot, TargetState } from './model.ts';
import type { DetailOf } from './pipeline.ts';

export interface PolicyInput {
  source: PositionSnapshot;
  target: TargetState;
  /** Two-way: the target has not moved since the last run, so its time says nothing about who is
   * newer (and a skewed server clock must not block a real change). `target_newer` is skipped. */
  targetStill?: boolean;
  /** The source value came from this same target (an echo of our own earlier write). */
  sameOrigin: boolean;
  /** Clock slack between servers when comparing times; negative counts as 0. */
  toleranceMs: number;
  /** The pair allows un-watching a watched target to give it a resume position. */
  replay: boolean;
}

type PolicySkipReason = 'playing_now' | 'same_origin' | 'missing_source_time' | 'target_newer' | 'already_watched' | 'unchanged';
export type PolicyResult =
  | { action: 'write'; unwatchFirst: boolean }
  | { [R in PolicySkipReason]: { action: 'skip'; reason: R; detail: DetailOf<R> } }[PolicySkipReason];

/**
 * Decides whether to write, first match wins:
 *
 * 1. `playing_now` — someone is playing the item on the target; a write would make the player
 *    jump. Nothing overrides this.
 * 2. `same_origin` — the value is an echo of this target's own position.
 * 3. `missing_source_time` — the source did not say when its position was recorded, so we
 *    cannot tell which side is newer.
 * 4. `target_newer` — the target's position was recorded more than `toleranceMs` after the
 *    source's (exactly `toleranceMs` later is not newer). Also when the target has no time at all
 *    but holds a larger position than the source: without times we never move a target back.
 *    Skipped when replaying a watched target (the write is deliberate then).
 * 5. `already_watched` — the target has the item as watched and replay is off.
 * 6. `unchanged` — the target already holds the same value (see `materiallyEqual`); skipped when
 *    replaying a watched target, whose position will be reset by the un-watch.
 * 7. write; `unwatchFirst` when the target is watched and replay is on.
 */
export function decideWrite(input: PolicyInput): PolicyResult {
  const { source, target, sameOrigin, replay } = input;
  const toleranceMs = Math.max(0, input.toleranceMs);

  if (target.playingNow) return skip('playing_now', { ref: target.ref.id });
  if (sameOrigin) return skip('same_origin', {});
  const sourceAt = source.progressAt;
  if (!isNum(sourceAt)) return skip('missing_source_time', {});

  const replayWatched = target.watched && replay;
  if (!replayWatched && input.targetStill !== true) {
    const targetAt = target.progressAt;
    if (isNum(targetAt)) {
      if (targetAt > sourceAt + toleranceMs) {
        return skip('target_newer', { sourceAt, targetAt, aheadMs: targetAt - sourceAt, toleranceMs });
      }
    } else if (isNum(source.progressMs) && isNum(target.progressMs) && target.progressMs > source.progressMs) {
      return skip('target_newer', {
        reason: 'target ahead without a time',
        sourceMs: source.progressMs,
        targetMs: target.progressMs,
      });
    }
  }

  if (target.watched && !replay) return skip('already_watched', { playCount: target.playCount });

  if (!replayWatched && materiallyEqual(source, target)) {
    return skip('unchanged', {
      ...(isNum(source.progressMs) ? { sourceMs: source.progressMs } : {}),
      ...(isNum(target.progressMs) ? { targetMs: target.progressMs } : {}),
    });
  }

  return { action: 'write', unwatchFirst: replayWatched };
}

function skip<R extends PolicySkipReason>(reason: R, detail: DetailOf<R>): PolicyResult {
  return { action: 'skip', reason, detail } as PolicyResult;
}
