// One item's decision pinned end to end (issue 16): the order of the rules, the value written
// (capped in the target's duration), the flags handed to the applier, and the law that a
// write never crosses the target's own "watched" point.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideItem, displayTitle, planItem, planSourceOf, summarise } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import type { Decision } from '../../src/core/model.ts';
import { AT, DUR, decideInput as input, record, target } from '../support/decide-fixtures.ts';

const settings = (over: Partial<ProgressSettings> = {}): ProgressSettings => ({ ...DEFAULT_PROGRESS_SETTINGS, ...over });

describe('planItem: resolution', () => {
  it('an unresolved item is skipped even when a target state was passed', () => {
    const d = decideItem(input({ resolution: 'unresolved', unresolvedDetail: 'gone' }));
    assert.deepEqual([d.action, d.reason, d.detail], ['skip', 'unresolved', { unresolved: 'gone' }]);
  });

  it('an unresolved item without a provider detail has an empty detail', () => {
    const { decision, write } = planItem(input({ resolution: 'unresolved', target: undefined }));
    assert.deepEqual([decision.reason, decision.detail, write], ['unresolved', {}, undefined]);
  });

  it('missing ids win over a target state that was passed', () => {
    const { decision, write } = planItem(input({ resolution: 'missing_ids' }));
    assert.deepEqual([decision.reason, decision.detail, write], ['missing_ids', { ref: '101', provider: 'plex-home' }, undefined]);
    // The target it was given is still shown.
    assert.deepEqual(decision.target, { progressMs: 600_000, durationMs: DUR, progressAt: AT - 3_600_000, watched: false });
  });

  it('a skip carries no write', () => {
    assert.equal(planItem(input({ target: target({ playingNow: true }) })).write, undefined);
    assert.equal(planItem(input({ target: target({ progressMs: 1_200_000 }) })).write, undefined);
  });
});

describe('planItem: the policy it is handed', () => {
  it('the policy skip keeps its detail', () => {
    const d = decideItem(input({ target: target({ progressAt: AT + 60_000 }) }));
    assert.deepEqual([d.action, d.reason, d.detail], ['skip', 'target_newer', { sourceAt: AT, targetAt: AT + 60_000, aheadMs: 60_000, toleranceMs: 30_000 }]);
  });

  it('a still target (two-way) is not judged by its time', () => {
    const newer = target({ progressAt: AT + 86_400_000 });
    assert.equal(decideItem(input({ target: newer })).reason, 'target_newer');
    assert.equal(decideItem(input({ target: newer, targetStill: true })).reason, 'write');
    assert.equal(decideItem(input({ target: newer, targetStill: false })).reason, 'target_newer');
  });

  it('sameOrigin is passed as given', () => {
    assert.equal(decideItem(input({ sameOrigin: false })).reason, 'write');
    assert.equal(decideItem(input({ sameOrigin: true })).reason, 'same_origin');
  });

  it('replay is taken from the settings', () => {
    const watched = target({ watched: true, playCount: 1, progressAt: AT - 60_000 });
    assert.equal(decideItem(input({ target: watched })).reason, 'already_watched');
    const d = decideItem(input({ target: watched, settings: settings({ replay: true }) }));
    assert.deepEqual([d.reason, d.unwatchFirst], ['write', true]);
  });

  it('the tolerance is the pair setting in seconds', () => {
    const t = target({ progressAt: AT + 90_000 });
    assert.equal(decideItem(input({ target: t, settings: settings({ toleranceSeconds: 89 }) })).reason, 'target_newer');
    assert.equal(decideItem(input({ target: t, settings: settings({ toleranceSeconds: 90 }) })).reason, 'write');
  });
});

describe('planItem: capped writes', () => {
  // Plex marks watched at 90 %; the source is at 93 % of its runtime (DUR).
  const source = record({ progressMs: 5_580_000 });

  it("writes capped in the target's duration, with the full detail and the write", () => {
    // A shorter cut: 5 580 000 ms is 96.2 % of it.
    const t = target({ durationMs: 5_800_000, progressMs: 1_000_000 });
    const { decision, write } = planItem(input({ source, target: t, targetCompletionPercent: 90 }));
    assert.deepEqual(
      [decision.action, decision.reason, decision.detail],
      ['write', 'capped', { percent: 89.5, capAtPercent: 90, writePercent: 89.5, sourcePercent: 93, targetPercent: 96.207 }],
    );
    assert.deepEqual(write?.change, {
      kind: 'write',
      value: { progressMs: 5_191_000, progressPct: 89.5, durationMs: 5_800_000, progressAt: AT },
      unwatchFirst: false,
    });
    assert.equal(write?.decision, decision);
    assert.equal(write?.key, 'imdb:tt0111161');
    assert.equal(write?.targetDurationMs, 5_800_000);
  });

  it("the source's 93 % on a longer target lands at 69.75 %: written as is, not capped", () => {
    const t = target({ durationMs: 8_000_000, progressMs: 1_000_000 });
    const { decision, write } = planItem(input({ source, target: t, targetCompletionPercent: 90 }));
    assert.deepEqual([decision.reason, write?.change.kind === 'write' && write.change.value.progressMs], ['write', 5_580_000]);
  });

  it('a capped write already held by the target is unchanged (compared in the target duration)', () => {
    const t = target({ durationMs: 5_800_000, progressMs: 5_181_000 });
    const d = decideItem(input({ source, target: t, targetCompletionPercent: 90 }));
    assert.deepEqual([d.reason, d.detail], ['unchanged', { sourceMs: 5_191_000, targetMs: 5_181_000, deltaMs: 10_000, thresholdMs: 30_000 }]);
  });

  it('an ms target without a runtime: target_runtime_unknown unless safely low', () => {
    const t = target({ durationMs: undefined, progressMs: 1_000_000 });
    const { decision, write } = planItem(input({ source, target: t, targetCompletionPercent: 90 }));
    assert.deepEqual(
      [decision.reason, decision.detail, write],
      ['target_runtime_unknown', { sourcePercent: 93, safeBelowPercent: 40, watchedAtPercent: 90 }, undefined],
    );
    const low = planItem(input({ source: record({ progressMs: 2_300_000 }), target: t, targetCompletionPercent: 90 }));
    assert.equal(low.decision.reason, 'write');
    assert.equal(low.write !== undefined && 'targetDurationMs' in low.write, false);
  });

  it('the policy compares the capped value, not the source position', () => {
    // The target holds the source's 93 % exactly but not the capped 89.5 %: written (back) to 89.5.
    const t = target({ progressMs: 5_580_000, progressAt: AT - 60_000 });
    const d = decideItem(input({ source, target: t, settings: settings({ deltaSeconds: 0 }), targetCompletionPercent: 90 }));
    assert.equal(d.reason, 'capped');
    // And the capped value held within the policy's slack is unchanged there (delta 0 lets it past the planner).
    const held = target({ progressMs: 5_372_000, progressAt: AT - 60_000 });
    const u = decideItem(input({ source, target: held, settings: settings({ deltaSeconds: 0 }), targetCompletionPercent: 90 }));
    assert.deepEqual([u.reason, u.detail], ['unchanged', { sourceMs: 5_370_000, targetMs: 5_372_000 }]);
  });

  it('a capped value without any duration has no ms: the policy compares its percent', () => {
    // Percent-only source at 93 %, percent-only target without a duration at 89.5 %.
    const src = record({ progressMs: undefined, durationMs: undefined, progressPct: 93 });
    const t = target({ progressMs: undefined, durationMs: undefined, progressPct: 89.45, progressAt: AT - 60_000 });
    const d = decideItem(input({ source: src, target: t, targetCompletionPercent: 90, targetUnits: 'pct' }));
    assert.equal(d.reason, 'unchanged');
    // A target at 80 % is moved to the capped 89.5 %, and the value written carries the percent.
    const far = target({ progressMs: undefined, durationMs: undefined, progressPct: 80, progressAt: AT - 60_000 });
    const { decision, write } = planItem(input({ source: src, target: far, targetCompletionPercent: 90, targetUnits: 'pct' }));
    assert.equal(decision.reason, 'capped');
    assert.deepEqual(write?.change, { kind: 'write', value: { progressMs: 0, progressPct: 89.5, progressAt: AT }, unwatchFirst: false });
  });

  it('a capped value without a duration: the policy does not compare its placeholder ms', () => {
    // The capped value's ms falls back to the source ms (no duration); the target holds that ms
    // without a time, so were it compared it would look "the same". It is not: 89.5 % is written.
    const src = record({ progressMs: 5_580_000, durationMs: undefined, progressPct: 93 });
    const t = target({ progressMs: 5_580_000, durationMs: undefined, progressPct: 93, progressAt: AT - 60_000 });
    const d = decideItem(input({ source: src, target: t, settings: settings({ deltaSeconds: 0 }), targetCompletionPercent: 90, targetUnits: 'pct' }));
    assert.equal(d.reason, 'capped');
    // On an ms target, no runtime on either side: where it lands is unknown, so it is not written.
    assert.equal(
      decideItem(input({ source: src, target: t, settings: settings({ deltaSeconds: 0 }), targetCompletionPercent: 90 })).reason,
      'target_runtime_unknown',
    );
  });

  it('a replayed, watched target gets the capped value with unwatchFirst, and no expectWatched', () => {
    const t = target({ watched: true, playCount: 1, progressMs: 0 });
    const { decision, write } = planItem(input({ source, target: t, settings: settings({ replay: true }), targetCompletionPercent: 90 }));
    assert.deepEqual(
      [decision.reason, decision.detail],
      ['capped', { percent: 89.5, capAtPercent: 90, writePercent: 89.5, sourcePercent: 93, targetPercent: 93, unwatchFirst: true }],
    );
    assert.equal(write?.change.kind === 'write' && write.change.unwatchFirst, true);
    assert.equal(write !== undefined && 'expectWatched' in write, false);
  });
});

describe('planItem: plain writes', () => {
  it('a write without a known percent has an empty detail', () => {
    const src = record({ durationMs: undefined });
    const t = target({ durationMs: undefined, progressMs: 100_000 });
    const d = decideItem(input({ source: src, target: t }));
    assert.deepEqual([d.action, d.reason, d.detail, d.unwatchFirst], ['write', 'write', {}, false]);
  });

  it('a replayed, watched target: unwatchFirst on the decision and the write, no expectWatched', () => {
    const t = target({ watched: true, playCount: 2, progressAt: AT + 60_000 });
    const { decision, write } = planItem(input({ target: t, settings: settings({ replay: true }) }));
    assert.deepEqual(decision.detail, { percent: 20, unwatchFirst: true });
    assert.deepEqual(write?.change, { kind: 'write', value: { progressMs: 1_200_000, progressPct: 20, durationMs: DUR, progressAt: AT }, unwatchFirst: true });
    assert.equal(write !== undefined && 'expectWatched' in write, false);
    assert.deepEqual(write?.previous, { progressMs: 600_000, durationMs: DUR, progressAt: AT + 60_000, watched: true, playCount: 2 });
  });

  it('the write is the one recorded decision, keyed and addressed to the target ref', () => {
    const { decision, write } = planItem(input({ key: 'tvdb:1#s01e01' }));
    assert.equal(write?.decision, decision);
    assert.equal(write?.key, 'tvdb:1#s01e01');
    assert.equal(decision.key, 'tvdb:1#s01e01');
  });

  it('a percent-only source is written in the target duration', () => {
    const src = record({ progressMs: undefined, durationMs: undefined, progressPct: 40 });
    const { decision, write } = planItem(input({ source: src }));
    assert.deepEqual([decision.reason, decision.detail], ['write', { percent: 40 }]);
    assert.deepEqual(write?.change, { kind: 'write', value: { progressMs: 2_400_000, progressPct: 40, durationMs: DUR, progressAt: AT }, unwatchFirst: false });
  });

  it('the source plan given by the caller is used: a write plan skips re-planning the source', () => {
    // The source alone would be below the minimum; the caller's plan says write.
    const { decision } = planItem(input({ source: record({ progressMs: 30_000 }), sourcePlan: { action: 'write', percent: 0.5 } }));
    assert.equal(decision.reason, 'write');
  });
});

describe('planSourceOf', () => {
  it("plans the record's position alone: never capped (the watched point is the target's, decided against its runtime)", () => {
    assert.deepEqual(planSourceOf(record({ progressMs: 5_580_000 }), DEFAULT_PROGRESS_SETTINGS), { action: 'write', percent: 93 });
    assert.deepEqual(planSourceOf(record({ progressMs: 30_000 }), settings({ minSeconds: 10 })), { action: 'write', percent: 0.5 });
  });
});

describe('displayTitle: edges', () => {
  const rows: { name: string; item: Parameters<typeof displayTitle>[0]; want: string }[] = [
    {
      name: 'an empty show title falls back to the title',
      item: { type: 'episode', title: 'Pilot', show: { ids: {}, title: '' }, season: 1, episode: 1 },
      want: 'Pilot',
    },
    {
      name: 'a movie with show numbers stays its title',
      item: { type: 'movie', title: 'Heat', show: { ids: {}, title: 'X' }, season: 1, episode: 2 },
      want: 'Heat',
    },
    { name: 'season without an episode', item: { type: 'episode', title: 'Pilot', show: { ids: {}, title: 'X' }, season: 1 }, want: 'Pilot' },
    { name: 'episode without a season', item: { type: 'episode', title: 'Pilot', show: { ids: {}, title: 'X' }, episode: 1 }, want: 'Pilot' },
    { name: 'no show at all', item: { type: 'episode', title: 'Pilot', season: 1, episode: 1 }, want: 'Pilot' },
    {
      name: 'two-digit numbers are not padded further',
      item: { type: 'episode', title: 'Pilot', show: { ids: {}, title: 'X' }, season: 12, episode: 34 },
      want: 'X S12E34',
    },
  ];
  for (const row of rows) it(row.name, () => assert.equal(displayTitle(row.item), row.want));
});

describe('summarise: reasons outside the table', () => {
  it('come last, counted, in the order first seen', () => {
    const d = (reason: string): Decision => ({ key: 'k', title: 't', type: 'movie', action: 'skip', reason, source: {} }) as unknown as Decision;
    const out = summarise([d('zz_custom'), d('write'), d('aa_other'), d('zz_custom'), d('below_minimum')]);
    assert.deepEqual(out, { below_minimum: 1, write: 1, zz_custom: 2, aa_other: 1 });
    assert.deepEqual(Object.keys(out), ['below_minimum', 'write', 'zz_custom', 'aa_other']);
  });
});

describe('planItem: laws', () => {
  const duration = fc.integer({ min: 600_000, max: 36_000_000 });
  const fraction = fc.double({ min: 0, max: 1, noNaN: true });
  const completionPoint = fc.integer({ min: 50, max: 94 });
  const writeAt = (sd: number | undefined, td: number | undefined, f: number, completion: number) => {
    const ms = Math.round((sd ?? td ?? DUR) * f);
    const src = record({ progressMs: ms, durationMs: sd });
    const t = target({ durationMs: td, progressMs: 0, progressAt: undefined });
    const { write } = planItem(input({ source: src, target: t, targetCompletionPercent: completion }));
    if (write !== undefined) assert.equal(write.targetDurationMs, td);
    return write?.change.kind === 'write' ? write.change.value : undefined;
  };
  const maybe = (a: fc.Arbitrary<number>) => fc.option(a, { nil: undefined });

  it("a write never lands at or past the target's watched point when both sides have the same duration", () => {
    fc.assert(
      fc.property(duration, fraction, completionPoint, (d, f, completion) => {
        const value = writeAt(d, d, f, completion);
        return value === undefined || (value.progressMs * 100) / d < completion;
      }),
    );
  });

  it("a write never lands at or past the target's watched point in the target's own runtime, whatever the source's (a shorter cut, no source runtime)", () => {
    fc.assert(
      fc.property(maybe(duration), duration, fraction, completionPoint, (sd, td, f, completion) => {
        const value = writeAt(sd, td, f, completion);
        return value === undefined || (value.progressMs * 100) / td < completion;
      }),
    );
  });

  it("capped exactly when the position lands at or past the watched point in the target's runtime: held 0.5 below it there", () => {
    fc.assert(
      fc.property(maybe(duration), duration, fraction, completionPoint, (sd, td, f, completion) => {
        const value = writeAt(sd, td, f, completion);
        const ms = Math.round((sd ?? td) * f);
        if (value === undefined || ms * 100 < completion * td) return value === undefined || value.progressMs === ms;
        return value.durationMs === td && value.progressPct === completion - 0.5 && value.progressMs === Math.round(((completion - 0.5) * td) / 100);
      }),
    );
  });

  it("with the target's runtime unknown, a write goes out only safely below any watched point (under half of it, of the source's runtime)", () => {
    fc.assert(
      fc.property(maybe(duration), fraction, completionPoint, (sd, f, completion) => {
        const value = writeAt(sd, undefined, f, completion);
        if (value === undefined) return true;
        return sd !== undefined && value.progressPct !== undefined && value.progressPct < Math.min(completion, 80) / 2;
      }),
    );
  });

  it('an echo of our own write never produces a write', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DUR }), fc.integer({ min: 0, max: DUR }), fc.boolean(), (s, t, replay) => {
        const { decision, write } = planItem(
          input({ source: record({ progressMs: s }), target: target({ progressMs: t, watched: replay }), sameOrigin: true, settings: settings({ replay }) }),
        );
        return write === undefined && decision.action === 'skip';
      }),
    );
  });
});
