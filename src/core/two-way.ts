// Two-way pairs: which side moved since the last run, and so which way an item is written.
// Newest *event* wins. Our own writes are recognised through the journal, never by timing, so a
// value we put on a side is never sent back (`same_origin`).
import type { PositionSnapshot, ProgressRecord, ProgressValue } from './model.ts';
import type { ProgressSettings } from './pair.ts';
import { displayTitle } from './decide.ts';
import { decided, type SourceItem, type TypedDecision } from './pipeline.ts';
import { compareProgress, hasPosition, materiallyEqual, positionOf, secondsToMs } from './position.ts';

type SideChange = 'changed' | 'unchanged' | 'echo' | 'absent' | 'dropped';

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
function sideChange(current: PositionSnapshot | undefined, observed: PositionSnapshot | undefined, ourLastWrite: ProgressValue | undefined): SideChange {
  if (!current || !hasPosition(current)) return observed && hasPosition(observed) ? 'dropped' : 'absent';
  if (ourLastWrite && ourLastWrite.progressMs > 0 && samePosition(current, ourLastWrite)) return 'echo';
  if (!observed) return 'changed';
  const sameTime = (current.progressAt ?? 0) === (observed.progressAt ?? 0);
  return samePosition(current, observed) && sameTime ? 'unchanged' : 'changed';
}

type Direction = 'a_to_b' | 'b_to_a' | 'none';

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
  // Within the clock tolerance: the further position wins (nobody loses progress), compared
  // like with like (see compareProgress); positions that cannot be compared tie, and a tie goes to A.
  return compareProgress(b.position ?? {}, a.position ?? {}) > 0
    ? { direction: 'b_to_a', conflict: { loser: 'a' }, why: 'both moved at the same time; B is further' }
    : { direction: 'a_to_b', conflict: { loser: 'b' }, why: 'both moved at the same time; A is further' };
}

/** What we know of one side from earlier runs, by key (an item's alias key included). */
export interface SideMemory {
  /** The position we observed last run. */
  observed: Map<string, PositionSnapshot>;
  /** The value we last wrote there ourselves, confirmed. */
  lastWrite: Map<string, ProgressValue>;
}

/** The other side still holds a position (both sides dropping it leaves nothing to clear). */
const stillHas = (c: SideChange): boolean => c === 'unchanged' || c === 'echo';

/** An item one side dropped while the other still has it: ask the dropping side whether it was cleared. */
export interface DroppedItem {
  key: string;
  /** The side that dropped it. */
  from: 'a' | 'b';
  /** The other side's item. */
  present: SourceItem;
}

export interface TwoWayPlan {
  /** Items to write to B (from A), and to A (from B). */
  toB: SourceItem[];
  toA: SourceItem[];
  /** Items with nothing to write, and why (from A's point of view). */
  skips: TypedDecision[];
  /** Both sides moved: the losing side's value, reported. */
  conflicts: TypedDecision[];
  dropped: DroppedItem[];
}

const snap = (r: ProgressRecord | undefined): PositionSnapshot | undefined => (r ? positionOf({ ...r, playCount: undefined }) : undefined);

/**
 * Per item of a two-way pair: which side moved since the last run (`sideChange`), and so which way
 * it is written (`chooseDirection`). An item written to a side that did not move carries
 * `targetStill` (its time says nothing about who is newer). With `remove: true`, items one side
 * dropped while the other has them are returned to be asked about; otherwise they are not re-added.
 */
export function planTwoWay(input: {
  a: { id: string; items: Map<string, SourceItem>; memory: SideMemory };
  b: { id: string; items: Map<string, SourceItem>; memory: SideMemory };
  settings: ProgressSettings;
}): TwoWayPlan {
  const { a, b, settings } = input;
  const plan: TwoWayPlan = { toB: [], toA: [], skips: [], conflicts: [], dropped: [] };
  for (const key of new Set([...a.items.keys(), ...b.items.keys()])) {
    const ai = a.items.get(key);
    const bi = b.items.get(key);
    const aNow = snap(ai?.record);
    const bNow = snap(bi?.record);
    // A joined item may still be on record under the key it had before it was joined.
    const keys = bi?.aliasKey ? [key, bi.aliasKey] : [key];
    const first = <T>(m: Map<string, T>) => keys.map((k) => m.get(k)).find((v) => v !== undefined);
    const change = (memory: SideMemory, now: PositionSnapshot | undefined) => sideChange(now, first(memory.observed), first(memory.lastWrite));
    const aChange = change(a.memory, aNow);
    const bChange = change(b.memory, bNow);
    const choice = chooseDirection(
      { change: aChange, ...(aNow ? { position: aNow } : {}) },
      { change: bChange, ...(bNow ? { position: bNow } : {}) },
      secondsToMs(settings.toleranceSeconds),
    );
    const record = (ai ?? bi)?.record;
    if (!record) continue;
    const still = (c: SideChange) => c === 'unchanged' || c === 'echo' || c === 'absent';
    if (choice.direction === 'a_to_b' && ai) plan.toB.push(still(bChange) ? { ...ai, targetStill: true } : ai);
    else if (choice.direction === 'b_to_a' && bi) plan.toA.push(still(aChange) ? { ...bi, targetStill: true } : bi);
    else if (settings.remove && aChange === 'dropped' && bi && stillHas(bChange)) plan.dropped.push({ key, from: 'a', present: bi });
    else if (settings.remove && bChange === 'dropped' && ai && stillHas(aChange)) plan.dropped.push({ key, from: 'b', present: ai });
    else {
      // Nothing to write: say why, from A's point of view.
      const echo = aChange === 'echo' || bChange === 'echo';
      const base = { key, title: displayTitle(record), type: record.type, source: aNow ?? {}, ...(bNow ? { target: bNow } : {}) };
      plan.skips.push(decided(base, 'skip', echo ? 'same_origin' : 'unchanged', { twoWay: choice.why, a: aChange, b: bChange }));
    }
    if (choice.conflict) {
      const [loser, winner] = choice.conflict.loser === 'a' ? [aNow, bNow] : [bNow, aNow];
      const [lost, won] = choice.conflict.loser === 'a' ? [a.id, b.id] : [b.id, a.id];
      const base = { key: `${key}#conflict`, title: displayTitle(record), type: record.type, source: loser ?? {}, ...(winner ? { target: winner } : {}) };
      plan.conflicts.push(decided(base, 'skip', 'conflict_lost', { lost, won, why: choice.why }));
    }
  }
  return plan;
}

/**
 * A dropped item the dropping side did not clear explicitly (or whose other side cannot clear):
 * not re-added, and said so.
 */
export function droppedWithoutClear(d: DroppedItem, sideId: string): TypedDecision {
  const item = d.present;
  const base = { key: d.key, title: displayTitle(item.record), type: item.record.type, source: snap(item.record) ?? {} };
  return decided(base, 'skip', 'unchanged', { twoWay: `${sideId} dropped it without an explicit clear: not re-added` });
}
