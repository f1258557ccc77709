// core/finish.ts: a finish happens only on an explicit signal, never over a later play or a player.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planFinish, type FinishInput } from '../../src/core/finish.ts';
import { explainDecision } from '../../src/core/explain.ts';
import { decided } from '../../src/core/pipeline.ts';
import { holdsJournalled } from '../../src/core/position.ts';
import { decisionsTable } from '../../src/cli/output.ts';
import { AT, record, target } from '../support/decide-fixtures.ts';

/** Finished on the source at AT; the target holds 10 min, last played an hour before. */
function input(over: Partial<FinishInput> = {}): FinishInput {
  return {
    key: 'imdb:tt0111161',
    source: record({ watched: true, watchedAt: AT, progressMs: undefined }),
    target: target(),
    mode: 'mark_watched',
    toleranceMs: 30_000,
    targetMarksWatched: true,
    targetClears: true,
    ...over,
  };
}

describe('planFinish', () => {
  it('marks a target still in progress watched, journalling what it held', () => {
    const planned = planFinish(input());
    assert.ok(planned?.write);
    assert.equal(planned.decision.reason, 'finished');
    assert.equal(planned.decision.action, 'mark_watched');
    assert.deepEqual(planned.decision.detail, { mode: 'mark_watched', finishedAt: AT, targetAt: AT - 3_600_000 });
    assert.deepEqual(planned.write.change, { kind: 'mark_watched' });
    assert.deepEqual(planned.write.previous, { progressMs: 600_000, durationMs: 6_000_000, progressAt: AT - 3_600_000, watched: false });
    // Confirmed by holdsJournalled (a watched flag, or no position on a target that logs plays).
    assert.equal(planned.write.expectWatched, undefined);
    assert.equal(planned.write.orderAt, AT);
    assert.equal(planned.write.targetDurationMs, 6_000_000);
    assert.deepEqual(planned.write.ref, target().ref);
    assert.equal(planned.decision.title, 'The Shawshank Redemption');
    assert.deepEqual(planned.decision.source, { durationMs: 6_000_000, progressAt: AT, watched: true });
  });

  it('clears instead with finish: clear, or on a target without a watched flag', () => {
    for (const over of [{ mode: 'clear' as const }, { targetMarksWatched: false }]) {
      const planned = planFinish(input(over));
      assert.equal(planned?.decision.action, 'clear');
      assert.deepEqual(planned?.decision.detail, { mode: 'clear', finishedAt: AT, targetAt: AT - 3_600_000 });
      assert.deepEqual(planned?.write?.change, { kind: 'clear' });
      assert.equal(planned?.write?.expectWatched, undefined);
    }
    assert.equal(planFinish(input({ targetMarksWatched: false, targetClears: false })), undefined);
    assert.equal(planFinish(input({ mode: 'clear', targetClears: false })), undefined);
  });

  it('needs an explicit signal: watched with a time', () => {
    assert.equal(planFinish(input({ source: record({ watched: false, watchedAt: AT }) })), undefined);
    assert.equal(planFinish(input({ source: record({ watched: true }) })), undefined);
    assert.equal(planFinish(input({ source: record({ watched: true, watchedAt: Number.NaN }) })), undefined);
  });

  it('does nothing to a target that is not found or holds no position', () => {
    assert.equal(planFinish(input({ target: undefined })), undefined);
    assert.equal(planFinish(input({ target: target({ progressMs: 0 }) })), undefined);
    assert.equal(planFinish(input({ target: target({ progressMs: undefined }) })), undefined);
    const pctOnly = planFinish(input({ target: target({ progressMs: undefined, progressPct: 12, durationMs: undefined }) }));
    assert.equal(pctOnly?.decision.reason, 'finished');
    assert.ok(pctOnly?.write && !('targetDurationMs' in pctOnly.write), 'no runtime: none is passed on');
  });

  it('leaves an item the source resumed at or after its finish', () => {
    assert.equal(planFinish(input({ sourceResumedAt: AT })), undefined);
    assert.equal(planFinish(input({ sourceResumedAt: AT + 1 })), undefined);
    assert.equal(planFinish(input({ sourceResumedAt: AT - 1 }))?.decision.reason, 'finished');
  });

  it('never touches a target playing now', () => {
    const planned = planFinish(input({ target: target({ playingNow: true }) }));
    assert.equal(planned?.decision.reason, 'playing_now');
    assert.equal(planned?.decision.action, 'skip');
    assert.deepEqual(planned?.decision.detail, { ref: '7' });
    assert.equal(planned?.write, undefined);
  });

  it('leaves a target played later than the finish, beyond the tolerance (finished_skip)', () => {
    const later = planFinish(input({ target: target({ progressAt: AT + 30_001 }) }));
    assert.equal(later?.decision.reason, 'finished_skip');
    assert.equal(later?.decision.action, 'skip');
    assert.deepEqual(later?.decision.detail, { finishedAt: AT, targetAt: AT + 30_001, aheadMs: 30_001, toleranceMs: 30_000 });
    assert.equal(later?.write, undefined);
    // Exactly the tolerance later is not later.
    assert.equal(planFinish(input({ target: target({ progressAt: AT + 30_000 }) }))?.decision.reason, 'finished');
    // A negative tolerance counts as none.
    assert.equal(planFinish(input({ toleranceMs: -5, target: target({ progressAt: AT + 1 }) }))?.decision.reason, 'finished_skip');
    assert.equal(planFinish(input({ toleranceMs: -5, target: target({ progressAt: AT }) }))?.decision.reason, 'finished');
    // A target without a time is finished (the source's signal is explicit), and says no time.
    assert.deepEqual(planFinish(input({ target: target({ progressAt: undefined }) }))?.decision.detail, { mode: 'mark_watched', finishedAt: AT });
  });

  it('explains itself', () => {
    const planned = planFinish(input());
    assert.ok(planned);
    assert.match(explainDecision(planned.decision), /^finished on the source 2026-08-04 12:00 UTC: marked watched here, so it leaves Continue Watching$/);
    assert.match(explainDecision(planned.decision, true), /would be marked watched here/);
    const confirmed = decided(planned.decision, 'clear', 'finished', { mode: 'clear', finishedAt: AT, confirmed: true });
    assert.equal(explainDecision(confirmed), 'finished on the source: its position removed here and confirmed, so it left Continue Watching');
    const undo = decided({ key: 'k', title: 'T', type: 'movie', source: { progressMs: 600_000 } }, 'write', 'restore', {
      journalId: 1,
      ref: '7',
      wrote: { progressMs: 0 },
      markUnwatched: true,
    });
    assert.equal(explainDecision(undo, true), 'would put back 10:00, un-watching what the finish marked watched first');
    const table = decisionsTable([planned.decision, { ...planned.decision, key: 'k2', title: 'Cleared', action: 'clear' }], 10);
    assert.match(table, /finished: mark watched/);
    assert.match(table, /finished: clear/);
    const skip = planFinish(input({ target: target({ progressAt: AT + 7_200_000 }) }));
    assert.ok(skip);
    assert.equal(explainDecision(skip.decision), 'finished on the source, but played here 2 h later: left in progress');
  });
});

describe('holdsJournalled: what confirms a journalled change (apply, crash recovery)', () => {
  it('a mark_watched holds while the item is watched with no position', () => {
    const marked = { progressMs: 0, watched: true as const };
    assert.equal(holdsJournalled({ watched: true }, marked), true);
    assert.equal(holdsJournalled({ watched: false }, marked), false, 'not watched: not landed');
    assert.equal(holdsJournalled({ watched: true, progressMs: 5_000 }, marked), false, 'a position left: not landed');
  });
  it('on a target that logs plays (Trakt: no watched flag) a mark_watched holds when no position is left', () => {
    const marked = { progressMs: 0, watched: true as const };
    const trakt = { logsPlays: true };
    assert.equal(holdsJournalled({ watched: false }, marked, trakt), true);
    assert.equal(holdsJournalled({ watched: false, progressPct: 40 }, marked, trakt), false, 'a position left: not landed');
    assert.equal(holdsJournalled({ watched: false }, marked, { logsPlays: false }), false, 'a flag target must read watched');
  });
  it('a clear or a write holds as before, whatever the watched flag', () => {
    assert.equal(holdsJournalled({ watched: false }, { progressMs: 0 }), true);
    assert.equal(holdsJournalled({ watched: true }, { progressMs: 0 }), true);
    assert.equal(holdsJournalled({ watched: false, progressMs: 60_000 }, { progressMs: 60_000 }), true);
    assert.equal(holdsJournalled({ watched: false, progressMs: 90_000 }, { progressMs: 60_000 }), false);
  });
});

describe('planFinish properties', () => {
  const time = fc.integer({ min: 1, max: 4_000_000_000_000 });
  const arb = fc.record({
    watched: fc.boolean(),
    watchedAt: fc.option(time, { nil: undefined }),
    targetAt: fc.option(time, { nil: undefined }),
    targetMs: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
    playing: fc.boolean(),
    tolerance: fc.integer({ min: -60_000, max: 300_000 }),
    mode: fc.constantFrom('mark_watched' as const, 'clear' as const),
  });

  it('writes only with a watched time after which the target was not played, to a target holding a position and not playing', () => {
    fc.assert(
      fc.property(arb, (a) => {
        const planned = planFinish(
          input({
            source: record({ watched: a.watched, watchedAt: a.watchedAt }),
            target: target({ progressAt: a.targetAt, progressMs: a.targetMs, playingNow: a.playing }),
            toleranceMs: a.tolerance,
            mode: a.mode,
          }),
        );
        if (planned?.write) {
          assert.equal(a.watched, true);
          assert.ok(a.watchedAt !== undefined);
          assert.ok((a.targetMs ?? 0) > 0);
          assert.equal(a.playing, false);
          assert.ok(a.targetAt === undefined || a.targetAt <= a.watchedAt + Math.max(0, a.tolerance));
          assert.equal(planned.decision.action, a.mode);
        }
        // Absence of a signal or of a position: no decision at all.
        if (!a.watched || a.watchedAt === undefined || (a.targetMs ?? 0) === 0) assert.equal(planned, undefined);
        if (planned?.decision.reason === 'finished_skip') assert.ok(a.targetAt !== undefined && a.watchedAt !== undefined && a.targetAt > a.watchedAt);
      }),
    );
  });

  it('a target played later than the finish plus the tolerance is never written', () => {
    fc.assert(
      fc.property(time, fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 1, max: 10_000_000 }), (finishedAt, tolerance, ahead) => {
        const planned = planFinish(
          input({
            source: record({ watched: true, watchedAt: finishedAt }),
            target: target({ progressAt: finishedAt + tolerance + ahead }),
            toleranceMs: tolerance,
          }),
        );
        assert.equal(planned?.decision.reason, 'finished_skip');
        assert.equal(planned?.write, undefined);
      }),
    );
  });
});
