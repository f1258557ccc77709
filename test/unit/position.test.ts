import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CAP_MARGIN_PERCENT,
  CONFIRM_TOLERANCE_MS,
  CONFIRM_TOLERANCE_PCT,
  cappedPercent,
  compareProgress,
  holdsValue,
  materiallyEqual,
  msFromPercent,
  msToTicks,
  percentFromMs,
  restoreValue,
  ticksToMs,
  valueFor,
} from '../../src/core/position.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { planItem } from '../../src/core/decide.ts';
import type { ProgressRecord, TargetState } from '../../src/core/model.ts';

const ms = fc.integer({ min: 0, max: 12 * 3600 * 1000 });
const duration = fc.integer({ min: 60_000, max: 12 * 3600 * 1000 });
const percent = fc.double({ min: 0, max: 100, noNaN: true });

describe('units', () => {
  it('ms → ticks → ms is exact', () => {
    fc.assert(fc.property(ms, (m) => ticksToMs(msToTicks(m)) === m));
  });
  it('ticks → ms → ticks is within half a ms', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 432_000_000_000 }), (t) => Math.abs(msToTicks(ticksToMs(t)) - t) <= 5_000));
  });
  it('ms → percent → ms is within half a ms', () => {
    fc.assert(
      fc.property(duration, fc.double({ min: 0, max: 1, noNaN: true }), (d, f) => {
        const m = Math.round(d * f);
        const back = msFromPercent(percentFromMs(m, d) as number, d) as number;
        return Math.abs(back - m) <= 0.5;
      }),
    );
  });
  it('percent → ms → percent is within one ms of the duration', () => {
    fc.assert(fc.property(duration, percent, (d, p) => Math.abs((percentFromMs(msFromPercent(p, d) as number, d) as number) - p) <= (100 / d) * 0.5 + 1e-9));
  });
  it('no duration, no conversion', () => {
    assert.equal(percentFromMs(1000, undefined), undefined);
    assert.equal(percentFromMs(1000, 0), undefined);
    assert.equal(msFromPercent(10, undefined), undefined);
  });
});

describe('capping', () => {
  it("a capped value is below the target's watched point, in the TARGET's duration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 94 }), duration, duration, fc.double({ min: 0, max: 1, noNaN: true }), (at, sourceDur, targetDur, f) => {
        const src = { progressMs: Math.round(sourceDur * f), durationMs: sourceDur, progressAt: 1 };
        const value = valueFor(src, { durationMs: targetDur }, cappedPercent(at));
        assert.equal(value.durationMs, targetDur);
        assert.ok(value.progressMs < (at * targetDur) / 100, `${value.progressMs} of ${targetDur} is below ${at}%`);
        assert.ok((value.progressPct ?? 100) < at);
      }),
    );
  });
  it('is held CAP_MARGIN_PERCENT below the point', () => {
    assert.equal(cappedPercent(90), 90 - CAP_MARGIN_PERCENT);
  });
  it("the planned write carries the capped value, computed once from the target's duration", () => {
    const source: ProgressRecord = {
      type: 'movie',
      ids: { imdb: 'tt1' },
      title: 'X',
      ref: { provider: 's', server: 's', id: '1' },
      progressMs: 5_460_000,
      durationMs: 6_000_000,
      progressAt: 5,
      watched: false,
    };
    // A shorter cut: the source's 91 % lands at 94.1 % of it.
    const target: TargetState = { ref: { provider: 't', server: 't', id: '9' }, durationMs: 5_800_000, watched: false, playCount: 0, playingNow: false };
    const planned = planItem({
      key: 'imdb:tt1',
      source,
      target,
      resolution: 'resolved',
      settings: DEFAULT_PROGRESS_SETTINGS,
      targetCompletionPercent: 90,
      sameOrigin: false,
    });
    assert.equal(planned.decision.reason, 'capped');
    assert.deepEqual(planned.write?.change, {
      kind: 'write',
      value: { progressMs: 5_191_000, progressPct: 89.5, durationMs: 5_800_000, progressAt: 5 },
      unwatchFirst: false,
    });
  });
});

describe('materiallyEqual', () => {
  const snap = fc.record({
    progressMs: fc.option(ms, { nil: undefined }),
    progressPct: fc.option(percent, { nil: undefined }),
    durationMs: fc.option(duration, { nil: undefined }),
  });
  it('is symmetric', () => {
    fc.assert(fc.property(snap, snap, (a, b) => materiallyEqual(a, b) === materiallyEqual(b, a)));
  });
  it('is reflexive for any position with ms', () => {
    fc.assert(
      fc.property(ms, fc.option(duration, { nil: undefined }), (m, d) => materiallyEqual({ progressMs: m, durationMs: d }, { progressMs: m, durationMs: d })),
    );
  });
});

describe('holdsValue', () => {
  it('holds within the ms tolerance, not beyond', () => {
    fc.assert(
      fc.property(ms, fc.integer({ min: -3000, max: 3000 }), (m, off) => {
        const state = { progressMs: m + off };
        return holdsValue(state, { progressMs: m }) === Math.abs(off) <= CONFIRM_TOLERANCE_MS;
      }),
    );
  });
  it('percent-only states hold within the percent tolerance', () => {
    fc.assert(
      fc.property(
        percent,
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        (p, off) => holdsValue({ progressPct: p + off }, { progressMs: 0, progressPct: p }) === Math.abs(p + off - p) <= CONFIRM_TOLERANCE_PCT,
      ),
    );
  });
  it('a state without any position holds nothing', () => {
    assert.equal(holdsValue({}, { progressMs: 0, progressPct: 0 }), false);
  });
});

describe('restoreValue', () => {
  it('puts back ms and percent, with the old time', () => {
    assert.deepEqual(restoreValue({ progressMs: 1_500_000, durationMs: 6_000_000, progressAt: 7 }, { durationMs: 7_000_000 }), {
      progressMs: 1_500_000,
      progressPct: 25,
      durationMs: 6_000_000,
      progressAt: 7,
    });
    assert.deepEqual(restoreValue({ progressPct: 25 }, { durationMs: 4_000_000 }), { progressMs: 1_000_000, progressPct: 25, durationMs: 4_000_000 });
  });
});

describe('compareProgress (the two-way tie-break)', () => {
  it('compares percent with percent when both are known', () => {
    assert.ok(compareProgress({ progressPct: 40 }, { progressMs: 1_800_000, durationMs: 6_000_000 }) > 0, '40% is further than 30%');
  });
  it("a side without a duration borrows the other side's", () => {
    // 2 400 000 ms of the other side's 6 000 000 is 40%, further than 30%.
    assert.ok(compareProgress({ progressMs: 2_400_000 }, { progressPct: 30, durationMs: 6_000_000 }) > 0);
    assert.ok(compareProgress({ progressPct: 50, durationMs: 6_000_000 }, { progressMs: 2_400_000 }) > 0);
  });
  it('ms with ms when neither knows a duration', () => {
    assert.ok(compareProgress({ progressMs: 10 }, { progressMs: 20 }) < 0);
  });
  it('ms without any duration against a percent cannot be compared: a tie', () => {
    assert.equal(compareProgress({ progressMs: 2_400_000 }, { progressPct: 30 }), 0);
  });
});
