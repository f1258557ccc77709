// Position arithmetic pinned value by value: units, snapshots, caps, equality, values to write
// and ordering. Each table row is one rule of src/core/position.ts; the properties are its laws.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  crossesWatchedPoint,
  landingPercent,
  LOWEST_WATCHED_POINT_PERCENT,
  UNKNOWN_RUNTIME_SAFE_FRACTION,
  unknownRuntimeSafePercent,
  cappedPercent,
  compareProgress,
  hasPosition,
  holdsValue,
  holdsWritten,
  isNum,
  materiallyEqual,
  minutesToMs,
  msFromPercent,
  msToTicks,
  percentFromMs,
  percentOf,
  positionOf,
  progressRatio,
  restoreValue,
  round3,
  secondsToMs,
  targetDuration,
  ticksToMs,
  valueFor,
} from '../../src/core/position.ts';
import type { PositionSnapshot } from '../../src/core/model.ts';

const ms = fc.integer({ min: 0, max: 12 * 3600 * 1000 });
const duration = fc.integer({ min: 60_000, max: 12 * 3600 * 1000 });

describe('units, value by value', () => {
  it('ticks → ms rounds to the nearest ms', () => {
    const rows: [number, number][] = [
      [0, 0],
      [10_000, 1],
      [14_999, 1],
      [15_000, 2],
      [12_345_678, 1235],
      [36_000_000_000, 3_600_000],
    ];
    for (const [ticks, want] of rows) assert.equal(ticksToMs(ticks), want, `${ticks} ticks`);
  });
  it('ms → ticks multiplies by 10 000 and rounds', () => {
    const rows: [number, number][] = [
      [0, 0],
      [1, 10_000],
      [3_600_000, 36_000_000_000],
      [0.00006, 1],
    ];
    for (const [m, want] of rows) assert.equal(msToTicks(m), want, `${m} ms`);
  });
  it('seconds and minutes → ms', () => {
    assert.equal(secondsToMs(0), 0);
    assert.equal(secondsToMs(30), 30_000);
    assert.equal(secondsToMs(1.5), 1500);
    assert.equal(minutesToMs(0), 0);
    assert.equal(minutesToMs(2), 120_000);
    assert.equal(minutesToMs(142), 8_520_000);
  });
  it('isNum accepts finite numbers only', () => {
    const rows: [number | undefined, boolean][] = [
      [0, true],
      [-1, true],
      [12.5, true],
      [undefined, false],
      [Number.NaN, false],
      [Number.POSITIVE_INFINITY, false],
      [Number.NEGATIVE_INFINITY, false],
    ];
    for (const [v, want] of rows) assert.equal(isNum(v), want, `isNum(${v})`);
  });
  it('round3 keeps three decimals', () => {
    const rows: [number, number][] = [
      [0, 0],
      [1.23456, 1.235],
      [1.2344, 1.234],
      [89.5, 89.5],
      [33.33333333, 33.333],
    ];
    for (const [n, want] of rows) assert.equal(round3(n), want, `round3(${n})`);
  });
  it('percentFromMs needs a positive, finite duration', () => {
    const rows: [number, number | undefined, number | undefined][] = [
      [5_700_000, 6_000_000, 95],
      [1_500_000, 6_000_000, 25],
      [0, 6_000_000, 0],
      [3000, 2000, 150],
      [1000, undefined, undefined],
      [1000, 0, undefined],
      [1000, -6_000_000, undefined],
      [1000, Number.NaN, undefined],
      [1000, Number.POSITIVE_INFINITY, undefined],
    ];
    for (const [m, d, want] of rows) assert.equal(percentFromMs(m, d), want, `${m} of ${d}`);
  });
  it('msFromPercent needs a positive, finite duration and rounds to whole ms', () => {
    const rows: [number, number | undefined, number | undefined][] = [
      [25, 4_000_000, 1_000_000],
      [95, 6_000_000, 5_700_000],
      [0, 6_000_000, 0],
      [33.3333, 1000, 333],
      [0.05, 1000, 1],
      [10, undefined, undefined],
      [10, 0, undefined],
      [10, -1000, undefined],
      [10, Number.NaN, undefined],
      [10, Number.POSITIVE_INFINITY, undefined],
    ];
    for (const [p, d, want] of rows) assert.equal(msFromPercent(p, d), want, `${p}% of ${d}`);
  });
  it('percentOf prefers ms of a duration, else the given percent', () => {
    const rows: [Parameters<typeof percentOf>[0], number | undefined][] = [
      [{ progressMs: 1_500_000, durationMs: 6_000_000, progressPct: 99 }, 25],
      [{ progressMs: 1_500_000, progressPct: 40 }, 40],
      [{ progressMs: 1_500_000, durationMs: 0, progressPct: 40 }, 40],
      [{ progressMs: Number.NaN, durationMs: 6_000_000, progressPct: 40 }, 40],
      [{ progressPct: 40, durationMs: 6_000_000 }, 40],
      [{ progressMs: 1_500_000 }, undefined],
      [{ progressPct: Number.NaN }, undefined],
      [{}, undefined],
    ];
    for (const [p, want] of rows) assert.equal(percentOf(p), want, JSON.stringify(p));
  });
});

describe('snapshots', () => {
  it('positionOf keeps exactly the fields that are present', () => {
    assert.deepEqual(positionOf({}), {});
    assert.deepEqual(positionOf({ progressMs: 0, progressPct: 0, durationMs: 0, progressAt: 0, watched: false, playCount: 0 }), {
      progressMs: 0,
      progressPct: 0,
      durationMs: 0,
      progressAt: 0,
      watched: false,
    });
    assert.deepEqual(positionOf({ progressMs: 5, progressPct: 1, durationMs: 500, progressAt: 9, watched: true, playCount: 2 }), {
      progressMs: 5,
      progressPct: 1,
      durationMs: 500,
      progressAt: 9,
      watched: true,
      playCount: 2,
    });
    assert.deepEqual(positionOf({ progressMs: 5 }), { progressMs: 5 });
    assert.deepEqual(positionOf({ progressPct: 5 }), { progressPct: 5 });
    assert.deepEqual(positionOf({ durationMs: 5 }), { durationMs: 5 });
    assert.deepEqual(positionOf({ progressAt: 5 }), { progressAt: 5 });
    assert.deepEqual(positionOf({ watched: true }), { watched: true });
    assert.deepEqual(positionOf({ playCount: 1 }), { playCount: 1 });
    assert.deepEqual(positionOf({ playCount: -1 }), {});
  });
  it('positionOf drops fields of the record that are not positions', () => {
    const record = { progressMs: 5, title: 'X', ref: { id: '1' } } as Parameters<typeof positionOf>[0];
    assert.deepEqual(positionOf(record), { progressMs: 5 });
  });
  it('hasPosition: ms or percent above 0', () => {
    const rows: [Parameters<typeof hasPosition>[0], boolean][] = [
      [{}, false],
      [{ progressMs: 0 }, false],
      [{ progressPct: 0 }, false],
      [{ progressMs: 0, progressPct: 0 }, false],
      [{ progressMs: -5 }, false],
      [{ progressMs: 1 }, true],
      [{ progressMs: 5000 }, true],
      [{ progressPct: 0.01 }, true],
      [{ progressPct: 30 }, true],
      [{ progressMs: 0, progressPct: 30 }, true],
      [{ progressMs: 5000, progressPct: 0 }, true],
    ];
    for (const [p, want] of rows) assert.equal(hasPosition(p), want, JSON.stringify(p));
  });
});

describe('capping', () => {
  it('cappedPercent is half a point below, kept to three decimals', () => {
    assert.equal(cappedPercent(90), 89.5);
    assert.equal(cappedPercent(95), 94.5);
    assert.equal(cappedPercent(90.1234), 89.623);
    assert.equal(cappedPercent(0.5), 0);
  });
  it("targetDuration: the target's own, else the source's", () => {
    assert.equal(targetDuration({ durationMs: 100 }, { durationMs: 200 }), 200);
    assert.equal(targetDuration({ durationMs: 100 }, {}), 100);
    assert.equal(targetDuration({ durationMs: 100 }, undefined), 100);
    assert.equal(targetDuration({}, { durationMs: 200 }), 200);
    assert.equal(targetDuration({}, undefined), undefined);
  });
  it("a capped value never lands above the target's watched point", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.option(duration, { nil: undefined }),
        fc.option(duration, { nil: undefined }),
        ms,
        (at, srcDur, tgtDur, m) => {
          const value = valueFor({ progressMs: m, durationMs: srcDur }, { durationMs: tgtDur }, cappedPercent(at));
          assert.ok((value.progressPct as number) < at);
          const d = tgtDur ?? srcDur;
          if (d !== undefined) assert.ok(value.progressMs < (at * d) / 100);
        },
      ),
    );
  });
});

describe('the watched point, where a value lands on the target', () => {
  it('landingPercent: ms over the target runtime; a percent-only target stores the percent', () => {
    assert.equal(landingPercent({ progressMs: 5_400_000, progressPct: 10 }, 6_000_000, 'ms'), 90);
    assert.equal(landingPercent({ progressMs: 5_400_000 }, undefined, 'ms'), undefined);
    assert.equal(landingPercent({ progressMs: 5_400_000, progressPct: 85 }, 6_000_000, 'pct'), 85);
    assert.equal(landingPercent({ progressMs: 5_400_000 }, 6_000_000, 'pct'), undefined);
  });

  it('unknownRuntimeSafePercent: half the watched point, never above half of 80', () => {
    assert.deepEqual([90, 80, 60, 33.3333].map(unknownRuntimeSafePercent), [40, 40, 30, 16.667]);
    assert.equal(LOWEST_WATCHED_POINT_PERCENT * UNKNOWN_RUNTIME_SAFE_FRACTION, 40);
  });

  const rows: [string, { progressMs: number; progressPct?: number }, number | undefined, number | undefined, 'ms' | 'pct', boolean][] = [
    ['1 ms under 90 % of the target runtime', { progressMs: 5_399_999 }, 6_000_000, 90, 'ms', false],
    ['exactly at 90 % crosses', { progressMs: 5_400_000 }, 6_000_000, 90, 'ms', true],
    ["a shorter cut: the source's 80 % is 96 % of it", { progressMs: 4_800_000, progressPct: 80 }, 5_000_000, 90, 'ms', true],
    ["a longer cut: the source's 95 % is 79 % of it", { progressMs: 5_700_000, progressPct: 95 }, 7_200_000, 90, 'ms', false],
    ['no watched point: nothing to cross', { progressMs: 9_000_000 }, 100, undefined, 'ms', false],
    ['a watched point of 0 is none', { progressMs: 9_000_000 }, 100, 0, 'ms', false],
    ['a NaN position is not proved below', { progressMs: Number.NaN }, 6_000_000, 90, 'ms', true],
    ['runtime unknown, the percent under the safe bound', { progressMs: 1000, progressPct: 39.999 }, undefined, 90, 'ms', false],
    ['runtime unknown, the percent at the safe bound', { progressMs: 1000, progressPct: 40 }, undefined, 90, 'ms', true],
    ['runtime unknown, a low watched point lowers the bound', { progressMs: 1000, progressPct: 30 }, undefined, 60, 'ms', true],
    ['runtime unknown, no percent', { progressMs: 1000 }, undefined, 90, 'ms', true],
    ['runtime unknown, no position (0 ms)', { progressMs: 0, progressPct: 10 }, undefined, 90, 'ms', true],
    ['percent-only: 79.99 under 80', { progressMs: 0, progressPct: 79.99 }, undefined, 80, 'pct', false],
    ['percent-only: 80 at 80', { progressMs: 0, progressPct: 80 }, undefined, 80, 'pct', true],
    ['percent-only without a percent', { progressMs: 1000 }, 6_000_000, 80, 'pct', true],
  ];
  for (const [name, value, runtime, at, units, want] of rows) {
    it(`crossesWatchedPoint: ${name}`, () => assert.equal(crossesWatchedPoint(value, runtime, at, units), want));
  }
  it('crossesWatchedPoint counts in ms by default', () => {
    assert.equal(crossesWatchedPoint({ progressMs: 5_400_000, progressPct: 10 }, 6_000_000, 90), true);
  });

  it("a capped value is never at or above the target's watched point, for any source and target runtimes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.option(duration, { nil: undefined }), duration, ms, (at, srcDur, tgtDur, m) => {
        const value = valueFor({ progressMs: m, durationMs: srcDur }, { durationMs: tgtDur }, cappedPercent(at));
        return !crossesWatchedPoint(value, tgtDur, at, 'ms') && !crossesWatchedPoint(value, undefined, at, 'pct');
      }),
    );
  });
});

describe('materiallyEqual', () => {
  const rows: [string, PositionSnapshot, PositionSnapshot, boolean][] = [
    ['same ms, same duration', { progressMs: 5000, durationMs: 1_000_000 }, { progressMs: 5000, durationMs: 1_000_000 }, true],
    ['0.1 points apart is equal (inclusive)', { progressMs: 1000, durationMs: 1_000_000 }, { progressMs: 0, durationMs: 1_000_000 }, true],
    ['just over 0.1 points apart', { progressMs: 1001, durationMs: 1_000_000 }, { progressMs: 0, durationMs: 1_000_000 }, false],
    ['just over, the other way round', { progressMs: 0, durationMs: 1_000_000 }, { progressMs: 1001, durationMs: 1_000_000 }, false],
    [
      'exactly at the tolerance with its epsilon (inclusive)',
      { progressMs: 100_000_001, durationMs: 100_000_000_000 },
      { progressMs: 0, durationMs: 100_000_000_000 },
      true,
    ],
    ['percent only, exactly at the tolerance with its epsilon', { progressPct: 0.1 + 1e-9 }, { progressPct: 0 }, true],
    ['binary rounding at 21.1 − 21.0', { progressMs: 211_000, durationMs: 1_000_000 }, { progressMs: 210_000, durationMs: 1_000_000 }, true],
    ['same percent of different durations', { progressMs: 600_000, durationMs: 6_000_000 }, { progressMs: 720_000, durationMs: 7_200_000 }, true],
    ['far apart in ms, same percent', { progressMs: 100_000, durationMs: 1_000_000 }, { progressMs: 1_000_000, durationMs: 10_000_000 }, true],
    ['close in ms, far in percent', { progressMs: 500, durationMs: 1000 }, { progressMs: 600, durationMs: 1000 }, false],
    ['ms only: 1000 ms apart is equal', { progressMs: 6000 }, { progressMs: 5000 }, true],
    ['ms only: 1001 ms apart is not', { progressMs: 6001 }, { progressMs: 5000 }, false],
    ['ms only, the other way round', { progressMs: 5000 }, { progressMs: 6001 }, false],
    ['one duration unknown: compared in ms', { progressMs: 6000, durationMs: 1_000_000 }, { progressMs: 5000 }, true],
    ['one duration unknown: 1001 ms apart', { progressMs: 6001, durationMs: 1_000_000 }, { progressMs: 5000 }, false],
    ['other duration unknown: compared in ms', { progressMs: 5000 }, { progressMs: 5500, durationMs: 1000 }, true],
    ['other duration unknown: 1001 ms apart', { progressMs: 5000 }, { progressMs: 6001, durationMs: 1_000_000 }, false],
    ['percent only: 21.1 and 21.0', { progressPct: 21.1 }, { progressPct: 21 }, true],
    ['percent only: 0.2 apart', { progressPct: 21.2 }, { progressPct: 21 }, false],
    ['percent only, the other way round', { progressPct: 21 }, { progressPct: 21.2 }, false],
    ['percent against ms of a duration', { progressPct: 25 }, { progressMs: 1_500_000, durationMs: 6_000_000 }, true],
    ['ms of a duration against percent', { progressMs: 1_500_000, durationMs: 6_000_000 }, { progressPct: 25.05 }, true],
    ['ms of a duration against a far percent', { progressMs: 1_500_000, durationMs: 6_000_000 }, { progressPct: 30 }, false],
    ['a far percent against ms of a duration', { progressPct: 30 }, { progressMs: 1_500_000, durationMs: 6_000_000 }, false],
    ['ms without a duration against percent: nothing to compare', { progressMs: 1000 }, { progressPct: 0 }, false],
    ['percent against ms without a duration', { progressPct: 0 }, { progressMs: 0 }, false],
    ['nothing against nothing', {}, {}, false],
    ['NaN ms falls back to percent', { progressMs: Number.NaN, progressPct: 10 }, { progressPct: 10 }, true],
  ];
  for (const [name, a, b, want] of rows) {
    it(name, () => assert.equal(materiallyEqual(a, b), want));
  }
  it('is symmetric, and a shift within the tolerance stays equal', () => {
    fc.assert(
      fc.property(ms, fc.option(duration, { nil: undefined }), fc.integer({ min: -3000, max: 3000 }), (m, d, off) => {
        const a = { progressMs: m, durationMs: d };
        const b = { progressMs: m + off, durationMs: d };
        const want = d === undefined ? Math.abs(off) <= 1000 : Math.abs((off * 100) / d) <= 0.1 + 1e-9;
        return materiallyEqual(a, b) === want && materiallyEqual(b, a) === want;
      }),
    );
  });
});

describe('holdsValue', () => {
  const rows: [string, Parameters<typeof holdsValue>[0], Parameters<typeof holdsValue>[1], boolean][] = [
    ['same ms', { progressMs: 5000 }, { progressMs: 5000 }, true],
    ['1000 ms off holds', { progressMs: 6000 }, { progressMs: 5000 }, true],
    ['1001 ms off does not', { progressMs: 6001 }, { progressMs: 5000 }, false],
    ['1001 ms below does not', { progressMs: 3999 }, { progressMs: 5000 }, false],
    ['ms decide even when a percent is there', { progressMs: 9000, progressPct: 25 }, { progressMs: 5000, progressPct: 25 }, false],
    ['a percent-only state within 0.05', { progressPct: 25.04 }, { progressMs: 0, progressPct: 25 }, true],
    ['a percent-only state exactly 0.05 off holds', { progressPct: 0.05 }, { progressMs: 0, progressPct: 0 }, true],
    ['a percent-only state exactly 0.05 below holds', { progressPct: 0 }, { progressMs: 0, progressPct: 0.05 }, true],
    ['a percent-only state exactly at the slack with its epsilon holds (inclusive)', { progressPct: 0.050000001 }, { progressMs: 0, progressPct: 0 }, true],
    ['a percent-only state beyond 0.05', { progressPct: 25.06 }, { progressMs: 0, progressPct: 25 }, false],
    ['a percent-only state beyond 0.05, below', { progressPct: 24.9 }, { progressMs: 0, progressPct: 25 }, false],
    ['a percent-only state, a value without percent', { progressPct: 25 }, { progressMs: 0 }, false],
    ['an empty state', {}, { progressMs: 0 }, false],
  ];
  for (const [name, state, value, want] of rows) {
    it(name, () => assert.equal(holdsValue(state, value), want));
  }
});

describe('holdsWritten: a journalled change, a clear journalled as 0', () => {
  const rows: [string, Parameters<typeof holdsWritten>[0], Parameters<typeof holdsWritten>[1], boolean][] = [
    ['a written position held', { progressMs: 5400 }, { progressMs: 5000 }, true],
    ['a written position not held', { progressMs: 9000 }, { progressMs: 5000 }, false],
    ['a written position, the target emptied', {}, { progressMs: 5000 }, false],
    ['a clear, the target empty', {}, { progressMs: 0 }, true],
    ['a clear, the target at 0', { progressMs: 0 }, { progressMs: 0 }, true],
    ['a clear, the target still holds a position', { progressMs: 1 }, { progressMs: 0 }, false],
    ['a clear, a percent-only target still holds one', { progressPct: 12 }, { progressMs: 0 }, false],
    ['a percent-only write held', { progressPct: 25 }, { progressMs: 0, progressPct: 25 }, true],
  ];
  for (const [name, state, value, want] of rows) {
    it(name, () => assert.equal(holdsWritten(state, value), want));
  }
});

describe('valueFor', () => {
  const rows: [string, Parameters<typeof valueFor>, ReturnType<typeof valueFor>][] = [
    [
      'ms of the source, percent of the source, duration of the target',
      [{ progressMs: 1_500_000, durationMs: 6_000_000, progressAt: 7 }, { durationMs: 7_200_000 }],
      { progressMs: 1_500_000, progressPct: 25, durationMs: 7_200_000, progressAt: 7 },
    ],
    [
      'no target: the source duration',
      [{ progressMs: 1_500_000, durationMs: 6_000_000 }, undefined],
      { progressMs: 1_500_000, progressPct: 25, durationMs: 6_000_000 },
    ],
    [
      'a target without duration: the source duration',
      [{ progressMs: 1_500_000, durationMs: 6_000_000 }, {}],
      { progressMs: 1_500_000, progressPct: 25, durationMs: 6_000_000 },
    ],
    ['no duration anywhere: ms alone', [{ progressMs: 1_500_000 }, {}], { progressMs: 1_500_000 }],
    [
      "ms without the source's duration: percent of the target's",
      [{ progressMs: 1_500_000 }, { durationMs: 3_000_000 }],
      { progressMs: 1_500_000, progressPct: 50, durationMs: 3_000_000 },
    ],
    [
      "percent-only source: ms through the target's duration",
      [{ progressPct: 25, progressAt: 3 }, { durationMs: 4_000_000 }],
      { progressMs: 1_000_000, progressPct: 25, durationMs: 4_000_000, progressAt: 3 },
    ],
    ['percent-only source without any duration: 0 ms, its percent', [{ progressPct: 25 }, {}], { progressMs: 0, progressPct: 25 }],
    ['nothing at all: 0 ms', [{}, undefined], { progressMs: 0 }],
    ['nothing at all, with a duration: 0 ms, 0 percent', [{}, { durationMs: 6_000_000 }], { progressMs: 0, progressPct: 0, durationMs: 6_000_000 }],
    [
      'percent-only source with its own duration: ms through the target duration',
      [{ progressPct: 25, durationMs: 6_000_000 }, { durationMs: 4_000_000 }],
      { progressMs: 1_000_000, progressPct: 25, durationMs: 4_000_000 },
    ],
    [
      'ms and percent: the percent of the ms wins',
      [{ progressMs: 1_500_000, durationMs: 6_000_000, progressPct: 40 }, {}],
      { progressMs: 1_500_000, progressPct: 25, durationMs: 6_000_000 },
    ],
    ['ms and percent without duration: the given percent', [{ progressMs: 1_500_000, progressPct: 40 }, {}], { progressMs: 1_500_000, progressPct: 40 }],
    [
      'percent rounded to three decimals',
      [{ progressMs: 1_000_000, durationMs: 3_000_000 }, undefined],
      { progressMs: 1_000_000, progressPct: 33.333, durationMs: 3_000_000 },
    ],
    ['progressAt 0 is kept', [{ progressMs: 5, progressAt: 0 }, undefined], { progressMs: 5, progressAt: 0 }],
    [
      "capped: the cap percent of the target's duration",
      [{ progressMs: 5_900_000, durationMs: 6_000_000, progressAt: 5 }, { durationMs: 7_200_000 }, 89.5],
      { progressMs: 6_444_000, progressPct: 89.5, durationMs: 7_200_000, progressAt: 5 },
    ],
    [
      'capped without target: the source duration',
      [{ progressMs: 5_900_000, durationMs: 6_000_000 }, undefined, 89.5],
      { progressMs: 5_370_000, progressPct: 89.5, durationMs: 6_000_000 },
    ],
    ['capped without any duration: the source ms', [{ progressMs: 5_900_000 }, undefined, 89.5], { progressMs: 5_900_000, progressPct: 89.5 }],
    ['capped without duration or ms: 0', [{ progressPct: 99 }, {}, 89.5], { progressMs: 0, progressPct: 89.5 }],
    ['capped at 0 percent', [{ progressMs: 5_900_000, durationMs: 6_000_000 }, undefined, 0], { progressMs: 0, progressPct: 0, durationMs: 6_000_000 }],
  ];
  for (const [name, args, want] of rows) {
    it(name, () => assert.deepEqual(valueFor(...args), want));
  }
  it('an uncapped value carries the source position unchanged', () => {
    fc.assert(
      fc.property(ms, fc.option(duration, { nil: undefined }), fc.option(duration, { nil: undefined }), (m, srcDur, tgtDur) => {
        const value = valueFor({ progressMs: m, durationMs: srcDur }, { durationMs: tgtDur });
        return value.progressMs === m && value.durationMs === (tgtDur ?? srcDur);
      }),
    );
  });
});

describe('restoreValue', () => {
  const rows: [string, Parameters<typeof restoreValue>, ReturnType<typeof restoreValue>][] = [
    [
      'the old duration wins over the state',
      [{ progressMs: 1_500_000, durationMs: 6_000_000, progressAt: 7 }, { durationMs: 7_000_000 }],
      { progressMs: 1_500_000, progressPct: 25, durationMs: 6_000_000, progressAt: 7 },
    ],
    [
      'the state duration when the old one is unknown',
      [{ progressMs: 1_500_000 }, { durationMs: 3_000_000 }],
      { progressMs: 1_500_000, progressPct: 50, durationMs: 3_000_000 },
    ],
    ['no duration at all: ms alone', [{ progressMs: 1_500_000 }, {}], { progressMs: 1_500_000 }],
    [
      'percent-only: ms through the duration',
      [{ progressPct: 25 }, { durationMs: 4_000_000 }],
      { progressMs: 1_000_000, progressPct: 25, durationMs: 4_000_000 },
    ],
    ['percent-only without duration: 0 ms, the percent', [{ progressPct: 25 }, {}], { progressMs: 0, progressPct: 25 }],
    [
      'the old percent is kept as it was',
      [{ progressMs: 1_500_000, progressPct: 24.9, durationMs: 6_000_000 }, {}],
      { progressMs: 1_500_000, progressPct: 24.9, durationMs: 6_000_000 },
    ],
    [
      'percent from ms rounded to three decimals',
      [{ progressMs: 1_000_000, durationMs: 3_000_000 }, {}],
      { progressMs: 1_000_000, progressPct: 33.333, durationMs: 3_000_000 },
    ],
    ['nothing: 0 ms', [{}, {}], { progressMs: 0 }],
    ['nothing with a duration: 0 ms, 0 percent', [{}, { durationMs: 1000 }], { progressMs: 0, progressPct: 0, durationMs: 1000 }],
    ['progressAt 0 is kept', [{ progressMs: 5, progressAt: 0 }, {}], { progressMs: 5, progressAt: 0 }],
  ];
  for (const [name, args, want] of rows) {
    it(name, () => assert.deepEqual(restoreValue(...args), want));
  }
});

describe('compareProgress', () => {
  const sign = (n: number): number => Math.sign(n) || 0;
  const rows: [string, Parameters<typeof compareProgress>[0], Parameters<typeof compareProgress>[1], number][] = [
    ['percent against percent', { progressPct: 40 }, { progressPct: 30 }, 1],
    ['percent against percent, behind', { progressPct: 30 }, { progressPct: 40 }, -1],
    ['equal percents', { progressPct: 30 }, { progressPct: 30 }, 0],
    ['percent of own durations, not ms', { progressMs: 1_000_000, durationMs: 2_000_000 }, { progressMs: 1_500_000, durationMs: 6_000_000 }, 1],
    ['percent of own durations, behind', { progressMs: 1_500_000, durationMs: 6_000_000 }, { progressMs: 1_000_000, durationMs: 2_000_000 }, -1],
    ["a side without a duration borrows the other's", { progressMs: 2_400_000 }, { progressPct: 30, durationMs: 6_000_000 }, 1],
    ['borrowed, behind', { progressMs: 1_200_000 }, { progressPct: 30, durationMs: 6_000_000 }, -1],
    ['the other side borrows', { progressPct: 30, durationMs: 6_000_000 }, { progressMs: 1_200_000 }, 1],
    ['a side with its own duration keeps it', { progressMs: 1_000_000, durationMs: 2_000_000 }, { progressPct: 30, durationMs: 6_000_000 }, 1],
    ["own duration, not the other side's", { progressMs: 1_000_000, durationMs: 4_000_000 }, { progressMs: 1_000_000, durationMs: 2_000_000 }, -1],
    ['ms with ms when no duration', { progressMs: 20 }, { progressMs: 10 }, 1],
    ['ms with ms when no duration, behind', { progressMs: 10 }, { progressMs: 20 }, -1],
    ['ms without duration against percent: a tie', { progressMs: 2_400_000 }, { progressPct: 30 }, 0],
    ['percent against ms without duration: a tie', { progressPct: 30 }, { progressMs: 2_400_000 }, 0],
    ['nothing against ms: a tie', {}, { progressMs: 10 }, 0],
    ['ms against nothing: a tie', { progressMs: 10 }, {}, 0],
  ];
  for (const [name, a, b, want] of rows) {
    // Incomparable or equal is exactly 0, so callers may test for it.
    it(name, () => (want === 0 ? assert.equal(compareProgress(a, b), 0) : assert.equal(sign(compareProgress(a, b)), want)));
  }
  it('the difference is in percentage points, or in ms', () => {
    assert.equal(compareProgress({ progressPct: 40 }, { progressPct: 30 }), 10);
    assert.equal(compareProgress({ progressMs: 30 }, { progressMs: 10 }), 20);
  });
  it('is antisymmetric', () => {
    const side = fc.record({
      progressMs: fc.option(ms, { nil: undefined }),
      progressPct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      durationMs: fc.option(duration, { nil: undefined }),
    });
    fc.assert(fc.property(side, side, (a, b) => sign(compareProgress(a, b)) === -sign(compareProgress(b, a))));
  });
});

describe('progressRatio', () => {
  const rows: [Parameters<typeof progressRatio>[0], number | undefined][] = [
    [{ progressMs: 500, durationMs: 1000 }, 0.5],
    [{ progressMs: 0, durationMs: 1000 }, 0],
    [{ progressMs: 500, durationMs: 0 }, undefined],
    [{ progressMs: 500 }, undefined],
    [{ durationMs: 1000 }, undefined],
    [{}, undefined],
  ];
  for (const [r, want] of rows) {
    it(JSON.stringify(r), () => assert.equal(progressRatio(r), want));
  }
});

it('holdsValue: a re-read exactly 0.05 points off in binary arithmetic (25.05 after 25) still confirms', () => {
  assert.equal(holdsValue({ progressPct: 25.05 }, { progressMs: 0, progressPct: 25 }), true);
  assert.equal(holdsValue({ progressPct: 25.06 }, { progressMs: 0, progressPct: 25 }), false);
});
