import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planProgress } from '../../src/core/planner.ts';
import { percentOf } from '../../src/core/position.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';

const S = DEFAULT_PROGRESS_SETTINGS;
const MIN = 60_000;
const DUR = 6_000_000; // 100 min
const with_ = (over: Partial<ProgressSettings>): ProgressSettings => ({ ...S, ...over });

describe('DEFAULT_PROGRESS_SETTINGS', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(S, {
      enable: true,
      add: true,
      remove: false,
      minSeconds: 60,
      deltaSeconds: 30,
      maxPercent: 95,
      toleranceSeconds: 30,
      replay: false,
      finish: 'mark_watched',
      finishLookbackDays: 14,
    });
  });
});

describe('planProgress: below_minimum', () => {
  it('writes exactly min_seconds', () => {
    assert.deepEqual(planProgress({ progressMs: 60_000, durationMs: DUR }, undefined, S), { action: 'write', percent: 1 });
  });

  it('skips 59.999 s', () => {
    assert.deepEqual(planProgress({ progressMs: 59_999, durationMs: DUR }, undefined, S), {
      action: 'skip',
      reason: 'below_minimum',
      detail: { sourceMs: 59_999, thresholdMs: 60_000 },
    });
  });

  it('skips a zero position even with min_seconds 0', () => {
    const r = planProgress({ progressMs: 0, durationMs: DUR }, undefined, with_({ minSeconds: 0 }));
    assert.equal(r.action === 'skip' && r.reason, 'below_minimum');
  });

  it('skips a zero ms position even when a percent is given', () => {
    const r = planProgress({ progressMs: 0, progressPct: 20 }, undefined, S);
    assert.equal(r.action === 'skip' && r.reason, 'below_minimum');
  });

  it('skips a source with no position at all', () => {
    assert.deepEqual(planProgress({}, undefined, S), {
      action: 'skip',
      reason: 'below_minimum',
      detail: { sourceMs: null, thresholdMs: 60_000, note: 'no position' },
    });
    const r = planProgress({ progressPct: 0 }, undefined, S);
    assert.equal(r.action === 'skip' && r.reason, 'below_minimum');
  });

  it('does not filter a percent-only source', () => {
    assert.deepEqual(planProgress({ progressPct: 0.5 }, undefined, S), { action: 'write', percent: 0.5 });
  });

  it('honours min_seconds 0: one millisecond is enough', () => {
    assert.deepEqual(planProgress({ progressMs: 1 }, undefined, with_({ minSeconds: 0 })), { action: 'write' });
  });
});

describe('planProgress: near_complete', () => {
  it('skips exactly 95 %', () => {
    assert.deepEqual(planProgress({ progressMs: 5_700_000, durationMs: DUR }, undefined, S), {
      action: 'skip',
      reason: 'near_complete',
      detail: { percent: 95, maxPercent: 95, sourceMs: 5_700_000, durationMs: DUR },
    });
  });

  it('writes 94.99 %', () => {
    assert.deepEqual(planProgress({ progressMs: 5_699_400, durationMs: DUR }, undefined, S), { action: 'write', percent: 94.99 });
  });

  it("holds a position at or past the target's watched point (Plex 90) just below it: capped", () => {
    // The cap is decided where the position lands on the target: the same runtime here.
    const plex = { percent: 90, units: 'ms' as const };
    const target = { durationMs: DUR };
    assert.deepEqual(planProgress({ progressMs: 5_400_000, durationMs: DUR }, target, S, plex), {
      action: 'write',
      percent: 89.5,
      cap: { atPercent: 90, writePercent: 89.5, targetPercent: 90 },
    });
    assert.deepEqual(planProgress({ progressMs: 5_680_000, durationMs: DUR }, target, S, plex), {
      action: 'write',
      percent: 89.5,
      cap: { atPercent: 90, writePercent: 89.5, targetPercent: 94.667 },
    });
    assert.deepEqual(planProgress({ progressMs: 5_399_999, durationMs: DUR }, target, S, plex), { action: 'write', percent: 90 }); // (rounded to 3 places; not capped)
    // At max_percent it is finished, cap or not.
    assert.equal(planProgress({ progressMs: 5_700_000, durationMs: DUR }, target, S, plex).action, 'skip');
  });

  it("caps on the TARGET's runtime: a shorter cut, or a source without a runtime", () => {
    const plex = { percent: 90, units: 'ms' as const };
    // 80 % of the source's 100 min is 80 min: 96 % of an 83⅓-minute cut. Capped at 89.5 % of the cut.
    const shorter = planProgress({ progressMs: 4_800_000, durationMs: DUR }, { durationMs: 5_000_000 }, S, plex);
    assert.deepEqual(shorter, { action: 'write', percent: 89.5, cap: { atPercent: 90, writePercent: 89.5, targetPercent: 96 } });
    // No source runtime: the target's decides.
    const noSourceRuntime = planProgress({ progressMs: 5_500_000 }, { durationMs: DUR }, S, plex);
    assert.deepEqual(noSourceRuntime, { action: 'write', cap: { atPercent: 90, writePercent: 89.5, targetPercent: 91.667 }, percent: 89.5 });
    // Neither runtime: not written, even when the target holds the same ms (never `unchanged`).
    const neither = planProgress({ progressMs: 5_500_000 }, {}, S, plex);
    assert.equal(neither.action === 'skip' && neither.reason, 'target_runtime_unknown');
    const same = planProgress({ progressMs: 5_500_000 }, { progressMs: 5_500_000 }, S, plex);
    assert.equal(same.action === 'skip' && same.reason, 'target_runtime_unknown');
  });

  it('a capped write is unchanged when the target already holds the capped position', () => {
    const plex = { percent: 90, units: 'ms' as const };
    const target = { progressMs: Math.round(0.895 * DUR) - 10_000, durationMs: DUR };
    const r = planProgress({ progressMs: 5_600_000, durationMs: DUR }, target, S, plex);
    assert.equal(r.action === 'skip' && r.reason, 'unchanged');
    const far = planProgress({ progressMs: 5_600_000, durationMs: DUR }, { progressMs: 3_000_000, durationMs: DUR }, S, plex);
    assert.equal(far.action, 'write');
  });

  it('keeps the pair max when the target completes later', () => {
    const r = planProgress({ progressMs: 5_640_000, durationMs: DUR }, { durationMs: DUR }, with_({ maxPercent: 80 }), { percent: 90, units: 'ms' });
    assert.deepEqual(r, {
      action: 'skip',
      reason: 'near_complete',
      detail: { percent: 94, maxPercent: 80, sourceMs: 5_640_000, durationMs: DUR },
    });
  });

  it('uses the percent of a percent-only source', () => {
    const r = planProgress({ progressPct: 96 }, undefined, S);
    assert.deepEqual(r, { action: 'skip', reason: 'near_complete', detail: { percent: 96, maxPercent: 95 } });
  });

  it('uses the given percent when ms is known but the duration is not', () => {
    const r = planProgress({ progressMs: 120_000, progressPct: 97 }, undefined, S);
    assert.equal(r.action === 'skip' && r.reason, 'near_complete');
  });

  it('cannot tell without a duration or percent, so writes', () => {
    assert.deepEqual(planProgress({ progressMs: 9_000_000 }, undefined, S), { action: 'write' });
  });

  it('honours max_percent 100: only a finished item is near complete', () => {
    assert.equal(planProgress({ progressMs: 5_999_999, durationMs: DUR }, undefined, with_({ maxPercent: 100 })).action, 'write');
    assert.equal(planProgress({ progressMs: DUR, durationMs: DUR }, undefined, with_({ maxPercent: 100 })).action, 'skip');
  });
});

describe('planProgress: unchanged', () => {
  const src = { progressMs: 1_000_000, durationMs: DUR };

  it('writes a difference of exactly delta_seconds', () => {
    assert.deepEqual(planProgress(src, { progressMs: 970_000, durationMs: DUR }, S).action, 'write');
    assert.deepEqual(planProgress(src, { progressMs: 1_030_000, durationMs: DUR }, S).action, 'write');
  });

  it('skips 29.999 s', () => {
    assert.deepEqual(planProgress(src, { progressMs: 970_001, durationMs: DUR }, S), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourceMs: 1_000_000, targetMs: 970_001, deltaMs: 29_999, thresholdMs: 30_000 },
    });
  });

  it('honours delta_seconds 0: any difference writes, equal stays unchanged', () => {
    const zero = with_({ deltaSeconds: 0 });
    assert.equal(planProgress(src, { progressMs: 999_999 }, zero).action, 'write');
    assert.deepEqual(planProgress(src, { progressMs: 1_000_000 }, zero), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourceMs: 1_000_000, targetMs: 1_000_000, deltaMs: 0, thresholdMs: 0 },
    });
  });

  it('writes when the target has no position (absent, zero, or no target)', () => {
    assert.equal(planProgress(src, {}, S).action, 'write');
    assert.equal(planProgress(src, { progressMs: 0, durationMs: DUR }, S).action, 'write');
    assert.equal(planProgress({ progressMs: 61_000 }, { progressMs: 0 }, S).action, 'write');
  });

  it('compares percents when the source is percent-only', () => {
    assert.deepEqual(planProgress({ progressPct: 50.05 }, { progressMs: 3_000_000, durationMs: DUR }, S), {
      action: 'skip',
      reason: 'unchanged',
      detail: { sourcePercent: 50.05, targetPercent: 50, deltaPercent: 0.05, thresholdPercent: 0.1 },
    });
    assert.equal(planProgress({ progressPct: 50.1 }, { progressMs: 3_000_000, durationMs: DUR }, S).action, 'write');
  });

  it('compares percents when the target is percent-only', () => {
    const r = planProgress({ progressMs: 3_000_000, durationMs: DUR }, { progressPct: 50.09 }, S);
    assert.equal(r.action === 'skip' && r.reason, 'unchanged');
    assert.equal(planProgress({ progressMs: 3_000_000, durationMs: DUR }, { progressPct: 49.9 }, S).action, 'write');
  });

  it('writes a percent-only source when the target percent cannot be known', () => {
    assert.equal(planProgress({ progressPct: 50 }, { progressMs: 3_000_000 }, S).action, 'write');
  });

  it('does not call a watched target unchanged when replaying', () => {
    const target = { progressMs: 1_000_000, durationMs: DUR, watched: true };
    assert.equal(planProgress(src, target, S).action, 'skip');
    assert.equal(planProgress(src, target, with_({ replay: true })).action, 'write');
  });

  it('has no clear outcome: a source below the minimum never asks to clear the target', () => {
    const r = planProgress({ progressMs: 0 }, { progressMs: 1_000_000 }, S);
    assert.equal(r.action, 'skip');
  });
});

describe('percentOf', () => {
  it('prefers ms/duration, else the given percent', () => {
    assert.equal(percentOf({ progressMs: 5_700_000, durationMs: DUR }), 95);
    assert.equal(percentOf({ progressMs: 5_700_000, durationMs: DUR, progressPct: 10 }), 95);
    assert.equal(percentOf({ progressMs: 5_700_000, progressPct: 10 }), 10);
    assert.equal(percentOf({ progressMs: 5_700_000, durationMs: 0 }), undefined);
  });
});

describe('planProgress: first match wins', () => {
  it('reports below_minimum before near_complete', () => {
    const r = planProgress({ progressMs: 50_000, durationMs: 52_000 }, undefined, S);
    assert.equal(r.action === 'skip' && r.reason, 'below_minimum');
  });

  it('reports near_complete before unchanged', () => {
    const r = planProgress({ progressMs: 5_800_000, durationMs: DUR }, { progressMs: 5_800_000, durationMs: DUR }, S);
    assert.equal(r.action === 'skip' && r.reason, 'near_complete');
  });

  it('uses MIN as the default threshold', () => {
    assert.equal(S.minSeconds * 1000, MIN);
  });
});

describe('planProgress: percent-only sources', () => {
  it('a percent-only source with a known runtime is held to the minimum by its estimated seconds', () => {
    // 0.9 % of 100 min = 54 s: under 60 s.
    const r = planProgress({ progressPct: 0.9, durationMs: DUR }, undefined, S);
    assert.equal(r.action === 'skip' && r.reason, 'below_minimum');
    assert.deepEqual(r.action === 'skip' && r.detail, { sourceMs: 54_000, thresholdMs: MIN, estimated: true });
    // 1 % = 60 s: written.
    assert.equal(planProgress({ progressPct: 1, durationMs: DUR }, undefined, S).action, 'write');
  });

  it('without a runtime a percent-only source is not filtered by seconds', () => {
    assert.equal(planProgress({ progressPct: 0.5 }, undefined, S).action, 'write');
  });
});
