// The Store's reads and writes for the dashboard: each item's last decision of a real run,
// "Retry now" making a waiting item due, pending rows by the page, positions oldest first, and
// which last read (a listing or a target read) positions show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, ProgressRecord, TargetState } from '../../src/core/model.ts';
import { Store, type PendingRow } from '../../src/store/store.ts';

const decision = (key: string, reason: Decision['reason']): Decision => ({
  key,
  title: `Film ${key}`,
  type: 'movie',
  action: reason === 'write' ? 'write' : 'skip',
  reason,
  source: { progressMs: 60_000 },
});

function run(store: Store, startedAt: number, dryRun: boolean, decisions: Decision[]): number {
  const id = store.startRun({ pair: 'p', source: 'a', target: 'b', dryRun, startedAt });
  store.recordDecisions(id, decisions);
  store.finishRun(id, { finishedAt: startedAt + 1, status: 'ok', counts: {} });
  return id;
}

test('lastDecisions: each key’s latest decision of a real run; dry runs and other keys do not count', () => {
  const store = Store.open(':memory:');
  run(store, 1_000, false, [decision('k1', 'write'), decision('k2', 'unresolved')]);
  const second = run(store, 2_000, false, [decision('k1', 'unchanged')]);
  run(store, 3_000, true, [decision('k1', 'write'), decision('k3', 'write')]);
  const latest = store.lastDecisions(['k1', 'k2', 'k3', 'nope']);
  assert.deepEqual([...latest.keys()], ['k1', 'k2']);
  assert.equal(latest.get('k1')?.reason, 'unchanged');
  assert.equal(latest.get('k1')?.runId, second);
  assert.equal(latest.get('k1')?.at, 2_000);
  assert.equal(latest.get('k1')?.dryRun, false);
  assert.equal(latest.get('k2')?.reason, 'unresolved');
});

test('retryPendingNow makes a parked row due and keeps the rest; pending() pages', () => {
  const store = Store.open(':memory:');
  const row = (key: string, parked: boolean): PendingRow => ({
    pair: 'p',
    key,
    title: `T ${key}`,
    kind: 'failed',
    attempts: 5,
    firstAt: 1,
    lastAt: 2,
    nextAt: 1_000_000,
    parked,
    lastError: 'boom',
    sourcePos: 'x',
  });
  for (const key of ['a', 'b', 'c']) store.savePending(row(key, key === 'c'));
  const retried = store.retryPendingNow('p', 'c', 500);
  assert.deepEqual(retried, { ...row('c', true), nextAt: 500 });
  assert.equal(store.pendingFor('p').get('a')?.nextAt, 1_000_000);
  assert.equal(store.retryPendingNow('p', 'missing', 500), undefined);
  assert.equal(store.retryPendingNow('other', 'a', 500), undefined);
  // Parked first, then by title.
  assert.deepEqual(
    store.pending({ limit: 2, offset: 0 }).map((r) => r.key),
    ['c', 'a'],
  );
  assert.deepEqual(
    store.pending({ limit: 2, offset: 2 }).map((r) => r.key),
    ['b'],
  );
  assert.equal(store.pending().length, 3);
});

test('positions: oldest first on request, never-played items still last', () => {
  const store = Store.open(':memory:');
  const id = run(store, 1, false, []);
  const observe = (key: string, progressAt?: number) =>
    store.recordObservations(id, 'a', [
      {
        key,
        record: {
          type: 'movie',
          ids: { imdb: key },
          title: key,
          ref: { provider: 'a', server: 's', id: key },
          watched: false,
          progressMs: 60_000,
          ...(progressAt !== undefined ? { progressAt } : {}),
        },
      },
    ]);
  observe('old', 1_000);
  observe('new', 9_000);
  observe('never');
  const keys = (order?: 'newest' | 'oldest') =>
    store.positions({ providers: ['a'], pairs: [], outOfStepOnly: false, limit: 10, offset: 0, ...(order ? { order } : {}) }).items.map((i) => i.key);
  assert.deepEqual(keys(), ['new', 'old', 'never']);
  assert.deepEqual(keys('oldest'), ['old', 'new', 'never']);
});

test('last reads: the newer of a listing and a target read shows (by run; the listing on a tie), observations stay listings', () => {
  const store = Store.open(':memory:');
  const key = 'movie:imdb:tt7';
  const record = (progressMs: number): ProgressRecord => ({
    type: 'movie',
    ids: { imdb: 'tt7' },
    title: 'Film 7',
    ref: { provider: 'b', server: 's', id: 'b7' },
    watched: false,
    progressMs,
    durationMs: 6_000_000,
    progressAt: 500,
  });
  const read = (progressMs: number, watched = false): TargetState => ({
    ref: { provider: 'b', server: 's', id: 'b7' },
    progressMs,
    durationMs: 6_000_000,
    watched,
    playCount: 0,
    playingNow: false,
  });
  const shown = () => store.positions({ providers: ['b'], pairs: [], outOfStepOnly: false, limit: 10, offset: 0 }).items[0]?.positions[0];
  const first = run(store, 1_000, false, []);
  store.recordObservations(first, 'b', [{ key, record: record(60_000) }]);
  const second = run(store, 2_000, false, []);
  store.recordTargetReads(second, 'b', [{ key, state: read(120_000) }]);
  assert.deepEqual([shown()?.progressMs, shown()?.observedAt], [120_000, 2_000], 'the target read of a later run');
  assert.equal(store.observation('b', key)?.progressMs, 60_000, 'the listing is kept as it was');
  assert.deepEqual(
    store.itemLastReads(['b'], key).map((r) => [r.progressMs, r.ref]),
    [[120_000, 'b7']],
  );

  // A read of an earlier run (or a target read tied with a listing) never replaces a newer one.
  store.recordTargetReads(first, 'b', [{ key, state: read(1_000) }]);
  assert.equal(shown()?.progressMs, 120_000);
  const third = run(store, 3_000, false, []);
  store.recordObservations(third, 'b', [{ key, record: record(180_000) }]);
  store.recordTargetReads(third, 'b', [{ key, state: read(240_000, true) }]);
  assert.deepEqual([shown()?.progressMs, shown()?.watched], [180_000, false], 'the listing wins a tie');
  const fourth = run(store, 4_000, false, []);
  store.recordTargetReads(fourth, 'b', [{ key, state: read(0, true) }]);
  assert.deepEqual([shown()?.progressMs, shown()?.watched], [0, true]);
  assert.equal(store.observation('b', key)?.progressMs, 180_000);
  assert.equal(store.counts().last_reads, 1);
});
