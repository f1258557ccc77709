import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideWrite } from '../../src/core/policy.ts';
import { materiallyEqual } from '../../src/core/position.ts';
import { AT, DUR, policyInput as input, target } from '../support/decide-fixtures.ts';

describe('decideWrite', () => {
  it('writes a newer, different position', () => {
    assert.deepEqual(decideWrite(input()), { action: 'write', unwatchFirst: false });
  });

  it('writes to a never-played target', () => {
    const r = decideWrite(input({}, {}, { progressMs: undefined, durationMs: undefined, progressAt: undefined }));
    assert.deepEqual(r, { action: 'write', unwatchFirst: false });
  });

  it('playing_now beats everything, replay included', () => {
    const r = decideWrite(input({ sameOrigin: true, replay: true }, { progressAt: undefined }, { playingNow: true, watched: true, progressAt: AT + 9e6 }));
    assert.deepEqual(r, { action: 'skip', reason: 'playing_now', detail: { ref: target().ref.id } });
  });

  it('same_origin comes next and is not overridden by replay', () => {
    const r = decideWrite(input({ sameOrigin: true, replay: true }, { progressAt: undefined }, { watched: true }));
    assert.deepEqual(r, { action: 'skip', reason: 'same_origin', detail: {} });
  });

  it('missing_source_time when the source has no time', () => {
    const r = decideWrite(input({ replay: true }, { progressAt: undefined }, { watched: true }));
    assert.deepEqual(r, { action: 'skip', reason: 'missing_source_time', detail: {} });
  });

  it('target exactly +tolerance is not newer', () => {
    assert.deepEqual(decideWrite(input({}, {}, { progressAt: AT + 30_000 })), { action: 'write', unwatchFirst: false });
  });

  it('target +tolerance+1 ms is newer', () => {
    assert.deepEqual(decideWrite(input({}, {}, { progressAt: AT + 30_001 })), {
      action: 'skip',
      reason: 'target_newer',
      detail: { sourceAt: AT, targetAt: AT + 30_001, aheadMs: 30_001, toleranceMs: 30_000 },
    });
  });

  it('honours tolerance 0 and treats a negative tolerance as 0', () => {
    assert.equal(decideWrite(input({ toleranceMs: 0 }, {}, { progressAt: AT })).action, 'write');
    const r = decideWrite(input({ toleranceMs: 0 }, {}, { progressAt: AT + 1 }));
    assert.equal(r.action === 'skip' && r.reason, 'target_newer');
    const n = decideWrite(input({ toleranceMs: -5_000 }, {}, { progressAt: AT + 1 }));
    assert.equal(n.action === 'skip' && n.reason, 'target_newer');
  });

  it('refuses to move a target back when it has no time and a larger position', () => {
    assert.deepEqual(decideWrite(input({}, {}, { progressAt: undefined, progressMs: 1_300_000 })), {
      action: 'skip',
      reason: 'target_newer',
      detail: { reason: 'target ahead without a time', sourceMs: 1_200_000, targetMs: 1_300_000 },
    });
  });

  it('moves a target without a time forward', () => {
    assert.deepEqual(decideWrite(input({}, {}, { progressAt: undefined, progressMs: 600_000 })), { action: 'write', unwatchFirst: false });
  });

  it('checks target_newer before already_watched (no replay)', () => {
    const r = decideWrite(input({}, {}, { watched: true, progressAt: AT + 60_000 }));
    assert.equal(r.action === 'skip' && r.reason, 'target_newer');
  });

  it('already_watched when the target is watched and replay is off', () => {
    assert.deepEqual(decideWrite(input({}, {}, { watched: true, playCount: 2, progressAt: AT })), {
      action: 'skip',
      reason: 'already_watched',
      detail: { playCount: 2 },
    });
  });

  it('replay on a watched target ignores target_newer and writes with unwatchFirst', () => {
    assert.deepEqual(decideWrite(input({ replay: true }, {}, { watched: true, progressAt: AT + 86_400_000 })), {
      action: 'write',
      unwatchFirst: true,
    });
  });

  it('replay on a watched target ignores unchanged, and the no-time regress guard', () => {
    const same = decideWrite(input({ replay: true }, {}, { watched: true, progressMs: 1_200_000, progressAt: AT }));
    assert.deepEqual(same, { action: 'write', unwatchFirst: true });
    const ahead = decideWrite(input({ replay: true }, {}, { watched: true, progressMs: 2_000_000, progressAt: undefined }));
    assert.deepEqual(ahead, { action: 'write', unwatchFirst: true });
  });

  it('replay on an unwatched target keeps the normal checks', () => {
    const r = decideWrite(input({ replay: true }, {}, { progressAt: AT + 60_000 }));
    assert.equal(r.action === 'skip' && r.reason, 'target_newer');
    const u = decideWrite(input({ replay: true }, {}, { progressMs: 1_200_000, progressAt: AT }));
    assert.equal(u.action === 'skip' && u.reason, 'unchanged');
  });

  it('unchanged when the target already holds the value', () => {
    assert.deepEqual(decideWrite(input({}, {}, { progressMs: 1_203_000, progressAt: AT })), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourceMs: 1_200_000, targetMs: 1_203_000 },
    });
  });
});

describe('materiallyEqual', () => {
  it('compares percents within 0.1 points (inclusive) when both durations are known', () => {
    assert.equal(materiallyEqual({ progressMs: 3_000_000, durationMs: DUR }, { progressMs: 3_006_000, durationMs: DUR }), true);
    assert.equal(materiallyEqual({ progressMs: 3_000_000, durationMs: DUR }, { progressMs: 3_006_001, durationMs: DUR }), false);
    // Different cuts: same percent, different ms.
    assert.equal(materiallyEqual({ progressMs: 3_000_000, durationMs: DUR }, { progressMs: 3_100_000, durationMs: 6_200_000 }), true);
  });

  it('compares ms within 1000 (inclusive) otherwise', () => {
    assert.equal(materiallyEqual({ progressMs: 100_000 }, { progressMs: 101_000, durationMs: DUR }), true);
    assert.equal(materiallyEqual({ progressMs: 100_000 }, { progressMs: 101_001 }), false);
  });

  it('is false when either side has no ms', () => {
    assert.equal(materiallyEqual({}, { progressMs: 1 }), false);
    assert.equal(materiallyEqual({ progressMs: 1 }, {}), false);
  });
});
