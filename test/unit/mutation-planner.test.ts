// The planner's rules pinned at their edges (issue 16): each row is a rule's boundary or branch,
// and the properties are the laws the planner promises whatever the numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planAgainst, planLanding, planProgress, planSource } from '../../src/core/planner.ts';
import type { PlanResult } from '../../src/core/planner.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import type { PositionSnapshot } from '../../src/core/model.ts';
import { EPSILON, PERCENT_SLACK, unknownRuntimeSafePercent, valueFor } from '../../src/core/position.ts';

const S = DEFAULT_PROGRESS_SETTINGS;
const DUR = 6_000_000; // 100 min
const settings = (over: Partial<ProgressSettings> = {}): ProgressSettings => ({ ...S, ...over });
const outcome = (r: PlanResult): string => (r.action === 'skip' ? r.reason : 'write');

describe('planSource: the source-only rules at their edges', () => {
  const rows: { name: string; source: PositionSnapshot & { progressPct?: number }; over?: Partial<ProgressSettings>; want: PlanResult }[] = [
    {
      name: 'a negative position is below any minimum',
      source: { progressMs: -5, durationMs: DUR },
      over: { minSeconds: 0 },
      want: { action: 'skip', reason: 'below_minimum', detail: { sourceMs: -5, thresholdMs: 0 } },
    },
    {
      name: 'a negative percent-only position is no position',
      source: { progressPct: -1 },
      want: { action: 'skip', reason: 'below_minimum', detail: { sourceMs: null, thresholdMs: 60_000, note: 'no position' } },
    },
    {
      name: 'a non-finite ms falls back to the percent',
      source: { progressMs: Number.NaN, progressPct: 40 },
      want: { action: 'write', percent: 40 },
    },
    {
      name: 'a non-finite percent is no position',
      source: { progressPct: Number.POSITIVE_INFINITY },
      want: { action: 'skip', reason: 'below_minimum', detail: { sourceMs: null, thresholdMs: 60_000, note: 'no position' } },
    },
    {
      name: 'a percent-only source estimated exactly at the minimum is written',
      source: { progressPct: 2, durationMs: 3_000_000 },
      want: { action: 'write', percent: 2 },
    },
    {
      name: 'a percent-only source estimated 1 ms under the minimum is skipped, with its estimate',
      source: { progressPct: 1.99998, durationMs: 3_000_000 },
      want: { action: 'skip', reason: 'below_minimum', detail: { sourceMs: 59_999, thresholdMs: 60_000, estimated: true } },
    },
    {
      name: 'the minimum follows min_seconds (120 s)',
      source: { progressMs: 119_999, durationMs: DUR },
      over: { minSeconds: 120 },
      want: { action: 'skip', reason: 'below_minimum', detail: { sourceMs: 119_999, thresholdMs: 120_000 } },
    },
    {
      name: 'near_complete without a duration carries the ms but no duration',
      source: { progressMs: 120_000, progressPct: 97 },
      want: { action: 'skip', reason: 'near_complete', detail: { percent: 97, maxPercent: 95, sourceMs: 120_000 } },
    },
    {
      name: 'near_complete of a percent-only source with a runtime carries the duration but no ms',
      source: { progressPct: 96, durationMs: DUR },
      want: { action: 'skip', reason: 'near_complete', detail: { percent: 96, maxPercent: 95, durationMs: DUR } },
    },
    {
      name: 'near_complete rounds its percent to three places',
      source: { progressMs: 5_800_001, durationMs: DUR },
      want: { action: 'skip', reason: 'near_complete', detail: { percent: 96.667, maxPercent: 95, sourceMs: 5_800_001, durationMs: DUR } },
    },
    {
      name: 'the written percent is rounded to three places',
      source: { progressMs: 1_234_567, durationMs: DUR },
      want: { action: 'write', percent: 20.576 },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(planSource(row.source, settings(row.over)), row.want);
      // planProgress without a target is the source plan, whatever the watched point.
      assert.deepEqual(planProgress(row.source, undefined, settings(row.over), { percent: 90, units: 'ms' }), row.want);
    });
  }
});

describe("planLanding: the watched point, in the target's own runtime", () => {
  type Row = {
    name: string;
    source: PositionSnapshot & { progressPct?: number };
    targetDurationMs?: number;
    at?: number;
    units?: 'ms' | 'pct';
    want: PlanResult;
  };
  const rows: Row[] = [
    {
      name: 'a watched point of 0 is no watched point: not capped',
      source: { progressMs: 3_000_000, durationMs: DUR },
      at: 0,
      want: { action: 'write', percent: 50 },
    },
    { name: 'a negative watched point is no watched point', source: { progressMs: 3_000_000 }, at: -10, want: { action: 'write', percent: 50 } },
    { name: 'no watched point known: the plan as it is, runtime or not', source: { progressMs: 9_000_000 }, want: { action: 'write', percent: 50 } },
    {
      name: 'a watched point past max_percent still caps a position landing past it (a shorter cut)',
      source: { progressMs: 5_640_000, durationMs: DUR },
      targetDurationMs: 5_700_000,
      at: 97,
      want: { action: 'write', percent: 96.5, cap: { atPercent: 97, writePercent: 96.5, targetPercent: 98.947 } },
    },
    {
      name: '1 ms under the watched point (80) of the target is written as is',
      source: { progressMs: 4_799_999 },
      targetDurationMs: DUR,
      at: 80,
      want: { action: 'write', percent: 50 },
    },
    {
      name: 'capped at exactly the watched point (80) of the target: held 0.5 below',
      source: { progressMs: 4_800_000 },
      targetDurationMs: DUR,
      at: 80,
      want: { action: 'write', percent: 79.5, cap: { atPercent: 80, writePercent: 79.5, targetPercent: 80 } },
    },
    {
      name: 'the source percent does not decide: 95 % of a longer source lands at 79 % of the target',
      source: { progressMs: 5_700_000, durationMs: DUR },
      targetDurationMs: 7_200_000,
      at: 90,
      want: { action: 'write', percent: 50 },
    },
    {
      name: 'a percent-only target (Trakt) is capped on the percent it stores',
      source: { progressMs: 5_000_000, durationMs: DUR },
      at: 80,
      units: 'pct',
      want: { action: 'write', percent: 79.5, cap: { atPercent: 80, writePercent: 79.5, targetPercent: 83.333 } },
    },
    {
      name: 'a percent-only target with no percent to store: target_runtime_unknown',
      source: { progressMs: 5_000_000 },
      at: 80,
      units: 'pct',
      want: { action: 'skip', reason: 'target_runtime_unknown', detail: { safeBelowPercent: 40, watchedAtPercent: 80 } },
    },
    {
      name: 'no runtime on either side: target_runtime_unknown, with no source percent',
      source: { progressMs: 9_000_000 },
      at: 90,
      want: { action: 'skip', reason: 'target_runtime_unknown', detail: { safeBelowPercent: 40, watchedAtPercent: 90 } },
    },
    {
      name: 'target runtime unknown, the source at the safe bound (40 % = half of 80): not written',
      source: { progressMs: 2_400_000, durationMs: DUR },
      at: 90,
      want: { action: 'skip', reason: 'target_runtime_unknown', detail: { sourcePercent: 40, safeBelowPercent: 40, watchedAtPercent: 90 } },
    },
    {
      name: 'target runtime unknown, the source just under the safe bound: written',
      source: { progressMs: 2_399_000, durationMs: DUR },
      at: 90,
      want: { action: 'write', percent: 50 },
    },
    {
      name: 'the safe bound follows a watched point under 80 (60 → 30 %)',
      source: { progressMs: 1_800_000, durationMs: DUR },
      at: 60,
      want: { action: 'skip', reason: 'target_runtime_unknown', detail: { sourcePercent: 30, safeBelowPercent: 30, watchedAtPercent: 60 } },
    },
  ];
  const plan = { action: 'write' as const, percent: 50 };
  for (const row of rows) {
    it(row.name, () => {
      const value = valueFor(row.source, row.targetDurationMs !== undefined ? { durationMs: row.targetDurationMs } : undefined);
      assert.deepEqual(planLanding(plan, value, row.targetDurationMs, { percent: row.at, units: row.units ?? 'ms' }), row.want);
    });
  }
});

describe('planAgainst / planProgress: unchanged at its edges', () => {
  const src = { progressMs: 1_000_000, durationMs: DUR };

  it('a target at 0 holds no position: written whatever the delta', () => {
    assert.equal(outcome(planProgress(src, { progressMs: 0, durationMs: DUR }, settings({ deltaSeconds: 10_000 }))), 'write');
    assert.equal(outcome(planProgress(src, { progressMs: -1, durationMs: DUR }, settings({ deltaSeconds: 10_000 }))), 'write');
  });

  it('a percent-only target at 0 % holds no position', () => {
    assert.equal(outcome(planProgress({ progressPct: 0.05 }, { progressPct: 0 }, S)), 'write');
    assert.equal(outcome(planProgress({ progressPct: 0.05 }, { progressPct: 0.01 }, S)), 'unchanged');
  });

  it("a target ms without a duration falls back to the target's percent against a percent-only source", () => {
    assert.equal(outcome(planProgress({ progressPct: 50 }, { progressMs: 3_000_000, progressPct: 50.05 }, S)), 'unchanged');
    assert.equal(outcome(planProgress({ progressPct: 50 }, { progressMs: 3_000_000, progressPct: 60 }, S)), 'write');
  });

  it('a target with ms and a duration is compared in percent with a percent-only source', () => {
    assert.deepEqual(planProgress({ progressPct: 50.02 }, { progressMs: 3_000_000, durationMs: DUR }, S), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourcePercent: 50.02, targetPercent: 50, deltaPercent: 0.02, thresholdPercent: 0.1 },
    });
  });

  it('percent comparison is symmetric: 0.1 points either way is a change, 0.09 is not', () => {
    const t = { progressPct: 50 };
    assert.equal(outcome(planProgress({ progressPct: 50.1 }, t, S)), 'write');
    assert.equal(outcome(planProgress({ progressPct: 49.9 }, t, S)), 'write');
    assert.equal(outcome(planProgress({ progressPct: 50.09 }, t, S)), 'unchanged');
    assert.equal(outcome(planProgress({ progressPct: 49.91 }, t, S)), 'unchanged');
  });

  it('the percent slack is exclusive: a difference of exactly the slack (less its rounding guard) is a change', () => {
    const slack = PERCENT_SLACK - EPSILON;
    assert.equal(Math.abs(1 + slack - 1), slack); // exact in binary at this magnitude
    assert.equal(outcome(planProgress({ progressPct: 1 + slack }, { progressPct: 1 }, S)), 'write');
    assert.equal(outcome(planProgress({ progressPct: 1 + slack - 1e-9 }, { progressPct: 1 }, S)), 'unchanged');
  });

  it('the unchanged percent detail is rounded to three places', () => {
    assert.deepEqual(planProgress({ progressPct: 50.0123456 }, { progressPct: 49.9876543 }, S), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourcePercent: 50.012, targetPercent: 49.988, deltaPercent: 0.025, thresholdPercent: 0.1 },
    });
  });

  it('replay with an unwatched target still checks unchanged', () => {
    assert.equal(outcome(planProgress(src, { progressMs: 1_000_000, durationMs: DUR, watched: false }, settings({ replay: true }))), 'unchanged');
    assert.equal(outcome(planProgress(src, { progressMs: 1_000_000, durationMs: DUR }, settings({ replay: true }))), 'unchanged');
  });

  it('a watched target without replay is still compared', () => {
    assert.equal(outcome(planProgress(src, { progressMs: 1_000_000, durationMs: DUR, watched: true }, S)), 'unchanged');
  });

  it('the delta follows delta_seconds (60 s)', () => {
    assert.deepEqual(planProgress(src, { progressMs: 1_059_999, durationMs: DUR }, settings({ deltaSeconds: 60 })), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourceMs: 1_000_000, targetMs: 1_059_999, deltaMs: 59_999, thresholdMs: 60_000 },
    });
    assert.equal(outcome(planProgress(src, { progressMs: 1_060_000, durationMs: DUR }, settings({ deltaSeconds: 60 }))), 'write');
  });

  it('planAgainst returns the plan itself when the target differs', () => {
    const plan = { action: 'write' as const, percent: 16.667 };
    assert.deepEqual(planAgainst(plan, src, { progressMs: 2_000_000, durationMs: DUR }, S), plan);
  });
});

describe('planAgainst: a capped plan is compared at its capped position', () => {
  const source = { progressMs: 5_600_000, durationMs: DUR };
  const capped = { action: 'write' as const, percent: 89.5, cap: { atPercent: 90, writePercent: 89.5, targetPercent: 93.333 } };

  it("in the target's own duration when it has one", () => {
    // 89.5 % of 8 000 000 = 7 160 000.
    const near = planAgainst(capped, source, { progressMs: 7_150_000, durationMs: 8_000_000 }, S);
    assert.deepEqual(near, { action: 'skip', reason: 'unchanged', detail: { sourceMs: 7_160_000, targetMs: 7_150_000, deltaMs: 10_000, thresholdMs: 30_000 } });
    // The source's own ms equals this target's, but the capped value does not: written.
    assert.equal(outcome(planAgainst(capped, source, { progressMs: 5_600_000, durationMs: 8_000_000 }, S)), 'write');
  });

  it("in the source's duration when the target has none", () => {
    // 89.5 % of 6 000 000 = 5 370 000.
    assert.deepEqual(planAgainst(capped, source, { progressMs: 5_360_000 }, S), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourceMs: 5_370_000, targetMs: 5_360_000, deltaMs: 10_000, thresholdMs: 30_000 },
    });
    assert.equal(outcome(planAgainst(capped, source, { progressMs: 5_600_000 }, S)), 'write');
  });

  it('at the value the caller computed, when given', () => {
    const given = { progressMs: 7_160_000, progressPct: 89.5, durationMs: 8_000_000 };
    assert.equal(outcome(planAgainst(capped, source, { progressMs: 7_150_000, durationMs: 8_000_000 }, S, given)), 'unchanged');
    // A given value is used as is: not recomputed from the durations.
    const other = { progressMs: 1_000_000, progressPct: 89.5, durationMs: 8_000_000 };
    assert.equal(outcome(planAgainst(capped, source, { progressMs: 7_150_000, durationMs: 8_000_000 }, S, other)), 'write');
  });

  it('a given value without a duration has no ms: compared in percent', () => {
    const given = { progressMs: 5_600_000, progressPct: 89.5 };
    // The target holds 89.45 %: within 0.1 points of the capped 89.5.
    assert.deepEqual(planAgainst(capped, { progressPct: 93 }, { progressPct: 89.45 }, S, given), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourcePercent: 89.5, targetPercent: 89.45, deltaPercent: 0.05, thresholdPercent: 0.1 },
    });
    // Same ms as the target, but without a duration that ms is not the value: the percent decides.
    assert.equal(outcome(planAgainst(capped, { progressPct: 93 }, { progressMs: 5_600_000, progressPct: 80 }, S, given)), 'write');
  });

  it('without any duration, a capped plan is compared by its percent, not the source ms', () => {
    // Source ms equals the target ms, but the write would be at 89.5 %, not the source's 93 %.
    assert.equal(outcome(planAgainst(capped, { progressMs: 5_000_000, progressPct: 93 }, { progressMs: 5_000_000, progressPct: 93 }, S)), 'write');
    assert.equal(outcome(planAgainst(capped, { progressMs: 5_000_000, progressPct: 93 }, { progressPct: 89.5 }, S)), 'unchanged');
  });
});

describe('planner laws', () => {
  const duration = fc.integer({ min: 60_000, max: 36_000_000 });
  const fraction = fc.double({ min: 0, max: 1, noNaN: true });

  const maybe = (a: fc.Arbitrary<number>) => fc.option(a, { nil: undefined });

  it("a write never lands at or past the target's watched point in the TARGET's runtime, whatever the source's; nothing at or past max_percent is written", () => {
    fc.assert(
      fc.property(
        duration,
        maybe(duration),
        maybe(duration),
        fraction,
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 50, max: 100 }),
        (d, sd, td, f, completion, maxPercent) => {
          const source = { progressMs: Math.round(d * f), ...(sd !== undefined ? { durationMs: sd } : {}) };
          const target = td !== undefined ? { durationMs: td } : {};
          const r = planProgress(source, target, settings({ maxPercent, minSeconds: 0 }), { percent: completion, units: 'ms' });
          if (r.action !== 'write') return true;
          const sourcePct = sd !== undefined ? (source.progressMs * 100) / sd : undefined;
          if (sourcePct !== undefined && sourcePct >= maxPercent) return false;
          const value = valueFor(source, target, r.cap?.writePercent);
          if (td === undefined) return sourcePct !== undefined && sourcePct < unknownRuntimeSafePercent(completion) && r.cap === undefined;
          return (value.progressMs * 100) / td < completion && (r.cap !== undefined) === source.progressMs * 100 >= completion * td;
        },
      ),
    );
  });

  it('a capped write is always 0.5 points under the watched point', () => {
    fc.assert(
      fc.property(duration, duration, fraction, fc.integer({ min: 1, max: 94 }), (d, td, f, completion) => {
        const r = planProgress({ progressMs: Math.round(d * f), durationMs: d }, { durationMs: td }, S, { percent: completion, units: 'ms' });
        return (
          r.action !== 'write' ||
          r.cap === undefined ||
          (r.cap.atPercent === completion && r.cap.writePercent === completion - 0.5 && r.percent === completion - 0.5)
        );
      }),
    );
  });

  it('unchanged is symmetric: swapping source and target ms gives the same verdict', () => {
    const ms = fc.integer({ min: 60_000, max: 5_000_000 });
    fc.assert(
      fc.property(ms, ms, fc.integer({ min: 0, max: 600 }), (a, b, delta) => {
        const s = settings({ deltaSeconds: delta });
        const ab = outcome(planProgress({ progressMs: a, durationMs: DUR }, { progressMs: b, durationMs: DUR }, s));
        const ba = outcome(planProgress({ progressMs: b, durationMs: DUR }, { progressMs: a, durationMs: DUR }, s));
        return ab === ba && (ab === 'unchanged') === (a === b || Math.abs(a - b) < delta * 1000);
      }),
    );
  });

  it('a source without a position never asks for anything but a skip, whatever the target', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DUR }), fc.boolean(), (t, watched) => {
        const r = planProgress({ progressMs: 0, durationMs: DUR }, { progressMs: t, durationMs: DUR, watched }, settings({ minSeconds: 0, replay: true }));
        return r.action === 'skip' && r.reason === 'below_minimum';
      }),
    );
  });
});
