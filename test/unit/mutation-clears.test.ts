// Clears: the explicit signal, the shrink guard and the per-item clear decision.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isExplicitClear, planClear, suspiciousShrink } from '../../src/core/clears.ts';
import type { ItemIdentity, PositionSnapshot, TargetState } from '../../src/core/model.ts';

const AT = Date.UTC(2026, 7, 4, 12);
const DUR = 6_000_000;
const SEEN: PositionSnapshot = { progressMs: 1_200_000, durationMs: DUR, progressAt: AT };
const NOW: PositionSnapshot = { progressMs: 0, durationMs: DUR, progressAt: AT + 1, watched: false };

describe('isExplicitClear', () => {
  const table: [string, PositionSnapshot, PositionSnapshot, boolean][] = [
    ['position gone, later time', SEEN, NOW, true],
    ['position gone, later time, watched unknown', SEEN, { progressMs: 0, progressAt: AT + 1 }, true],
    ['position gone, no position fields at all', SEEN, { progressAt: AT + 1 }, true],
    ['seen by percent, now none', { progressPct: 30, progressAt: AT }, { progressPct: 0, progressAt: AT + 1 }, true],
    ['position gone at the same time', SEEN, { ...NOW, progressAt: AT }, false],
    ['position gone at an earlier time', SEEN, { ...NOW, progressAt: AT - 1 }, false],
    ['position gone, no time now', SEEN, { progressMs: 0 }, false],
    ['position gone, no time then', { progressMs: 1_200_000 }, NOW, false],
    ['position gone but watched (history sync)', SEEN, { ...NOW, watched: true }, false],
    ['still a position', SEEN, { ...NOW, progressMs: 600_000 }, false],
    ['still a percent', SEEN, { progressPct: 5, progressAt: AT + 1 }, false],
    ['never had a position', { progressMs: 0, progressAt: AT }, NOW, false],
  ];
  for (const [name, seen, now, expected] of table) it(`${name}: ${expected}`, () => assert.equal(isExplicitClear(seen, now), expected));
});

describe('suspiciousShrink', () => {
  const table: [number, number, boolean][] = [
    [19, 0, false],
    [20, 9, true],
    [20, 10, false],
    [20, 11, false],
    [21, 10, true],
    [100, 49, true],
    [100, 50, false],
    [100, 100, false],
    [0, 0, false],
  ];
  for (const [previous, current, expected] of table)
    it(`${previous} → ${current}: ${expected}`, () => assert.equal(suspiciousShrink(previous, current), expected));
});

describe('planClear', () => {
  const movie: ItemIdentity = { type: 'movie', ids: { imdb: 'tt0000001' }, title: 'Heat' };
  const cleared: PositionSnapshot = { progressAt: AT };
  const target = (over: Partial<TargetState> = {}): TargetState => ({
    ref: { provider: 'jellyfin', server: 'j', id: 'j1' },
    progressMs: 1_200_000,
    durationMs: DUR,
    progressAt: AT - 60_000,
    watched: false,
    playCount: 2,
    playingNow: false,
    ...over,
  });
  const plan = (t: TargetState | undefined, toleranceMs = 30_000, source = cleared, item = movie) =>
    planClear({ key: 'imdb:tt0000001', item, source, target: t, toleranceMs });
  const base = { key: 'imdb:tt0000001', title: 'Heat', type: 'movie', source: cleared };
  const snapshot = (t: TargetState) => ({ progressMs: t.progressMs, durationMs: t.durationMs, progressAt: t.progressAt, watched: t.watched });

  it('not on the target: unresolved, no write', () => {
    assert.deepEqual(plan(undefined), { decision: { ...base, action: 'skip', reason: 'unresolved', detail: { unresolved: 'not found on the target' } } });
  });
  it('the target has no position either: unchanged (its snapshot without the play count)', () => {
    const t = target({ progressMs: 0 });
    assert.deepEqual(plan(t), {
      decision: { ...base, target: snapshot(t), action: 'skip', reason: 'unchanged', detail: { clear: 'the target has no position either' } },
    });
  });
  it('a percent-only target position counts as a position', () => {
    const t = target({ progressMs: undefined, durationMs: undefined, progressPct: 20 });
    assert.equal(plan(t).decision.reason, 'clear');
  });
  it('playing now: left alone', () => {
    const t = target({ playingNow: true });
    assert.deepEqual(plan(t), { decision: { ...base, target: snapshot(t), action: 'skip', reason: 'playing_now', detail: { ref: 'j1' } } });
  });
  it('played after the clear beyond the tolerance: target_newer, with the figures', () => {
    const t = target({ progressAt: AT + 30_001 });
    assert.deepEqual(plan(t), {
      decision: {
        ...base,
        target: snapshot(t),
        action: 'skip',
        reason: 'target_newer',
        detail: { sourceAt: AT, targetAt: AT + 30_001, aheadMs: 30_001, toleranceMs: 30_000 },
      },
    });
  });
  it('played after the clear by exactly the tolerance, or within it: cleared', () => {
    for (const at of [AT + 30_000, AT + 1, AT, AT - 1]) assert.equal(plan(target({ progressAt: at })).decision.reason, 'clear', String(at));
  });
  it('zero tolerance: one ms later is newer', () => {
    assert.equal(plan(target({ progressAt: AT + 1 }), 0).decision.reason, 'target_newer');
    assert.equal(plan(target({ progressAt: AT }), 0).decision.reason, 'clear');
  });
  it('a negative tolerance counts as zero', () => {
    assert.equal(plan(target({ progressAt: AT - 1 }), -60_000).decision.reason, 'clear');
    assert.equal(plan(target({ progressAt: AT }), -60_000).decision.reason, 'clear');
    const newer = plan(target({ progressAt: AT + 1 }), -60_000).decision;
    assert.equal(newer.reason, 'target_newer');
    assert.equal((newer.detail as { toleranceMs: number }).toleranceMs, -60_000, 'reported as configured');
  });
  it('a target without a time is cleared', () => {
    assert.equal(plan(target({ progressAt: undefined })).decision.reason, 'clear');
  });
  it('a clear without a time counts as time 0: any timed target beyond the tolerance is newer', () => {
    const d = plan(target({ progressAt: 30_001 }), 30_000, {}).decision;
    assert.deepEqual(d.detail, { sourceAt: 0, targetAt: 30_001, aheadMs: 30_001, toleranceMs: 30_000 });
    assert.equal(plan(target({ progressAt: 30_000 }), 30_000, {}).decision.reason, 'clear');
  });
  it('cleared: a clear write for the target ref, ordered at the clear time, keeping what it replaced', () => {
    const t = target();
    const decision = { ...base, target: snapshot(t), action: 'clear', reason: 'clear', detail: { clearedAt: AT } };
    assert.deepEqual(plan(t), {
      decision,
      write: { key: 'imdb:tt0000001', ref: t.ref, change: { kind: 'clear' }, previous: snapshot(t), orderAt: AT, decision },
    });
  });
  it('an episode decision carries its display title', () => {
    const ep: ItemIdentity = { type: 'episode', ids: {}, title: 'Pilot', show: { ids: { tvdb: '7' }, title: 'Lost' }, season: 1, episode: 2 };
    const d = plan(target(), 30_000, cleared, ep).decision;
    assert.deepEqual([d.title, d.type], ['Lost S01E02', 'episode']);
  });
});
