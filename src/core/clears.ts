// Clears (`remove: true`): when may a position be removed from a target? Only on an explicit
// signal from the source — never because an item is missing from a list (a failed or partial
// read looks exactly like that).
import type { Decision, ItemIdentity, PositionSnapshot, TargetState } from './model.ts';
import { displayTitle } from './decide.ts';
import { hasPosition, positionOf } from './position.ts';

/** Below this many items we do not judge a shrink; above it, losing half the list is suspect. */
export const SHRINK_MIN_PREVIOUS = 20;
export const SHRINK_RATIO = 0.5;


/**
 * The explicit signal: the item we last saw with a position now reports none, is not watched
 * (finishing is watched-state sync's business), and its time moved past the time we saw.
 */
export function isExplicitClear(seen: PositionSnapshot, now: PositionSnapshot): boolean {
  return hasPosition(seen) && !hasPosition(now) && now.watched !== true && now.progressAt !== undefined && seen.progressAt !== undefined && now.progressAt > seen.progressAt;
}

/** A source list that lost half its items since the last run is not trusted to signal clears. */
export function suspiciousShrink(previousCount: number, currentCount: number): boolean {
  return previousCount >= SHRINK_MIN_PREVIOUS && currentCount < previousCount * SHRINK_RATIO;
}

export interface ClearInput {
  key: string;
  item: ItemIdentity;
  /** The source now: no position, and the time it was cleared. */
  source: PositionSnapshot;
  target: TargetState | undefined;
  toleranceMs: number;
}

/**
 * One decision per signalled item, first match wins: `unresolved` (not on the target),
 * `unchanged` (the target has no position either), `playing_now`, `target_newer` (the target
 * was played after the source cleared it, beyond the tolerance), else `clear`.
 */
export function decideClear(input: ClearInput): Decision {
  const { target, source } = input;
  const base = { key: input.key, title: displayTitle(input.item), type: input.item.type, source };
  if (!target) return { ...base, action: 'skip', reason: 'unresolved', detail: { unresolved: 'not found on the target' } };
  const withTarget = { ...base, target: positionOf({ ...target, playCount: undefined }) };
  if (!hasPosition(target)) return { ...withTarget, action: 'skip', reason: 'unchanged', detail: { clear: 'the target has no position either' } };
  if (target.playingNow) return { ...withTarget, action: 'skip', reason: 'playing_now', detail: { ref: target.ref.id } };
  const clearedAt = source.progressAt ?? 0;
  if (target.progressAt !== undefined && target.progressAt > clearedAt + Math.max(0, input.toleranceMs)) {
    return { ...withTarget, action: 'skip', reason: 'target_newer', detail: { sourceAt: clearedAt, targetAt: target.progressAt, aheadMs: target.progressAt - clearedAt, toleranceMs: input.toleranceMs } };
  }
  return { ...withTarget, action: 'clear', reason: 'clear', detail: { clearedAt } };
}
