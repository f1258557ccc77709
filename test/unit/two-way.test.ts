import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDirection, planTwoWay, type SideMemory } from '../../src/core/two-way.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { ProgressRecord, ProgressValue, PositionSnapshot } from '../../src/core/model.ts';
import type { SourceItem } from '../../src/core/pipeline.ts';

const AT = Date.UTC(2026, 7, 4, 12);
const DUR = 6_000_000;
const KEY = 'imdb:tt1';

describe('chooseDirection tie-break (both moved within the tolerance)', () => {
  it("compares like with like when one side has no duration: ms through the other side's duration", () => {
    // A: 2 400 000 ms, no duration (40% of B's runtime). B: 50% (a percent-only side with a runtime).
    // Compared raw, 2 400 000 "beats" 50; compared as percents, B is further.
    const choice = chooseDirection(
      { change: 'changed', position: { progressMs: 2_400_000, progressAt: AT } },
      { change: 'changed', position: { progressPct: 50, durationMs: DUR, progressAt: AT } },
      30_000,
    );
    assert.equal(choice.direction, 'b_to_a');
    assert.deepEqual(choice.conflict, { loser: 'a' });
  });
  it('and the other way round', () => {
    const choice = chooseDirection(
      { change: 'changed', position: { progressPct: 30, durationMs: DUR, progressAt: AT } },
      { change: 'changed', position: { progressMs: 2_400_000, progressAt: AT } },
      30_000,
    );
    assert.equal(choice.direction, 'b_to_a');
  });
  it('incomparable positions (ms without any duration against a bare percent) tie, and a tie goes to A', () => {
    const choice = chooseDirection(
      { change: 'changed', position: { progressPct: 10, progressAt: AT } },
      { change: 'changed', position: { progressMs: 2_400_000, progressAt: AT } },
      30_000,
    );
    assert.equal(choice.direction, 'a_to_b');
  });
});

function record(side: 'a' | 'b', over: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    type: 'movie',
    ids: { imdb: 'tt1' },
    title: 'Heat',
    ref: { provider: side, server: side, id: `${side}1` },
    progressMs: 1_200_000,
    durationMs: DUR,
    progressAt: AT,
    watched: false,
    ...over,
  };
}
const item = (side: 'a' | 'b', over: Partial<ProgressRecord> = {}): SourceItem => ({ key: KEY, record: record(side, over), resolution: 'resolved' });
const items = (i?: SourceItem) => new Map(i ? [[KEY, i]] : []);
function memory(observed?: PositionSnapshot, lastWrite?: ProgressValue): SideMemory {
  return { observed: new Map(observed ? [[KEY, observed]] : []), lastWrite: new Map(lastWrite ? [[KEY, lastWrite]] : []) };
}
const plan = (a: SourceItem | undefined, b: SourceItem | undefined, am = memory(), bm = memory(), settings = DEFAULT_PROGRESS_SETTINGS) =>
  planTwoWay({ a: { id: 'a', items: items(a), memory: am }, b: { id: 'b', items: items(b), memory: bm }, settings });

describe('planTwoWay', () => {
  it('absent on B: written from A, B counted as still', () => {
    const p = plan(item('a'), undefined);
    assert.equal(p.toB.length, 1);
    assert.equal(p.toB[0]?.targetStill, true);
    assert.deepEqual([p.toA, p.skips, p.conflicts, p.dropped], [[], [], [], []]);
  });
  it('only B moved: written to A', () => {
    const seen = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
    const p = plan(item('a'), item('b', { progressMs: 3_000_000, progressAt: AT + 60_000 }), memory(seen), memory(seen));
    assert.equal(p.toA.length, 1);
    assert.equal(p.toA[0]?.targetStill, true);
    assert.equal(p.toB.length, 0);
  });
  it('both moved beyond the tolerance: the newer wins, the other side is reported as a lost conflict', () => {
    const seen = { progressMs: 600_000, durationMs: DUR, progressAt: AT - 86_400_000 };
    const p = plan(
      item('a', { progressMs: 3_000_000, progressAt: AT }),
      item('b', { progressMs: 1_000_000, progressAt: AT + 31_000 }),
      memory(seen),
      memory(seen),
    );
    assert.equal(p.toA.length, 1);
    assert.equal(p.conflicts[0]?.reason, 'conflict_lost');
    assert.deepEqual(p.conflicts[0]?.detail, { lost: 'a', won: 'b', why: 'both moved; B is newer' });
    assert.equal(p.conflicts[0]?.key, `${KEY}#conflict`);
  });
  it('both moved within the tolerance: the further position wins', () => {
    const seen = { progressMs: 600_000, durationMs: DUR, progressAt: AT - 86_400_000 };
    const p = plan(
      item('a', { progressMs: 3_000_000, progressAt: AT }),
      item('b', { progressMs: 1_000_000, progressAt: AT + 29_000 }),
      memory(seen),
      memory(seen),
    );
    assert.equal(p.toB.length, 1);
    assert.equal(p.toB[0]?.targetStill, undefined, 'B moved: its time counts');
    assert.equal(p.conflicts[0]?.detail?.lost, 'b');
  });
  it('an echo of our own write is not sent back', () => {
    const wrote = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
    const p = plan(item('a'), item('b'), memory({ ...wrote }), memory(undefined, wrote));
    assert.deepEqual([p.toA.length, p.toB.length], [0, 0]);
    assert.equal(p.skips[0]?.reason, 'same_origin');
    assert.deepEqual(p.skips[0]?.detail, { twoWay: 'neither side moved', a: 'unchanged', b: 'echo' });
  });
  it('dropped on one side: not re-added; with remove on, asked about', () => {
    const seen = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
    const off = plan(item('a'), undefined, memory(seen), memory(seen));
    assert.deepEqual([off.toB.length, off.dropped.length, off.skips[0]?.reason], [0, 0, 'unchanged']);
    assert.equal(off.skips[0]?.detail?.twoWay, 'one side dropped it: not re-added');
    const on = plan(item('a'), undefined, memory(seen), memory(seen), { ...DEFAULT_PROGRESS_SETTINGS, remove: true });
    assert.deepEqual(
      on.dropped.map((d) => [d.key, d.from, d.present.record.ref.id]),
      [[KEY, 'b', 'a1']],
    );
    assert.equal(on.skips.length, 0);
  });
  it('an item joined under another key is remembered under its old key too', () => {
    const seen = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
    const b: SourceItem = { ...item('b'), aliasKey: 'tmdb:9' };
    const bm: SideMemory = { observed: new Map([['tmdb:9', seen]]), lastWrite: new Map() };
    const p = plan(item('a'), b, memory(seen), bm);
    assert.equal(p.skips[0]?.reason, 'unchanged');
    assert.deepEqual(p.skips[0]?.detail, { twoWay: 'neither side moved', a: 'unchanged', b: 'unchanged' });
  });
});
