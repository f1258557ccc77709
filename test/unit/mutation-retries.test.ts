// retries.ts pinned down (issue 16): when unresolved and failing items are tried again, as a
// table and as laws (never in the past, never more than a day away, waits never shrink).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextTry, PARK_AFTER_FAILURES, positionKey, UNRESOLVED_EVERY_RUN } from '../../src/core/retries.ts';
import type { PendingKind } from '../../src/core/retries.ts';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('nextTry, as a table', () => {
  const cases: [PendingKind, number, number, boolean][] = [
    ['unresolved', 0, 0, false],
    ['unresolved', 3, 0, false],
    ['unresolved', 4, 15 * MIN, false],
    ['unresolved', 5, 30 * MIN, false],
    ['unresolved', 6, 60 * MIN, false],
    ['unresolved', 9, 8 * 60 * MIN, false],
    ['unresolved', 10, 16 * 60 * MIN, false],
    ['unresolved', 11, DAY, false],
    ['unresolved', 1000, DAY, false],
    ['failed', 0, 0, false],
    ['failed', 4, 0, false],
    ['failed', 5, DAY, true],
    ['failed', 6, DAY, true],
  ];
  for (const [kind, attempts, wait, parked] of cases) {
    it(`${kind} after ${attempts} misses: wait ${wait / MIN} min${parked ? ', parked' : ''}`, () => {
      assert.deepEqual(nextTry(kind, attempts, NOW), { nextAt: NOW + wait, parked });
    });
  }

  it('the thresholds are the documented ones', () => {
    assert.equal(UNRESOLVED_EVERY_RUN, 3);
    assert.equal(PARK_AFTER_FAILURES, 5);
  });
});

describe('nextTry, laws', () => {
  const kind = fc.constantFrom<PendingKind>('unresolved', 'failed');
  const attempts = fc.integer({ min: 0, max: 200 });
  const now = fc.integer({ min: 0, max: 4_000_000_000_000 });

  it('the next try is never in the past and never more than a day away', () => {
    fc.assert(
      fc.property(kind, attempts, now, (k, n, t) => {
        const { nextAt } = nextTry(k, n, t);
        assert.ok(nextAt >= t && nextAt <= t + DAY, `${k} ${n}: ${nextAt - t}`);
      }),
    );
  });

  it('one more miss never brings the next try closer, and a parked item stays parked', () => {
    fc.assert(
      fc.property(kind, attempts, now, (k, n, t) => {
        const a = nextTry(k, n, t);
        const b = nextTry(k, n + 1, t);
        assert.ok(b.nextAt >= a.nextAt);
        if (a.parked) assert.ok(b.parked);
      }),
    );
  });

  it('only failing items are parked, and exactly from PARK_AFTER_FAILURES misses on', () => {
    fc.assert(
      fc.property(kind, attempts, now, (k, n, t) => {
        assert.equal(nextTry(k, n, t).parked, k === 'failed' && n >= PARK_AFTER_FAILURES);
      }),
    );
  });

  it('the wait does not depend on the clock', () => {
    fc.assert(fc.property(kind, attempts, now, now, (k, n, t1, t2) => nextTry(k, n, t1).nextAt - t1 === nextTry(k, n, t2).nextAt - t2));
  });
});

describe('positionKey', () => {
  it('tells apart positions that differ in any of time, percent and recording time', () => {
    const base = { progressMs: 1000, progressPct: 10, progressAt: 5 };
    const keys = [
      base,
      { ...base, progressMs: 2000 },
      { ...base, progressPct: 20 },
      { ...base, progressAt: 6 },
      { progressPct: 10, progressAt: 5 },
      { progressMs: 1000, progressAt: 5 },
      { progressMs: 1000, progressPct: 10 },
    ].map(positionKey);
    assert.equal(new Set(keys).size, keys.length, keys.join(' / '));
  });

  it('does not mix up which field a number came from', () => {
    const keys = [{ progressMs: 5 }, { progressPct: 5 }, { progressAt: 5 }, {}].map(positionKey);
    assert.equal(new Set(keys).size, keys.length, keys.join(' / '));
  });

  it('ignores what does not say where the item stood (watched flag, duration, play count)', () => {
    const p = { progressMs: 1000, progressPct: 10, progressAt: 5 };
    assert.equal(positionKey({ ...p, watched: true, durationMs: 10_000, playCount: 3 }), positionKey(p));
  });
});
