// The write policy pinned at its edges (issue 16): a table of rule boundaries, and the laws the
// policy promises (never regress past a newer event, an echo never moves anything, a playing
// item is never touched).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideWrite } from '../../src/core/policy.ts';
import type { PolicyInput, PolicyResult } from '../../src/core/policy.ts';
import { AT, DUR, policyInput as input } from '../support/decide-fixtures.ts';

const WRITE: PolicyResult = { action: 'write', unwatchFirst: false };

describe('decideWrite: rules at their edges', () => {
  const rows: { name: string; in: PolicyInput; want: PolicyResult }[] = [
    {
      name: 'a negative tolerance counts as 0: a target at the same time is not newer',
      in: input({ toleranceMs: -5_000 }, {}, { progressAt: AT }),
      want: WRITE,
    },
    {
      name: 'a negative tolerance counts as 0: a target 1 s earlier is not newer',
      in: input({ toleranceMs: -5_000 }, {}, { progressAt: AT - 1_000 }),
      want: WRITE,
    },
    {
      name: 'a negative tolerance is reported as 0',
      in: input({ toleranceMs: -5_000 }, {}, { progressAt: AT + 1 }),
      want: { action: 'skip', reason: 'target_newer', detail: { sourceAt: AT, targetAt: AT + 1, aheadMs: 1, toleranceMs: 0 } },
    },
    {
      name: 'a target older than the source by more than the tolerance is written',
      in: input({}, {}, { progressAt: AT - 60_000 }),
      want: WRITE,
    },
    {
      name: 'a still target is not judged by its time (two-way)',
      in: input({ targetStill: true }, {}, { progressAt: AT + 86_400_000 }),
      want: WRITE,
    },
    {
      name: 'a still target is not judged by its larger position without a time either',
      in: input({ targetStill: true }, {}, { progressAt: undefined, progressMs: 3_000_000 }),
      want: WRITE,
    },
    {
      name: 'targetStill false is the normal check',
      in: input({ targetStill: false }, {}, { progressAt: AT + 60_000 }),
      want: { action: 'skip', reason: 'target_newer', detail: { sourceAt: AT, targetAt: AT + 60_000, aheadMs: 60_000, toleranceMs: 30_000 } },
    },
    {
      name: 'a still, watched target without replay is already watched',
      in: input({ targetStill: true }, {}, { watched: true, playCount: 1, progressAt: AT + 60_000 }),
      want: { action: 'skip', reason: 'already_watched', detail: { playCount: 1 } },
    },
    {
      name: 'without a target time, an equal position is not "ahead": it is unchanged',
      in: input({}, {}, { progressAt: undefined, progressMs: 1_200_000 }),
      want: { action: 'skip', reason: 'unchanged', detail: { sourceMs: 1_200_000, targetMs: 1_200_000 } },
    },
    {
      name: 'without a target time, a non-finite target time counts as none',
      in: input({}, {}, { progressAt: Number.NaN, progressMs: 1_300_000 }),
      want: { action: 'skip', reason: 'target_newer', detail: { reason: 'target ahead without a time', sourceMs: 1_200_000, targetMs: 1_300_000 } },
    },
    {
      name: 'without a target time, a percent-only source cannot be compared by ms: not newer',
      in: input({}, { progressMs: undefined, progressPct: 30 }, { progressAt: undefined, progressMs: 3_000_000 }),
      want: WRITE,
    },
    {
      name: 'without a target time, a percent-only target cannot be compared by ms: not newer',
      in: input({}, {}, { progressAt: undefined, progressMs: undefined, progressPct: 90, durationMs: undefined }),
      want: WRITE,
    },
    {
      name: 'without a target time, a non-finite target position is not ahead',
      in: input({}, {}, { progressAt: undefined, progressMs: Number.POSITIVE_INFINITY }),
      want: WRITE,
    },
    {
      name: 'a source time of NaN is no time',
      in: input({}, { progressAt: Number.NaN }),
      want: { action: 'skip', reason: 'missing_source_time', detail: {} },
    },
    {
      name: 'a watched target with replay off is already watched even when older',
      in: input({}, {}, { watched: true, playCount: 0, progressAt: AT - 60_000 }),
      want: { action: 'skip', reason: 'already_watched', detail: { playCount: 0 } },
    },
    {
      name: 'replay of a watched target writes even when it holds the same value, un-watching first',
      in: input({ replay: true }, {}, { watched: true, progressMs: 1_200_000, progressAt: AT - 60_000 }),
      want: { action: 'write', unwatchFirst: true },
    },
    {
      name: 'unchanged by percent when the source is percent-only: only the target ms is reported',
      in: input({}, { progressMs: undefined, progressPct: 20 }, { progressMs: 1_201_000, progressAt: AT }),
      want: { action: 'skip', reason: 'unchanged', detail: { targetMs: 1_201_000 } },
    },
    {
      name: 'unchanged by percent when the target is percent-only: only the source ms is reported',
      in: input({}, {}, { progressMs: undefined, progressPct: 20.05, durationMs: undefined, progressAt: AT }),
      want: { action: 'skip', reason: 'unchanged', detail: { sourceMs: 1_200_000 } },
    },
    {
      name: 'unchanged with both sides percent-only reports no ms',
      in: input(
        {},
        { progressMs: undefined, progressPct: 20, durationMs: undefined },
        { progressMs: undefined, progressPct: 20, durationMs: undefined, progressAt: AT },
      ),
      want: { action: 'skip', reason: 'unchanged', detail: {} },
    },
    {
      name: 'a position just past the equality slack is written',
      in: input({}, {}, { progressMs: 1_206_001, progressAt: AT }),
      want: WRITE,
    },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(decideWrite(row.in), row.want));
  }
});

describe('decideWrite: laws', () => {
  const time = fc.integer({ min: AT - 86_400_000, max: AT + 86_400_000 });
  const ms = fc.integer({ min: 0, max: DUR });
  const tolerance = fc.integer({ min: -60_000, max: 120_000 });
  const arbitraryInput = fc.record({
    sourceAt: time,
    targetAt: fc.option(time, { nil: undefined }),
    sourceMs: ms,
    targetMs: fc.option(ms, { nil: undefined }),
    toleranceMs: tolerance,
    watched: fc.boolean(),
    replay: fc.boolean(),
    targetStill: fc.boolean(),
    sameOrigin: fc.boolean(),
    playingNow: fc.boolean(),
  });
  const build = (a: {
    sourceAt: number;
    targetAt: number | undefined;
    sourceMs: number;
    targetMs: number | undefined;
    toleranceMs: number;
    watched: boolean;
    replay: boolean;
    targetStill: boolean;
    sameOrigin: boolean;
    playingNow: boolean;
  }): PolicyInput =>
    input(
      { toleranceMs: a.toleranceMs, replay: a.replay, targetStill: a.targetStill, sameOrigin: a.sameOrigin },
      { progressMs: a.sourceMs, progressAt: a.sourceAt },
      { progressMs: a.targetMs, progressAt: a.targetAt, watched: a.watched, playingNow: a.playingNow },
    );

  it('a playing item is never written, an echo of our own write never moves anything', () => {
    fc.assert(
      fc.property(arbitraryInput, (a) => {
        const r = decideWrite(build(a));
        if (a.playingNow) return r.action === 'skip' && r.reason === 'playing_now';
        if (a.sameOrigin) return r.action === 'skip' && r.reason === 'same_origin';
        return true;
      }),
    );
  });

  it('never regresses past a newer event: a target newer by more than the tolerance is only written when replaying a watched one or when it did not move', () => {
    fc.assert(
      fc.property(arbitraryInput, (a) => {
        const r = decideWrite(build({ ...a, playingNow: false, sameOrigin: false }));
        const newer = a.targetAt !== undefined && a.targetAt - a.sourceAt > Math.max(0, a.toleranceMs);
        if (newer && r.action === 'write') return (a.watched && a.replay) || a.targetStill;
        return true;
      }),
    );
  });

  it('target_newer by time is exactly "ahead by more than the tolerance", with the tolerance never below 0', () => {
    fc.assert(
      fc.property(time, time, tolerance, (sourceAt, targetAt, toleranceMs) => {
        // Positions far apart, so only the times decide.
        const r = decideWrite(input({ toleranceMs }, { progressMs: 3_000_000, progressAt: sourceAt }, { progressMs: 600_000, progressAt: targetAt }));
        const newer = r.action === 'skip' && r.reason === 'target_newer';
        return newer === targetAt - sourceAt > Math.max(0, toleranceMs) && (newer || r.action === 'write');
      }),
    );
  });

  it('without times, a target is never moved back', () => {
    fc.assert(
      fc.property(ms, ms, (sourceMs, targetMs) => {
        const r = decideWrite(input({}, { progressMs: sourceMs }, { progressMs: targetMs, progressAt: undefined }));
        return r.action === 'skip' || targetMs <= sourceMs;
      }),
    );
  });

  it('unwatchFirst exactly when a watched target is replayed', () => {
    fc.assert(
      fc.property(arbitraryInput, (a) => {
        const r = decideWrite(build(a));
        return r.action !== 'write' || r.unwatchFirst === (a.watched && a.replay);
      }),
    );
  });
});
