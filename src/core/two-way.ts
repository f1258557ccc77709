// Two-way pairs: which side moved since the last run, and so which way an item is written.
// Newest *event* wins. Our own writes are recognised through the journal, never by timing, so a
// value we put on a side is never sent back (`same_origin`).
import type { PositionSnapshot, ProgressValue } from './model.ts';
import { materiallyEqual } from './policy.ts';

export type SideChange = 'changed' | 'unchanged' | 'echo' | 'absent' | 'dropped';

const samePosition = (a: PositionSnapshot, b: PositionSnapshot): boolean => materiallyEqual(a, b);

/**
 * How one side's current position relates to what we knew:
 * - `absent`: the side lists no position and never did (as far as we saw);
 * - `dropped`: it had one last run and lists none now (not re-added: the person may have
 *   removed it; clears between two-way sides are not inferred from absence);
 * - `echo`: it holds exactly the value we last wrote there ourselves;
 * - `unchanged`: same position and time as we observed last run;
 * - `changed`: new to us, or moved (position or time).
 */
export function sideChange(current: PositionSnapshot | undefined, observed: PositionSnapshot | undefined, ourLastWrite: ProgressValue | undefined): SideChange {
  const has = (p: PositionSnapshot | undefined) => !!p && ((p.progressMs ?? 0) > 0 || (p.progressPct ?? 0) > 0);
  if (!has(current) || !current) return has(observed) ? 'dropped' : 'absent';
  if (ourLastWrite && ourLastWrite.progressMs > 0 && samePosition(current, ourLastWrite)) return 'echo';
  if (!observed) return 'changed';
  const sameTime = (current.progressAt ?? 0) === (observed.progressAt ?? 0);
  return samePosition(current, observed) && sameTime ? 'unchanged' : 'changed';
}

export type Direction = 'a_to_b' | 'b_to_a' | 'none';

export interface DirectionChoice {
  direction: Direction;
  /** Both sides moved: the newer won, the other side's value is lost (reported). */
  conflict?: { loser: 'a' | 'b' };
  /** Why, for the decision detail. */
  why: string;
}

/**
 * Which way to write, from both sides' changes. One side moved → from it. Both moved → the newer
 * event wins (times as the servers report them, with `toleranceMs` for clock skew); within the
 * tolerance the further position wins. Neither moved → nothing to do.
 */
export function chooseDirection(
  a: { change: SideChange; position?: PositionSnapshot },
  b: { change: SideChange; position?: PositionSnapshot },
  toleranceMs: number,
): DirectionChoice {
  const aMoved = a.change === 'changed';
  const bMoved = b.change === 'changed';
  if (aMoved && !bMoved) return { direction: 'a_to_b', why: b.change === 'echo' ? 'only A moved (B holds our last write)' : 'only A moved' };
  if (bMoved && !aMoved) return { direction: 'b_to_a', why: a.change === 'echo' ? 'only B moved (A holds our last write)' : 'only B moved' };
  if (!aMoved && !bMoved) {
    // One side holds a position the other never had (a new pair, or a write that failed before).
    const present = (c: SideChange) => c === 'unchanged' || c === 'echo';
    if (present(a.change) && b.change === 'absent') return { direction: 'a_to_b', why: 'B does not have it yet' };
    if (present(b.change) && a.change === 'absent') return { direction: 'b_to_a', why: 'A does not have it yet' };
    return { direction: 'none', why: a.change === 'dropped' || b.change === 'dropped' ? 'one side dropped it: not re-added' : 'neither side moved' };
  }
  const at = (p?: PositionSnapshot) => p?.progressAt ?? 0;
  const tolerance = Math.max(0, toleranceMs);
  if (at(a.position) > at(b.position) + tolerance) return { direction: 'a_to_b', conflict: { loser: 'b' }, why: 'both moved; A is newer' };
  if (at(b.position) > at(a.position) + tolerance) return { direction: 'b_to_a', conflict: { loser: 'a' }, why: 'both moved; B is newer' };
  // Within the clock tolerance: the further position wins (nobody loses progress).
  const pos = (p?: PositionSnapshot) => p?.progressPct ?? (p?.progressMs !== undefined && p.durationMs ? (p.progressMs * 100) / p.durationMs : (p?.progressMs ?? 0));
  return pos(b.position) > pos(a.position)
    ? { direction: 'b_to_a', conflict: { loser: 'a' }, why: 'both moved at the same time; B is further' }
    : { direction: 'a_to_b', conflict: { loser: 'b' }, why: 'both moved at the same time; A is further' };
}
