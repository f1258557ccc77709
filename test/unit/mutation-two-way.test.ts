// The two-way rule pinned case by case: which side moved (echo, dropped, absent, unchanged,
// changed), which way an item is written, the clock-skew tolerance and the tie-break.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseDirection, droppedWithoutClear, planTwoWay, type SideMemory } from '../../src/core/two-way.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import type { PositionSnapshot, ProgressRecord, ProgressValue } from '../../src/core/model.ts';
import type { SourceItem } from '../../src/core/pipeline.ts';

const AT = Date.UTC(2026, 7, 4, 12);
const DUR = 6_000_000;
const KEY = 'imdb:tt1';
const TOL = 30_000;

type Change = 'changed' | 'unchanged' | 'echo' | 'absent' | 'dropped';
const side = (change: Change, position?: PositionSnapshot) => ({ change, ...(position ? { position } : {}) });
const at = (progressMs: number, progressAt: number): PositionSnapshot => ({ progressMs, durationMs: DUR, progressAt });

describe('chooseDirection: one side moved', () => {
  const others: Change[] = ['unchanged', 'echo', 'absent', 'dropped'];
  for (const other of others) {
    const why = other === 'echo' ? ' (B holds our last write)' : '';
    it(`A changed, B ${other}: A → B, no conflict`, () => {
      // B's time is far newer and B is further: neither counts when B did not move.
      const choice = chooseDirection(side('changed', at(600_000, AT)), side(other, at(3_000_000, AT + 86_400_000)), TOL);
      assert.deepEqual(choice, { direction: 'a_to_b', why: `only A moved${why}` });
    });
    it(`B changed, A ${other}: B → A, no conflict`, () => {
      const choice = chooseDirection(side(other, at(3_000_000, AT + 86_400_000)), side('changed', at(600_000, AT)), TOL);
      assert.deepEqual(choice, { direction: 'b_to_a', why: `only B moved${other === 'echo' ? ' (A holds our last write)' : ''}` });
    });
  }
});

describe('chooseDirection: neither side moved', () => {
  const table: [Change, Change, string, string][] = [
    ['unchanged', 'absent', 'a_to_b', 'B does not have it yet'],
    ['echo', 'absent', 'a_to_b', 'B does not have it yet'],
    ['absent', 'unchanged', 'b_to_a', 'A does not have it yet'],
    ['absent', 'echo', 'b_to_a', 'A does not have it yet'],
    ['absent', 'absent', 'none', 'neither side moved'],
    ['unchanged', 'unchanged', 'none', 'neither side moved'],
    ['unchanged', 'echo', 'none', 'neither side moved'],
    ['echo', 'unchanged', 'none', 'neither side moved'],
    ['echo', 'echo', 'none', 'neither side moved'],
    ['dropped', 'unchanged', 'none', 'one side dropped it: not re-added'],
    ['unchanged', 'dropped', 'none', 'one side dropped it: not re-added'],
    ['dropped', 'echo', 'none', 'one side dropped it: not re-added'],
    ['echo', 'dropped', 'none', 'one side dropped it: not re-added'],
    ['dropped', 'absent', 'none', 'one side dropped it: not re-added'],
    ['absent', 'dropped', 'none', 'one side dropped it: not re-added'],
    ['dropped', 'dropped', 'none', 'one side dropped it: not re-added'],
  ];
  for (const [a, b, direction, why] of table) {
    it(`A ${a}, B ${b}: ${direction}`, () => {
      const choice = chooseDirection(
        side(a, a === 'absent' || a === 'dropped' ? undefined : at(600_000, AT)),
        side(b, b === 'absent' || b === 'dropped' ? undefined : at(600_000, AT)),
        TOL,
      );
      assert.deepEqual(choice, { direction, why });
    });
  }
});

describe('chooseDirection: both moved, the clock tolerance', () => {
  // In every row the OTHER side is further, so a tie-break outcome differs from a "newer" outcome.
  const table: { name: string; aAt: number; bAt: number; tol: number; direction: string; why: string }[] = [
    { name: 'A newer by one ms past the tolerance', aAt: AT + TOL + 1, bAt: AT, tol: TOL, direction: 'a_to_b', why: 'both moved; A is newer' },
    {
      name: 'A newer by exactly the tolerance: a tie',
      aAt: AT + TOL,
      bAt: AT,
      tol: TOL,
      direction: 'b_to_a',
      why: 'both moved at the same time; B is further',
    },
    {
      name: 'A newer well within the tolerance: a tie',
      aAt: AT + 1_000,
      bAt: AT,
      tol: TOL,
      direction: 'b_to_a',
      why: 'both moved at the same time; B is further',
    },
    { name: 'B newer by one ms past the tolerance', aAt: AT, bAt: AT + TOL + 1, tol: TOL, direction: 'b_to_a', why: 'both moved; B is newer' },
    {
      name: 'B newer by exactly the tolerance: a tie',
      aAt: AT,
      bAt: AT + TOL,
      tol: TOL,
      direction: 'a_to_b',
      why: 'both moved at the same time; A is further',
    },
    {
      name: 'B newer well within the tolerance: a tie',
      aAt: AT,
      bAt: AT + 1_000,
      tol: TOL,
      direction: 'a_to_b',
      why: 'both moved at the same time; A is further',
    },
    { name: 'zero tolerance: one ms newer wins (A)', aAt: AT + 1, bAt: AT, tol: 0, direction: 'a_to_b', why: 'both moved; A is newer' },
    { name: 'zero tolerance: one ms newer wins (B)', aAt: AT, bAt: AT + 1, tol: 0, direction: 'b_to_a', why: 'both moved; B is newer' },
    {
      name: 'negative tolerance counts as zero: equal times tie (B further)',
      aAt: AT,
      bAt: AT,
      tol: -60_000,
      direction: 'b_to_a',
      why: 'both moved at the same time; B is further',
    },
    {
      name: 'negative tolerance counts as zero: equal times tie (A further)',
      aAt: AT,
      bAt: AT,
      tol: -60_000,
      direction: 'a_to_b',
      why: 'both moved at the same time; A is further',
    },
    { name: 'negative tolerance counts as zero: A newer by 1 ms wins', aAt: AT + 1, bAt: AT, tol: -60_000, direction: 'a_to_b', why: 'both moved; A is newer' },
    { name: 'negative tolerance counts as zero: B newer by 1 ms wins', aAt: AT, bAt: AT + 1, tol: -60_000, direction: 'b_to_a', why: 'both moved; B is newer' },
  ];
  for (const row of table) {
    it(row.name, () => {
      // The newer side (or, in a tie, the side expected to lose) is behind.
      const aFurther = row.why.endsWith('A is further') || row.why.endsWith('B is newer');
      const a = at(aFurther ? 3_000_000 : 600_000, row.aAt);
      const b = at(aFurther ? 600_000 : 3_000_000, row.bAt);
      const choice = chooseDirection(side('changed', a), side('changed', b), row.tol);
      const loser = row.direction === 'a_to_b' ? 'b' : 'a';
      assert.deepEqual(choice, { direction: row.direction, conflict: { loser }, why: row.why });
    });
  }
  it('equal times and equal positions: a tie, and a tie goes to A', () => {
    const choice = chooseDirection(side('changed', at(1_200_000, AT)), side('changed', at(1_200_000, AT)), TOL);
    assert.deepEqual(choice, { direction: 'a_to_b', conflict: { loser: 'b' }, why: 'both moved at the same time; A is further' });
  });
  it('a side without a time counts as time 0 (so any timed side beyond the tolerance is newer)', () => {
    const untimed: PositionSnapshot = { progressMs: 3_000_000, durationMs: DUR };
    assert.equal(chooseDirection(side('changed', untimed), side('changed', at(600_000, TOL + 1)), TOL).direction, 'b_to_a');
    assert.equal(chooseDirection(side('changed', at(600_000, TOL + 1)), side('changed', untimed), TOL).direction, 'a_to_b');
    // Within the tolerance of time 0: the further (untimed) side wins.
    assert.equal(chooseDirection(side('changed', untimed), side('changed', at(600_000, TOL)), TOL).direction, 'a_to_b');
    assert.equal(chooseDirection(side('changed', at(600_000, TOL)), side('changed', untimed), TOL).direction, 'b_to_a');
  });
  it('a moved side without any position counts as time 0, and its position cannot be compared (a tie, to A)', () => {
    assert.equal(chooseDirection(side('changed'), side('changed', at(600_000, TOL + 1)), TOL).direction, 'b_to_a');
    assert.equal(chooseDirection(side('changed', at(600_000, TOL + 1)), side('changed'), TOL).direction, 'a_to_b');
    const tie = { direction: 'a_to_b', conflict: { loser: 'b' }, why: 'both moved at the same time; A is further' };
    assert.deepEqual(chooseDirection(side('changed'), side('changed', at(600_000, 0)), TOL), tie);
    assert.deepEqual(chooseDirection(side('changed', at(600_000, 0)), side('changed'), TOL), tie);
    assert.deepEqual(chooseDirection(side('changed'), side('changed'), TOL), tie);
  });
});

describe('chooseDirection laws (fast-check)', () => {
  const time = fc.integer({ min: 0, max: 10 * 86_400_000 });
  const pos = fc.integer({ min: 1, max: DUR });
  const tol = fc.integer({ min: -120_000, max: 120_000 });
  const mirror = { a_to_b: 'b_to_a', b_to_a: 'a_to_b', none: 'none' } as const;

  it('never regress past a newer event: beyond the tolerance the newer side wins, whatever the positions', () => {
    fc.assert(
      fc.property(time, time, pos, pos, tol, (ta, tb, pa, pb, t) => {
        const choice = chooseDirection(side('changed', at(pa, ta)), side('changed', at(pb, tb)), t);
        const slack = Math.max(0, t);
        if (ta > tb + slack) return choice.direction === 'a_to_b' && choice.conflict?.loser === 'b';
        if (tb > ta + slack) return choice.direction === 'b_to_a' && choice.conflict?.loser === 'a';
        // Within the tolerance: the further side wins, the nearer one loses (ties to A).
        return choice.direction === (pb > pa ? 'b_to_a' : 'a_to_b');
      }),
    );
  });
  it('the tolerance is symmetric: swapping A and B mirrors the choice (except an exact tie, which goes to A)', () => {
    fc.assert(
      fc.property(time, time, pos, pos, tol, (ta, tb, pa, pb, t) => {
        const ab = chooseDirection(side('changed', at(pa, ta)), side('changed', at(pb, tb)), t);
        const ba = chooseDirection(side('changed', at(pb, tb)), side('changed', at(pa, ta)), t);
        const exactTie = Math.abs(ta - tb) <= Math.max(0, t) && pa === pb;
        return exactTie ? ab.direction === 'a_to_b' && ba.direction === 'a_to_b' : ba.direction === mirror[ab.direction];
      }),
    );
  });
  it('an echo of our own write never moves anything: against a side that has (or had) it, the echo is never written from', () => {
    // (Against an absent side the echo is copied over: that side never had it, see the table above.)
    const changes = fc.constantFrom<Change>('changed', 'unchanged', 'echo', 'dropped');
    fc.assert(
      fc.property(changes, time, time, pos, pos, tol, (other, ta, tb, pa, pb, t) => {
        const echoA = chooseDirection(side('echo', at(pa, ta)), side(other, at(pb, tb)), t);
        const echoB = chooseDirection(side(other, at(pa, ta)), side('echo', at(pb, tb)), t);
        return echoA.direction !== 'a_to_b' && echoB.direction !== 'b_to_a' && echoA.conflict === undefined && echoB.conflict === undefined;
      }),
    );
  });
});

// ---- planTwoWay ----------------------------------------------------------------------------

function record(s: 'a' | 'b', over: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    type: 'movie',
    ids: { imdb: 'tt1' },
    title: 'Heat',
    ref: { provider: s, server: s, id: `${s}1` },
    progressMs: 1_200_000,
    durationMs: DUR,
    progressAt: AT,
    watched: false,
    ...over,
  };
}
const item = (s: 'a' | 'b', over: Partial<ProgressRecord> = {}): SourceItem => ({ key: KEY, record: record(s, over), resolution: 'resolved' });
const items = (i?: SourceItem) => new Map(i ? [[i.key, i]] : []);
function memory(observed?: PositionSnapshot, lastWrite?: ProgressValue, key = KEY): SideMemory {
  return { observed: new Map(observed ? [[key, observed]] : []), lastWrite: new Map(lastWrite ? [[key, lastWrite]] : []) };
}
const plan = (a: SourceItem | undefined, b: SourceItem | undefined, am = memory(), bm = memory(), settings: ProgressSettings = DEFAULT_PROGRESS_SETTINGS) =>
  planTwoWay({ a: { id: 'plex', items: items(a), memory: am }, b: { id: 'jelly', items: items(b), memory: bm }, settings });
const withRemove = { ...DEFAULT_PROGRESS_SETTINGS, remove: true };

const SEEN = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
const SEEN_AT = (progressAt: number) => ({ ...SEEN, progressAt });
/** The two side changes planTwoWay saw, from a plan that wrote nothing. */
const changes = (p: ReturnType<typeof plan>) => {
  const d = p.skips[0]?.detail as { a?: string; b?: string } | undefined;
  return [d?.a, d?.b];
};

describe('planTwoWay: how each side changed', () => {
  it('unchanged: same position and same time as observed', () => {
    assert.deepEqual(changes(plan(item('a'), item('b'), memory(SEEN), memory(SEEN))), ['unchanged', 'unchanged']);
  });
  it('unchanged within the material tolerance of the position (0.1 percentage points)', () => {
    const p = plan(item('a', { progressMs: 1_205_000 }), item('b'), memory(SEEN), memory(SEEN));
    assert.deepEqual(changes(p), ['unchanged', 'unchanged']);
  });
  it('unchanged when neither now nor then has a time', () => {
    const untimed = { progressMs: 1_200_000, durationMs: DUR };
    const p = plan(item('a', { progressAt: undefined }), item('b', { progressAt: undefined }), memory(untimed), memory(untimed));
    assert.deepEqual(changes(p), ['unchanged', 'unchanged']);
  });
  it('changed: same position, another time (A re-played the same spot)', () => {
    const p = plan(item('a', { progressAt: AT + 1 }), item('b'), memory(SEEN), memory(SEEN));
    assert.equal(p.toB.length, 1);
    assert.equal(p.toB[0]?.targetStill, true);
  });
  it('changed: a time where there was none, or none where there was one', () => {
    const untimed = { progressMs: 1_200_000, durationMs: DUR };
    assert.equal(plan(item('a'), item('b', { progressAt: undefined }), memory(untimed), memory(SEEN)).toB.length, 1);
    assert.equal(plan(item('a', { progressAt: undefined }), item('b'), memory(SEEN), memory(SEEN)).toB.length, 1);
  });
  it('changed: another position at the same time', () => {
    const p = plan(item('a'), item('b', { progressMs: 3_000_000 }), memory(SEEN), memory(SEEN));
    assert.equal(p.toA.length, 1);
    assert.equal(p.toA[0]?.record.progressMs, 3_000_000);
  });
  it('changed: never observed before (and not our write)', () => {
    const p = plan(item('a'), item('b'), memory(), memory(SEEN));
    assert.equal(p.toB.length, 1, 'A is new to us, B unchanged: A is written');
  });
  it('echo: the side holds the value we last wrote, whatever we observed', () => {
    const wrote = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
    // Observed elsewhere (or never): still an echo, never a move.
    for (const observed of [undefined, SEEN_AT(AT - 86_400_000), { progressMs: 300_000, durationMs: DUR, progressAt: AT }]) {
      const p = plan(item('a'), item('b'), memory(SEEN), memory(observed, wrote));
      assert.deepEqual([p.toA.length, p.toB.length], [0, 0]);
      assert.equal(p.skips[0]?.reason, 'same_origin');
      assert.deepEqual(changes(p), ['unchanged', 'echo']);
    }
  });
  it('echo on A too: said so from A', () => {
    const p = plan(item('a'), item('b'), memory(undefined, SEEN), memory(SEEN));
    assert.equal(p.skips[0]?.reason, 'same_origin');
    assert.deepEqual(changes(p), ['echo', 'unchanged']);
  });
  it('no echo when the side moved away from our write', () => {
    const p = plan(item('a'), item('b', { progressMs: 3_000_000, progressAt: AT + 60_000 }), memory(SEEN), memory(SEEN, SEEN));
    assert.equal(p.toA.length, 1);
  });
  it('a zero written (a clear) is not a value to echo: a small position near it is a move', () => {
    const p = plan(item('a'), item('b', { progressMs: 500, durationMs: undefined }), memory(SEEN), memory(undefined, { progressMs: 0 }));
    assert.equal(p.toA.length, 1);
    assert.equal(p.toA[0]?.record.progressMs, 500);
  });
  it('absent: no item, or an item without a position, never seen with one', () => {
    for (const b of [undefined, item('b', { progressMs: 0 }), item('b', { progressMs: undefined, progressPct: 0 })]) {
      const p = plan(item('a'), b, memory(SEEN), memory());
      assert.equal(p.toB.length, 1, 'B does not have it yet');
      assert.equal(p.toB[0]?.targetStill, true);
    }
    // Seen before without a position: still absent, not dropped.
    const p = plan(item('a'), undefined, memory(SEEN), memory({ progressMs: 0, durationMs: DUR, progressAt: AT }));
    assert.equal(p.toB.length, 1);
  });
  it('a percent-only position counts as a position', () => {
    const p = plan(item('a'), item('b', { progressMs: undefined, durationMs: undefined, progressPct: 40 }), memory(SEEN), memory());
    assert.equal(p.toA.length, 1, 'B is new (changed), A unchanged');
  });
  it('dropped: seen with a position, none now (no item, or a zero position)', () => {
    for (const b of [undefined, item('b', { progressMs: 0 })]) {
      const p = plan(item('a'), b, memory(SEEN), memory(SEEN));
      assert.deepEqual([p.toA.length, p.toB.length, p.dropped.length], [0, 0, 0]);
      assert.deepEqual(changes(p), ['unchanged', 'dropped']);
    }
  });
});

describe('planTwoWay: writes', () => {
  it('a written item is the side item itself; targetStill only when the target did not move', () => {
    const a = item('a', { progressMs: 3_000_000, progressAt: AT + 60_000 });
    const still = plan(a, item('b'), memory(SEEN), memory(SEEN));
    assert.deepEqual(still.toB, [{ ...a, targetStill: true }]);
    assert.deepEqual([still.toA, still.skips, still.conflicts, still.dropped], [[], [], [], []]);
  });
  it('to A from B, targetStill when A held our write (echo)', () => {
    const b = item('b', { progressMs: 3_000_000, progressAt: AT + 60_000 });
    const p = plan(item('a'), b, memory(undefined, SEEN), memory(SEEN));
    assert.deepEqual(p.toA, [{ ...b, targetStill: true }]);
    assert.deepEqual([p.toB, p.skips, p.conflicts], [[], [], []]);
  });
  it('to A from B, targetStill when A does not have it', () => {
    const b = item('b');
    const p = plan(undefined, b, memory(), memory(SEEN));
    assert.deepEqual(p.toA, [{ ...b, targetStill: true }]);
  });
  it('a changed side re-adds to a side that dropped it (the drop is not a move)', () => {
    const a = item('a', { progressMs: 3_000_000, progressAt: AT + 60_000 });
    const p = plan(a, undefined, memory(SEEN), memory(SEEN), withRemove);
    assert.deepEqual(p.toB, [a], 'B dropped: not still, no targetStill');
    const b = item('b', { progressMs: 3_000_000, progressAt: AT + 60_000 });
    const q = plan(undefined, b, memory(SEEN), memory(SEEN), withRemove);
    assert.deepEqual(q.toA, [b]);
    assert.deepEqual([q.dropped, q.skips], [[], []]);
  });
  it('both moved: the newer side wins, the loser is reported with both positions', () => {
    const old = SEEN_AT(AT - 86_400_000);
    const a = item('a', { progressMs: 3_000_000, progressAt: AT + TOL + 1 });
    const b = item('b', { progressMs: 4_000_000, progressAt: AT });
    const p = plan(a, b, memory(old), memory(old));
    assert.deepEqual(p.toB, [a], 'B moved: no targetStill');
    assert.deepEqual(p.conflicts, [
      {
        key: `${KEY}#conflict`,
        title: 'Heat',
        type: 'movie',
        source: { progressMs: 4_000_000, durationMs: DUR, progressAt: AT, watched: false },
        target: { progressMs: 3_000_000, durationMs: DUR, progressAt: AT + TOL + 1, watched: false },
        action: 'skip',
        reason: 'conflict_lost',
        detail: { lost: 'jelly', won: 'plex', why: 'both moved; A is newer' },
      },
    ]);
  });
  it('B newer: A loses, reported with A as the source and B as the target', () => {
    const old = SEEN_AT(AT - 86_400_000);
    const a = item('a', { progressMs: 4_000_000, progressAt: AT });
    const b = item('b', { progressMs: 3_000_000, progressAt: AT + TOL + 1 });
    const p = plan(a, b, memory(old), memory(old));
    assert.deepEqual(p.toA, [b]);
    assert.deepEqual(p.conflicts, [
      {
        key: `${KEY}#conflict`,
        title: 'Heat',
        type: 'movie',
        source: { progressMs: 4_000_000, durationMs: DUR, progressAt: AT, watched: false },
        target: { progressMs: 3_000_000, durationMs: DUR, progressAt: AT + TOL + 1, watched: false },
        action: 'skip',
        reason: 'conflict_lost',
        detail: { lost: 'plex', won: 'jelly', why: 'both moved; B is newer' },
      },
    ]);
  });
  it('the settings tolerance is in seconds', () => {
    const old = SEEN_AT(AT - 86_400_000);
    const a = item('a', { progressMs: 600_000, progressAt: AT + 40_000 });
    const b = item('b', { progressMs: 3_000_000, progressAt: AT });
    const within = plan(a, b, memory(old), memory(old), { ...DEFAULT_PROGRESS_SETTINGS, toleranceSeconds: 45 });
    assert.equal(within.toA.length, 1, 'within 45 s: B is further');
    const beyond = plan(a, b, memory(old), memory(old), { ...DEFAULT_PROGRESS_SETTINGS, toleranceSeconds: 39 });
    assert.equal(beyond.toB.length, 1, 'beyond 39 s: A is newer');
  });
});

describe('planTwoWay: nothing to write', () => {
  it('the skip says why, from A, with both positions (no play count)', () => {
    const p = plan(item('a', { playCount: 3 }), item('b', { playCount: 2 }), memory(SEEN), memory(SEEN));
    assert.deepEqual(p.skips, [
      {
        key: KEY,
        title: 'Heat',
        type: 'movie',
        source: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, watched: false },
        target: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, watched: false },
        action: 'skip',
        reason: 'unchanged',
        detail: { twoWay: 'neither side moved', a: 'unchanged', b: 'unchanged' },
      },
    ]);
  });
  it('an episode skip carries its display title; with no A item the source is empty and B is the target', () => {
    const ep = { type: 'episode' as const, title: 'Pilot', show: { title: 'Lost', ids: {} }, season: 1, episode: 2 };
    const p = plan(undefined, item('b', ep), memory(), memory(SEEN), withRemove);
    // A absent, B unchanged: written to A. Dropped on A with remove: asked about.
    assert.equal(p.toA[0]?.record.title, 'Pilot');
    const q = plan(undefined, item('b', ep), memory(SEEN), memory(SEEN));
    assert.deepEqual(q.skips, [
      {
        key: KEY,
        title: 'Lost S01E02',
        type: 'episode',
        source: {},
        target: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, watched: false },
        action: 'skip',
        reason: 'unchanged',
        detail: { twoWay: 'one side dropped it: not re-added', a: 'dropped', b: 'unchanged' },
      },
    ]);
  });
  it('no B item: the skip has no target at all', () => {
    const p = plan(item('a'), undefined, memory(SEEN), memory(SEEN));
    assert.equal('target' in (p.skips[0] ?? {}), false);
    assert.equal(p.skips[0]?.detail?.twoWay, 'one side dropped it: not re-added');
  });
  it('neither side has a position: nothing written, nothing asked', () => {
    const p = plan(item('a', { progressMs: 0 }), item('b', { progressMs: 0 }), memory(), memory(), withRemove);
    assert.deepEqual([p.toA, p.toB, p.dropped, p.conflicts], [[], [], [], []]);
    assert.deepEqual(changes(p), ['absent', 'absent']);
  });
});

describe('planTwoWay: dropped items with remove on', () => {
  it('A dropped, B still has it: asked of A', () => {
    const b = item('b');
    const p = plan(undefined, b, memory(SEEN), memory(SEEN), withRemove);
    assert.deepEqual(p.dropped, [{ key: KEY, from: 'a', present: b }]);
    assert.deepEqual([p.toA, p.toB, p.skips], [[], [], []]);
  });
  it('B dropped, A still has it (A held our write): asked of B', () => {
    const a = item('a');
    const p = plan(a, item('b', { progressMs: 0 }), memory(undefined, SEEN), memory(SEEN), withRemove);
    assert.deepEqual(p.dropped, [{ key: KEY, from: 'b', present: a }]);
  });
  it('dropped against a side whose item has no position: nothing to ask, a skip', () => {
    const p = plan(undefined, item('b', { progressMs: 0 }), memory(SEEN), memory(), withRemove);
    assert.deepEqual([p.dropped, p.toA, p.toB], [[], [], []]);
    assert.deepEqual(changes(p), ['dropped', 'absent']);
    const q = plan(item('a', { progressMs: 0 }), undefined, memory(), memory(SEEN), withRemove);
    assert.deepEqual([q.dropped, q.toA, q.toB], [[], [], []]);
    assert.deepEqual(changes(q), ['absent', 'dropped']);
  });
  it('both dropped: nothing written and nothing asked (neither side has a position left to clear)', () => {
    for (const [a, b] of [
      [item('a', { progressMs: 0 }), undefined],
      [undefined, item('b', { progressMs: 0 })],
      [item('a', { progressMs: 0 }), item('b', { progressMs: 0 })],
    ] as const) {
      const p = plan(a, b, memory(SEEN), memory(SEEN), withRemove);
      assert.deepEqual([p.toA, p.toB], [[], []]);
      assert.deepEqual(p.dropped, [], 'nothing to ask about');
    }
  });
  it('nothing dropped: nothing asked, even with remove on', () => {
    for (const [am, bm] of [
      [memory(SEEN), memory(SEEN)],
      [memory(undefined, SEEN), memory(SEEN)],
      [memory(SEEN), memory(undefined, SEEN)],
    ]) {
      const p = plan(item('a'), item('b'), am, bm, withRemove);
      assert.deepEqual([p.dropped, p.toA, p.toB], [[], [], []]);
      assert.equal(p.skips.length, 1);
    }
  });
  it('A dropped while B never had it (A still lists it without a position): nothing asked', () => {
    const p = plan(item('a', { progressMs: 0 }), undefined, memory(SEEN), memory(), withRemove);
    assert.deepEqual([p.dropped, p.toA, p.toB], [[], [], []]);
    assert.deepEqual(changes(p), ['dropped', 'absent']);
  });
  it('remove off: a skip instead', () => {
    const p = plan(undefined, item('b'), memory(SEEN), memory(SEEN));
    assert.deepEqual(p.dropped, []);
    assert.equal(p.skips.length, 1);
  });
});

describe('planTwoWay: joined keys', () => {
  it("B's last write under its old key is still recognised as an echo", () => {
    const b: SourceItem = { ...item('b'), aliasKey: 'tmdb:9' };
    const p = plan(item('a'), b, memory(SEEN), memory(undefined, SEEN, 'tmdb:9'));
    assert.equal(p.skips[0]?.reason, 'same_origin');
    assert.deepEqual(changes(p), ['unchanged', 'echo']);
  });
  it("A is looked up under B's old key too", () => {
    const b: SourceItem = { ...item('b'), aliasKey: 'tmdb:9' };
    const p = plan(item('a'), b, memory(SEEN, undefined, 'tmdb:9'), memory(SEEN));
    assert.deepEqual(changes(p), ['unchanged', 'unchanged']);
  });
  it('the current key is preferred over the old one', () => {
    const b: SourceItem = { ...item('b'), aliasKey: 'tmdb:9' };
    const bm: SideMemory = {
      observed: new Map([
        [KEY, SEEN],
        ['tmdb:9', SEEN_AT(AT - 1)],
      ]),
      lastWrite: new Map(),
    };
    assert.deepEqual(changes(plan(item('a'), b, memory(SEEN), bm)), ['unchanged', 'unchanged']);
    const stale: SideMemory = {
      observed: new Map([
        [KEY, SEEN_AT(AT - 1)],
        ['tmdb:9', SEEN],
      ]),
      lastWrite: new Map(),
    };
    assert.equal(plan(item('a'), b, memory(SEEN), stale).toA.length, 1, 'the current key says B moved');
  });
  it("an alias on A's item is not looked up (only B's items are joined)", () => {
    const a: SourceItem = { ...item('a'), aliasKey: 'tmdb:9' };
    const p = plan(a, item('b'), memory(SEEN, undefined, 'tmdb:9'), memory(SEEN));
    assert.equal(p.toB.length, 1, 'A is new to us under its key');
  });
  it('several items are planned independently', () => {
    const other = 'imdb:tt2';
    const a2: SourceItem = { key: other, record: record('a', { ids: { imdb: 'tt2' }, title: 'Ronin' }), resolution: 'resolved' };
    const p = planTwoWay({
      a: {
        id: 'plex',
        items: new Map([
          [KEY, item('a')],
          [other, a2],
        ]),
        memory: memory(SEEN),
      },
      b: { id: 'jelly', items: new Map([[KEY, item('b')]]), memory: memory(SEEN) },
      settings: DEFAULT_PROGRESS_SETTINGS,
    });
    assert.deepEqual(p.toB, [{ ...a2, targetStill: true }]);
    assert.deepEqual(
      p.skips.map((s) => s.key),
      [KEY],
    );
  });
});

describe('droppedWithoutClear', () => {
  it('a skip for the present item, naming the side that dropped it', () => {
    const present = item('b', { playCount: 4 });
    assert.deepEqual(droppedWithoutClear({ key: KEY, from: 'a', present }, 'plex'), {
      key: KEY,
      title: 'Heat',
      type: 'movie',
      source: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, watched: false },
      action: 'skip',
      reason: 'unchanged',
      detail: { twoWay: 'plex dropped it without an explicit clear: not re-added' },
    });
  });
  it('an episode is titled as an episode', () => {
    const present = item('a', { type: 'episode', title: 'Pilot', show: { title: 'Lost', ids: {} }, season: 3, episode: 11 });
    assert.equal(droppedWithoutClear({ key: KEY, from: 'b', present }, 'jelly').title, 'Lost S03E11');
  });
});
