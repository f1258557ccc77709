// The SQLite store: migrations, runs and decisions, the journal, the id index cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { dryRunState } from '../../src/store/dry-run.ts';
import type { Decision } from '../../src/core/model.ts';

const decision = (key: string, title: string, reason: Decision['reason']): Decision => ({
  key,
  title,
  type: 'movie',
  action: reason === 'write' ? 'write' : 'skip',
  reason,
  source: { progressMs: 1000, durationMs: 5000, progressAt: 1 },
});

test('a new database is migrated to the latest version, in WAL mode, and reopens without re-running migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-store-'));
  try {
    const path = join(dir, 'nested', 'state.db');
    const a = Store.open(path);
    assert.equal(a.schemaVersion, MIGRATIONS.length);
    assert.equal(a.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(statSync(path).mode & 0o777, 0o600, 'the state file is private');
    a.setKv('x', '1');
    a.close();
    const b = Store.open(path);
    assert.equal(b.getKv('x'), '1');
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database from a newer Playhead is refused rather than damaged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-store-'));
  try {
    const path = join(dir, 'state.db');
    const s = Store.open(path);
    s.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    s.close();
    assert.throws(() => Store.open(path), /newer than this Playhead/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runs, decisions and explain by title or key', () => {
  const s = Store.open(':memory:');
  const run = s.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: 1000 });
  s.recordDecisions(run, [decision('imdb:tt1', 'Heat', 'write'), decision('imdb:tt2', '100% Wolf', 'below_minimum')]);
  s.finishRun(run, { finishedAt: 2000, status: 'ok', counts: { write: 1, below_minimum: 1 } });
  assert.deepEqual(s.run(run)?.counts, { write: 1, below_minimum: 1 });
  assert.equal(s.explain('heat')[0]?.reason, 'write');
  assert.equal(s.explain('imdb:tt2')[0]?.title, '100% Wolf');
  // LIKE wildcards in the query are literal.
  assert.equal(s.explain('0%')[0]?.title, '100% Wolf');
  assert.equal(s.explain('%').length, 1);
  assert.equal(s.explain('_').length, 0);
});

test('the journal records the previous value before the write and the outcome after', () => {
  const s = Store.open(':memory:');
  const run = s.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: 1 });
  const id = s.journalIntent({ runId: run, ref: { provider: 'b', server: 'srv', id: '42' }, key: 'imdb:tt1', previous: { progressMs: 10, watched: false }, value: { progressMs: 99, durationMs: 100 }, at: 5 });
  assert.equal(s.journal(run)[0]?.status, 'intent');
  s.journalOutcome(id, { status: 'confirmed', at: 6 });
  const [row] = s.journal(run);
  assert.deepEqual(row?.previous, { progressMs: 10, watched: false });
  assert.deepEqual(row?.value, { progressMs: 99, durationMs: 100 });
  assert.equal(row?.status, 'confirmed');
});

test('the id index is saved whole or merged, per provider and server', () => {
  const s = Store.open(':memory:');
  const state = s.providerState('plex-a');
  state.saveIndex('m1', { scope: '1,2', refreshedAt: 100, entries: [{ kind: 'movie', token: 'movie:imdb:tt1', id: '10' }] }, 'full');
  state.saveIndex('m1', { scope: '1,2', refreshedAt: 200, entries: [{ kind: 'movie', token: 'movie:imdb:tt2', id: '11' }] }, 'merge');
  const loaded = state.loadIndex('m1');
  assert.equal(loaded?.refreshedAt, 200);
  assert.deepEqual(loaded?.entries.map((e) => e.id).sort(), ['10', '11']);
  state.saveIndex('m1', { scope: '1', refreshedAt: 300, entries: [{ kind: 'movie', token: 'movie:imdb:tt3', id: '12' }] }, 'full');
  assert.deepEqual(state.loadIndex('m1')?.entries.map((e) => e.id), ['12']);
  assert.equal(s.providerState('plex-b').loadIndex('m1'), undefined);
});

test('dry-run state reads through but never writes to the database', () => {
  const s = Store.open(':memory:');
  const real = s.providerState('p');
  real.set('client_id', 'abc');
  const dry = dryRunState(real);
  assert.equal(dry.get('client_id'), 'abc');
  dry.set('client_id', 'xyz');
  dry.saveIndex('m', { scope: '', refreshedAt: 1, entries: [{ kind: 'movie', token: 't', id: '1' }] }, 'full');
  assert.equal(dry.get('client_id'), 'xyz');
  assert.equal(dry.loadIndex('m')?.entries.length, 1);
  assert.equal(real.get('client_id'), 'abc');
  assert.equal(real.loadIndex('m'), undefined);
  assert.equal(s.counts().id_index, 0);
});
