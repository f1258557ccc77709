// Two copies of one item on a source: the winner is decided by the records, never by the order
// the server listed them in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pickNewer } from '../../src/core/duplicates.ts';
import type { ProgressRecord } from '../../src/core/model.ts';
import { copyRecord as rec } from '../support/decide-fixtures.ts';

/** The winner must be the same record whichever comes first. */
const winner = (a: ProgressRecord, b: ProgressRecord): ProgressRecord => {
  const first = pickNewer(a, b);
  assert.equal(pickNewer(b, a), first, 'the winner does not depend on order');
  return first;
};

describe('pickNewer', () => {
  const rows: [string, ProgressRecord, ProgressRecord, 'a' | 'b'][] = [
    ['the newer time wins even when behind', rec('1', { progressMs: 100, progressAt: 2 }), rec('2', { progressMs: 900_000, progressAt: 1 }), 'a'],
    ['a time beats no time', rec('1', { progressMs: 900_000 }), rec('2', { progressMs: 100, progressAt: 1 }), 'b'],
    ['no times: further along wins', rec('1', { progressMs: 900_000 }), rec('2', { progressMs: 100 }), 'a'],
    ['no times: further along wins, other side', rec('1', { progressMs: 100 }), rec('2', { progressMs: 900_000 }), 'b'],
    [
      'same time: the larger share wins over the larger ms',
      rec('1', { progressMs: 600_000, durationMs: 6_000_000, progressAt: 5 }),
      rec('2', { progressMs: 500_000, durationMs: 1_000_000, progressAt: 5 }),
      'b',
    ],
    [
      'same share: the larger ms wins',
      rec('1', { progressMs: 1_000_000, durationMs: 2_000_000 }),
      rec('2', { progressMs: 500_000, durationMs: 1_000_000 }),
      'a',
    ],
    ['one share unknown: ms decide', rec('1', { progressMs: 500, durationMs: 1000 }), rec('2', { progressMs: 400 }), 'a'],
    ['the other share unknown: ms decide', rec('1', { progressMs: 400 }), rec('2', { progressMs: 500, durationMs: 1000 }), 'b'],
    ['a share of a zero duration is unknown', rec('1', { progressMs: 400, durationMs: 0 }), rec('2', { progressMs: 300, durationMs: 1000 }), 'a'],
    ['a position beats none', rec('1', {}), rec('2', { progressMs: 5 }), 'b'],
    ['a position beats none, other side', rec('1', { progressMs: 5 }), rec('2', {}), 'a'],
    ['full tie: the smaller id, numerically', rec('10', { progressMs: 5 }), rec('9', { progressMs: 5 }), 'b'],
    ['full tie: the smaller id', rec('a1', {}), rec('b1', {}), 'a'],
  ];
  for (const [name, a, b, want] of rows) {
    it(name, () => assert.equal(winner(a, b), want === 'a' ? a : b));
  }

  const record = fc
    .record({
      id: fc.integer({ min: 0, max: 50 }),
      progressMs: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
      durationMs: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
      progressAt: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    })
    .map(({ id, ...rest }) => rec(String(id), Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))));

  it('never depends on listing order (distinct ids)', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        fc.pre(a.ref.id !== b.ref.id);
        winner(a, b);
      }),
    );
  });
  it('never regresses past a newer event', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        fc.pre(a.progressAt !== undefined && (b.progressAt === undefined || a.progressAt > b.progressAt));
        return pickNewer(a, b) === a && pickNewer(b, a) === a;
      }),
    );
  });
});
