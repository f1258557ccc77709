// Clears (`remove: true`): when may a position be removed from a target? Only on an explicit
// signal from the source — never because an item is missing from a list (a failed or partial
// read looks exactly like that).
import type { ItemIdentity, PositionSnapshot, TargetState } from './model.ts';
import { decided, type PlannedItem } from './pipeline.ts';
import { displayTitle } from './decide.ts';
import { hasPosition, positionOf } from './position.ts';

/** Below this many items we do not judge a shrink; above it, losing half the list is suspect. */
const SHRINK_MIN_PREVIOUS = 20;
const SHRINK_RATIO = 0.5;

/**
 * The explicit signal: the item we last saw with a position now reports none, is not watched
 * (finishing is watched-state sync's business), and its time moved past the time we saw.
 */
export function isExplicitClear(seen: PositionSnapshot, now: PositionSnapshot): boolean {
  return (
    hasPosition(seen) &&
    !hasPosition(now) &&
    now.watched !== true &&
    now.progressAt !== undefined &&
    seen.progressAt !== undefined &&
    now.progressAt > seen.progressAt
  );
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
export function planClear(input: ClearInput): PlannedItem {
  const { target, source } = input;
  const base = { key: input.key, title: displayTitle(input.item), type: input.item.type, source };
  if (!target) return { decision: decided(base, 'skip', 'unresolved', { unresolved: 'not found on the target' }) };
  const withTarget = { ...base, target: positionOf({ ...target, playCount: undefined }) };
  if (!hasPosition(target)) return { decision: decided(withTarget, 'skip', 'unchanged', { clear: 'the target has no position either' }) };
  if (target.playingNow) return { decision: decided(withTarget, 'skip', 'playing_now', { ref: target.ref.id }) };
  const clearedAt = source.progressAt ?? 0;
  if (target.progressAt !== undefined && target.progressAt > clearedAt + Math.max(0, input.toleranceMs)) {
    return {
      decision: decided(withTarget, 'skip', 'target_newer', {
        sourceAt: clearedAt,
        targetAt: target.progressAt,
        aheadMs: target.progressAt - clearedAt,
        toleranceMs: input.toleranceMs,
      }),
    };
  }
  const decision = decided(withTarget, 'clear', 'clear', { clearedAt });
  return { decision, write: { key: input.key, ref: target.ref, change: { kind: 'clear' }, previous: withTarget.target, orderAt: clearedAt, decision } };
}
