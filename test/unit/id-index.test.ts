// The external-id index cache: built by a full scan, then refreshed in place from the items that
// changed, in memory and in the store alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { entriesFor, ExternalIdIndex, type IndexSource } from '../../src/providers/id-index.ts';
import { Store } from '../../src/store/store.ts';
import { dryRunState } from '../../src/store/dry-run.ts';
import type { ExternalIds } from '../../src/core/model.ts';
import type { IndexEntry, ProviderState } from '../../src/core/state.ts';

const log = pino({ level: 'silent' });
const DAY_MS = 86_400_000;
const SERVER_TIME_S = 1_700_000_000;
const movie = (id: string, ids: ExternalIds) => entriesFor({ id, type: 'movie', ids });
const find = (index: ExternalIdIndex, ids: ExternalIds) => index.lookup({ type: 'movie', ids, title: 'x' });

/** A server whose next scan answers `changed` to a refresh and `all` to a full scan. */
function fakeSource(all: IndexEntry[], changed: IndexEntry[] = []) {
  const scans: (number | undefined)[] = [];
  const source: IndexSource = {
    scope: 'all',
    async scan(since) {
      scans.push(since);
      return { entries: since === undefined ? all : changed, serverTime: SERVER_TIME_S + scans.length };
    },
  };
  return { source, scans };
}

const stored = (state: ProviderState) => Object.fromEntries((state.loadIndex('srv')?.entries ?? []).map((e) => [e.token, e.id]));

/** Counts the row writes on the entries table while `fn` runs. */
function rowWrites(store: Store, fn: () => Promise<void>): Promise<number> {
  store.db.exec(`CREATE TEMP TABLE writes(n INTEGER);
    CREATE TEMP TRIGGER w_ins AFTER INSERT ON id_index_entries BEGIN INSERT INTO writes VALUES (1); END;
    CREATE TEMP TRIGGER w_upd AFTER UPDATE ON id_index_entries BEGIN INSERT INTO writes VALUES (1); END;
    CREATE TEMP TRIGGER w_del AFTER DELETE ON id_index_entries BEGIN INSERT INTO writes VALUES (1); END;`);
  return fn().then(() => (store.db.prepare('SELECT COUNT(*) AS n FROM writes').get() as { n: number }).n);
}

test('a refresh updates only the changed item: its corrected id replaces the old one, in memory and in the store', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  const firstRun = fakeSource([...movie('1', { imdb: 'tt1', tmdb: '100' }), ...movie('2', { imdb: 'tt2' }), ...movie('3', { tmdb: '300' })]);
  const first = new ExternalIdIndex(firstRun.source, state, 'srv', log, now);
  await first.ensure();
  assert.deepEqual(firstRun.scans, [undefined], 'a full scan');
  assert.equal(find(first, { imdb: 'tt1' }), '1');
  assert.deepEqual(stored(state), { 'movie:imdb:tt1': '1', 'movie:tmdb:100': '1', 'movie:imdb:tt2': '2', 'movie:tmdb:300': '3' });

  // Next run: item 1's imdb id was corrected on the server (its tmdb id stays).
  const nextRun = fakeSource([], movie('1', { imdb: 'tt9', tmdb: '100' }));
  const next = new ExternalIdIndex(nextRun.source, state, 'srv', log, now);
  const writes = await rowWrites(store, () => next.ensure());
  assert.equal(nextRun.scans.length, 1);
  assert.notEqual(nextRun.scans[0], undefined, 'an incremental scan');
  assert.equal(find(next, { imdb: 'tt9' }), '1');
  assert.equal(find(next, { imdb: 'tt1' }), undefined, 'the old id no longer points at the item');
  assert.equal(find(next, { tmdb: '100' }), '1');
  assert.equal(find(next, { imdb: 'tt2' }), '2');
  assert.equal(next.size, 4);
  assert.deepEqual(
    stored(state),
    { 'movie:imdb:tt9': '1', 'movie:tmdb:100': '1', 'movie:imdb:tt2': '2', 'movie:tmdb:300': '3' },
    'the store holds what memory holds',
  );
  assert.ok(writes <= 3, `only item 1's rows were written (${writes})`);
  assert.equal(state.loadIndex('srv')?.refreshedAt, SERVER_TIME_S + 1);
});

test('a dry run refreshes the index in memory and leaves the stored one as it was', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  await new ExternalIdIndex(fakeSource([...movie('1', { imdb: 'tt1' }), ...movie('2', { imdb: 'tt2' })]).source, state, 'srv', log, now).ensure();
  const before = state.loadIndex('srv');
  const dry = new ExternalIdIndex(fakeSource([], movie('1', { imdb: 'tt9' })).source, dryRunState(state), 'srv', log, now);
  await dry.ensure();
  assert.equal(find(dry, { imdb: 'tt9' }), '1');
  assert.equal(find(dry, { imdb: 'tt1' }), undefined);
  assert.deepEqual(state.loadIndex('srv'), before);
});
