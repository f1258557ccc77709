// When unresolved and failing items are tried again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextTry, PARK_AFTER_FAILURES, positionKey, UNRESOLVED_EVERY_RUN } from '../../src/core/retries.ts';

const NOW = 1_800_000_000_000;
const MIN = 60_000;

test('unresolved items are retried every run at first, then with a growing wait capped at a day', () => {
  for (let n = 1; n <= UNRESOLVED_EVERY_RUN; n++) assert.deepEqual(nextTry('unresolved', n, NOW), { nextAt: NOW, parked: false });
  assert.equal(nextTry('unresolved', UNRESOLVED_EVERY_RUN + 1, NOW).nextAt, NOW + 15 * MIN);
  assert.equal(nextTry('unresolved', UNRESOLVED_EVERY_RUN + 2, NOW).nextAt, NOW + 30 * MIN);
  assert.equal(nextTry('unresolved', 50, NOW).nextAt, NOW + 24 * 60 * MIN);
  assert.equal(nextTry('unresolved', 50, NOW).parked, false);
});

test('failing items are retried every run until they are parked for a day', () => {
  for (let n = 1; n < PARK_AFTER_FAILURES; n++) assert.deepEqual(nextTry('failed', n, NOW), { nextAt: NOW, parked: false });
  assert.deepEqual(nextTry('failed', PARK_AFTER_FAILURES, NOW), { nextAt: NOW + 24 * 60 * MIN, parked: true });
});

test('a new source position is a new case', () => {
  assert.notEqual(positionKey({ progressMs: 1000, progressAt: 5 }), positionKey({ progressMs: 2000, progressAt: 5 }));
  assert.equal(positionKey({ progressMs: 1000, progressAt: 5 }), positionKey({ progressMs: 1000, progressAt: 5, watched: false }));
});
