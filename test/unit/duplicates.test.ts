// Two copies of one item on a source: the winner must not depend on listing order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickNewer } from '../../src/core/duplicates.ts';
import type { ProgressRecord } from '../../src/core/model.ts';
import { copyRecord as rec } from '../support/decide-fixtures.ts';

const both = (a: ProgressRecord, b: ProgressRecord): [ProgressRecord, ProgressRecord] => [pickNewer(a, b), pickNewer(b, a)];

test('the newer position wins, whichever comes first', () => {
  const a = rec('1', { progressMs: 900_000, progressAt: 2000 });
  const b = rec('2', { progressMs: 100_000, progressAt: 1000 });
  assert.deepEqual(both(a, b), [a, a]);
});

test('a record with a time beats one without', () => {
  const a = rec('1', { progressMs: 100_000 });
  const b = rec('2', { progressMs: 50_000, progressAt: 1 });
  assert.deepEqual(both(a, b), [b, b]);
});

test('same time: further along (by share of the film, then by position) wins', () => {
  const a = rec('1', { progressMs: 600_000, durationMs: 6_000_000, progressAt: 5 });
  const b = rec('2', { progressMs: 500_000, durationMs: 1_000_000, progressAt: 5 });
  assert.deepEqual(both(a, b), [b, b]);
  const c = rec('3', { progressMs: 700_000, progressAt: 5 });
  const d = rec('4', { progressMs: 800_000, progressAt: 5 });
  assert.deepEqual(both(c, d), [d, d]);
});

test('a full tie is broken by the smaller native id', () => {
  const a = rec('10', { progressMs: 1000, progressAt: 5 });
  const b = rec('9', { progressMs: 1000, progressAt: 5 });
  assert.deepEqual(both(a, b), [b, b]);
});
