// The SQLite store: migrations, runs and decisions, the journal, the id index cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { dryRunState } from '../../src/store/dry-run.ts';
import type { Decision } from '../../src/core/model.ts';
import { applyIndexUpdate, type IndexEntry, type ProviderState } from '../../src/core/state.ts';

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
  const id = s.journalIntent({
    runId: run,
    ref: { provider: 'b', server: 'srv', id: '42' },
    key: 'imdb:tt1',
    previous: { progressMs: 10, watched: false },
    value: { progressMs: 99, durationMs: 100 },
    at: 5,
  });
  assert.equal(s.journal(run)[0]?.status, 'intent');
  s.journalOutcome(id, { status: 'confirmed', at: 6 });
  const [row] = s.journal(run);
  assert.deepEqual(row?.previous, { progressMs: 10, watched: false });
  assert.deepEqual(row?.value, { progressMs: 99, durationMs: 100 });
  assert.equal(row?.status, 'confirmed');
});

const entry = (token: string, id: string, kind = 'movie') => ({ kind, token, id });
const ids = (state: ProviderState, server: string) => Object.fromEntries((state.loadIndex(server)?.entries ?? []).map((e) => [e.token, e.id]));

test('the id index is saved whole or merged, per provider and server', () => {
  const s = Store.open(':memory:');
  const state = s.providerState('plex-a');
  state.replaceIndex('m1', { scope: '1,2', refreshedAt: 100, entries: [{ kind: 'movie', token: 'movie:imdb:tt1', id: '10' }] });
  state.upsertIndex('m1', { scope: '1,2', refreshedAt: 200, entries: [{ kind: 'movie', token: 'movie:imdb:tt2', id: '11' }], removedTokens: [] });
  const loaded = state.loadIndex('m1');
  assert.equal(loaded?.refreshedAt, 200);
  assert.deepEqual(loaded?.entries.map((e) => e.id).sort(), ['10', '11']);
  state.replaceIndex('m1', { scope: '1', refreshedAt: 300, entries: [{ kind: 'movie', token: 'movie:imdb:tt3', id: '12' }] });
  assert.deepEqual(
    state.loadIndex('m1')?.entries.map((e) => e.id),
    ['12'],
  );
  assert.equal(s.providerState('plex-b').loadIndex('m1'), undefined);
});

test('an incremental refresh drops and sets the tokens it names in place and leaves the rest', () => {
  const s = Store.open(':memory:');
  const state = s.providerState('jf');
  state.replaceIndex('srv', {
    scope: 'all',
    refreshedAt: 100,
    entries: [entry('movie:imdb:tt1', '1'), entry('movie:tmdb:100', '1'), entry('movie:imdb:tt2', '2'), entry('coord:9#s01e01', '3', 'episode')],
  });
  state.replaceIndex('other', { scope: 'all', refreshedAt: 100, entries: [entry('movie:imdb:tt1', 'x')] });
  // Item 1's imdb id was corrected on the server and its tmdb id dropped; item 4 is new and takes a token item 2 had.
  state.upsertIndex('srv', {
    scope: 'all',
    refreshedAt: 150,
    entries: [entry('movie:imdb:tt9', '1'), entry('movie:imdb:tt4', '4'), entry('movie:imdb:tt2', '4')],
    removedTokens: ['movie:imdb:tt1', 'movie:tmdb:100'],
  });
  assert.deepEqual(ids(state, 'srv'), { 'movie:imdb:tt9': '1', 'movie:imdb:tt4': '4', 'movie:imdb:tt2': '4', 'coord:9#s01e01': '3' });
  assert.equal(state.loadIndex('srv')?.refreshedAt, 150);
  assert.deepEqual(ids(state, 'other'), { 'movie:imdb:tt1': 'x' }, 'another server is untouched');
  // A refresh that saw nothing only moves the time.
  state.upsertIndex('srv', { scope: 'all', refreshedAt: 160, entries: [], removedTokens: [] });
  assert.equal(state.loadIndex('srv')?.refreshedAt, 160);
  assert.equal(Object.keys(ids(state, 'srv')).length, 4);
  // A full scan drops every row it does not list.
  state.replaceIndex('srv', { scope: 'all', refreshedAt: 200, entries: [entry('movie:imdb:tt4', '4'), entry('movie:imdb:tt4', '5')] });
  assert.deepEqual(ids(state, 'srv'), { 'movie:imdb:tt4': '5' }, 'one row per token, the later entry wins');
  assert.equal((s.db.prepare('SELECT COUNT(*) AS n FROM id_index_entries WHERE server = ?').get('srv') as { n: number }).n, 1);
});

test('a staged full scan replaces the index when committed (a later entry for a token wins), and a refresh replaces the items it names', () => {
  const s = Store.open(':memory:');
  const state = s.providerState('jf');
  state.replaceIndex('srv', { scope: 'all', refreshedAt: 100, entries: [entry('old', '9')] });
  state.replaceIndex('other', { scope: 'all', refreshedAt: 100, entries: [entry('kept', 'x')] });
  state.beginIndexScan('srv');
  state.stageIndexEntries('srv', [entry('a', '1'), entry('b', '2')]);
  assert.deepEqual(ids(state, 'srv'), { old: '9' }, 'staged pages are not the index yet');
  state.stageIndexEntries('srv', [entry('b', '3'), entry('c', '1')]);
  state.commitIndexScan('srv', { scope: 'all', refreshedAt: 200 });
  assert.deepEqual(ids(state, 'srv'), { a: '1', b: '3', c: '1' });
  assert.equal(state.indexMeta('srv')?.refreshedAt, 200);
  assert.deepEqual(ids(state, 'other'), { kept: 'x' }, 'another server is untouched');
  assert.equal((s.db.prepare('SELECT COUNT(*) AS n FROM id_index_staging').get() as { n: number }).n, 0);
  // Item 1 now has only token d; item 3 keeps b.
  state.refreshIndexEntries('srv', [entry('d', '1')]);
  assert.deepEqual(ids(state, 'srv'), { b: '3', d: '1' });
  assert.deepEqual(
    state.indexRows('srv', 'b', 'b|').map((e) => e.id),
    ['3'],
  );
});

test('the index update applied in memory matches the store', () => {
  const before = [entry('a', '1'), entry('b', '1'), entry('c', '2'), entry('d', '3')];
  const update = { scope: 's', refreshedAt: 2, entries: [entry('e', '1'), entry('c', '4'), entry('f', '4')], removedTokens: ['a', 'b', 'zz'] };
  const s = Store.open(':memory:');
  const state = s.providerState('p');
  state.replaceIndex('m', { scope: 's', refreshedAt: 1, entries: before });
  state.upsertIndex('m', update);
  const sorted = (list: IndexEntry[]) => [...list].sort((x, y) => x.token.localeCompare(y.token));
  assert.deepEqual(sorted(applyIndexUpdate(before, update)), sorted(state.loadIndex('m')?.entries ?? []));
  assert.deepEqual(
    sorted(applyIndexUpdate(before, update)).map((e) => `${e.token}=${e.id}`),
    ['c=4', 'd=3', 'e=1', 'f=4'],
  );
});

test('dry-run state reads through but never writes to the database', () => {
  const s = Store.open(':memory:');
  const real = s.providerState('p');
  real.set('client_id', 'abc');
  const dry = dryRunState(real);
  assert.equal(dry.get('client_id'), 'abc');
  dry.set('client_id', 'xyz');
  dry.replaceIndex('m', { scope: '', refreshedAt: 1, entries: [{ kind: 'movie', token: 't', id: '1' }] });
  assert.equal(dry.get('client_id'), 'xyz');
  assert.equal(dry.loadIndex('m')?.entries.length, 1);
  assert.equal(real.get('client_id'), 'abc');
  assert.equal(real.loadIndex('m'), undefined);
  assert.equal(s.counts().id_index, 0);
});

test('a dry-run refresh sees its own update over the stored index and stores nothing', () => {
  const s = Store.open(':memory:');
  const real = s.providerState('p');
  real.replaceIndex('m', { scope: 'all', refreshedAt: 1, entries: [entry('t1', '1'), entry('t2', '2')] });
  const dry = dryRunState(real);
  dry.upsertIndex('m', { scope: 'all', refreshedAt: 5, entries: [entry('t3', '1')], removedTokens: ['t1'] });
  assert.deepEqual(ids(dry, 'm'), { t2: '2', t3: '1' });
  assert.equal(dry.loadIndex('m')?.refreshedAt, 5);
  assert.deepEqual(ids(real, 'm'), { t1: '1', t2: '2' });
  assert.equal(real.loadIndex('m')?.refreshedAt, 1);
});

test("migration 4 moves each server's index blob into rows and drops the blob", () => {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-store-'));
  try {
    const path = join(dir, 'state.db');
    const old = new Database(path);
    for (const step of MIGRATIONS.slice(0, 3)) old.exec(step);
    old.pragma('user_version = 3');
    const blob = (entries: [string, string, string][]) => JSON.stringify(entries);
    const insert = old.prepare('INSERT INTO id_index(provider, server, scope, refreshed_at, entries) VALUES (?, ?, ?, ?, ?)');
    insert.run(
      'plex',
      'm1',
      '1,2',
      1700,
      blob([
        ['movie', 'movie:imdb:tt1', '10'],
        ['episode', 'coord:5#s01e02', '11'],
        ['movie', 'movie:imdb:tt1', '12'],
      ]),
    );
    insert.run('jf', 'j1', 'all', 1800, blob([['show', 'show:tvdb:7', '20']]));
    insert.run('jf', 'j2', 'all', 1900, blob([]));
    old.close();

    const s = Store.open(path);
    assert.equal(s.schemaVersion, MIGRATIONS.length);
    const plex = s.providerState('plex').loadIndex('m1');
    assert.equal(plex?.scope, '1,2');
    assert.equal(plex?.refreshedAt, 1700);
    assert.deepEqual(
      [...(plex?.entries ?? [])].sort((a, b) => a.token.localeCompare(b.token)),
      [
        { kind: 'episode', token: 'coord:5#s01e02', id: '11' },
        { kind: 'movie', token: 'movie:imdb:tt1', id: '12' },
      ],
      'the later of two entries for a token wins, as it did in memory',
    );
    assert.deepEqual(s.providerState('jf').loadIndex('j1'), { scope: 'all', refreshedAt: 1800, entries: [{ kind: 'show', token: 'show:tvdb:7', id: '20' }] });
    assert.deepEqual(s.providerState('jf').loadIndex('j2'), { scope: 'all', refreshedAt: 1900, entries: [] });
    const columns = (s.db.prepare('PRAGMA table_info(id_index)').all() as { name: string }[]).map((c) => c.name);
    assert.deepEqual(columns, ['provider', 'server', 'scope', 'refreshed_at'], 'the blob column is gone');
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every statement is prepared once: a second pass over the store prepares nothing', () => {
  const s = Store.open(':memory:');
  const prepared: string[] = [];
  const prepare = s.db.prepare.bind(s.db);
  s.db.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof s.db.prepare;
  const ref = { provider: 'b', server: 'srv', id: '42' };
  const pass = (n: number) => {
    s.setKv('k', String(n));
    s.getKv('k');
    const state = s.providerState('b');
    state.set('x', '1');
    state.get('x');
    state.replaceIndex('srv', { scope: 'all', refreshedAt: n, entries: [entry('movie:imdb:tt1', '42')] });
    state.upsertIndex('srv', { scope: 'all', refreshedAt: n + 1, entries: [entry('movie:imdb:tt2', '42')], removedTokens: ['movie:imdb:tt1'] });
    state.loadIndex('srv');
    const run = s.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: n });
    s.recordDecisions(run, [decision('imdb:tt1', 'Heat', 'write')]);
    s.recordObservations(run, 'b', [
      { key: 'imdb:tt1', record: { ref, type: 'movie', title: 'Heat', ids: { imdb: 'tt1' }, progressMs: 10, durationMs: 100, watched: false } },
    ]);
    s.positionedObservations('b');
    s.observation('b', 'imdb:tt1');
    s.item('imdb:tt1');
    const id = s.journalIntent({ runId: run, ref, key: 'imdb:tt1', previous: { watched: false }, value: { progressMs: 10, durationMs: 100 }, at: n });
    s.journalOutcome(id, { status: 'confirmed', at: n });
    s.lastConfirmedWrite('b', 'imdb:tt1');
    s.journal(run);
    s.savePending({ pair: 'p', key: 'imdb:tt1', title: 'Heat', kind: 'failed', attempts: 1, firstAt: n, lastAt: n, nextAt: n, parked: false, sourcePos: '10' });
    s.pendingFor('p');
    s.pending();
    s.dropPending('p', 'imdb:tt1');
    s.finishRun(run, { finishedAt: n, status: 'ok', counts: { write: 1 } });
    s.runs();
    s.runs({ pair: 'p' });
    s.run(run);
    s.decisionsOfRun(run);
    s.counts();
    s.explain('Heat');
  };
  pass(1);
  assert.ok(prepared.length > 20, `the first pass prepares its statements (${prepared.length})`);
  const first = prepared.length;
  pass(2);
  assert.deepEqual(prepared.slice(first), [], 'nothing is prepared again');
});

test("migration 5: 'unconfirmed' rows and failed rows whose reply went wrong become unknown; refused ones stay failed", () => {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-store-'));
  try {
    const path = join(dir, 'state.db');
    const old = new Database(path);
    for (const step of MIGRATIONS.slice(0, 4)) old.exec(step);
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO runs(pair, source, target, dry_run, started_at) VALUES ('p', 'a', 'b', 0, 1)").run();
    const rows: [string, string | null][] = [
      ['confirmed', null],
      ['unconfirmed', 'could not re-read: plex: GET /library/metadata/1 failed: timed out'],
      ['unconfirmed', 'not confirmed: after writing 60000 ms the server reports position none'],
      ['failed', 'plex: POST /:/timeline failed: timed out'],
      ['failed', 'plex: POST /:/timeline: the response body was cut off (UND_ERR_SOCKET: other side closed)'],
      ['failed', 'jf: POST /Users/u/Items/1/UserData failed: ECONNRESET: read ECONNRESET'],
      ['failed', 'jf: POST /Users/u/Items/1/UserData answered 502 after 5 attempts'],
      ['failed', 'trakt: POST /scrobble/pause answered 404: not found'],
      ['failed', 'trakt: POST /scrobble/pause answered 429 (rate limited) after 5 attempts'],
      ['failed', 'plex: POST /:/timeline failed: connection refused (is the server running?)'],
      ['intent', null],
    ];
    const insert = old.prepare(
      "INSERT INTO journal(run_id, provider, server, ref, key, previous, value, status, error, created_at) VALUES (1, 'plex', 'm', '1', ?, '{}', '{\"progressMs\":1}', ?, ?, 1)",
    );
    for (const [i, [status, error]] of rows.entries()) insert.run(`k${i}`, status, error);
    old.close();

    const s = Store.open(path);
    assert.equal(s.schemaVersion, MIGRATIONS.length);
    assert.deepEqual(
      s.journal(1).map((j) => j.status),
      ['confirmed', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'failed', 'failed', 'failed', 'intent'],
    );
    assert.equal(s.journal(1)[1]?.error, rows[1]?.[1], 'the error is kept');
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
