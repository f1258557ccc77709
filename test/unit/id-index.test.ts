// The external-id index cache: built by a full scan, then refreshed in place from the items that
// changed, in memory and in the store alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { entriesFor, ExternalIdIndex, resolveWithIndex, type IndexSource } from '../../src/providers/id-index.ts';
import { Store } from '../../src/store/store.ts';
import { dryRunState } from '../../src/store/dry-run.ts';
import type { ExternalIds } from '../../src/core/model.ts';
import type { IndexEntry, ProviderState } from '../../src/core/state.ts';

const log = pino({ level: 'silent' });
const DAY_MS = 86_400_000;
const SERVER_TIME_S = 1_700_000_000;
const movie = (id: string, ids: ExternalIds) => entriesFor({ id, type: 'movie', ids });
/** The one item a movie's ids name (undefined: none; every id when they name several). */
const find = (index: ExternalIdIndex, ids: ExternalIds) => {
  const found = index.lookup({ type: 'movie', ids, title: 'x' });
  return found.length <= 1 ? found[0] : found;
};

/** A server whose next scan answers `changed` to a refresh and `all` to a full scan. */
function fakeSource(all: IndexEntry[], changed: IndexEntry[] = []) {
  const scans: (number | undefined)[] = [];
  const source: IndexSource = {
    scope: 'all',
    async scan(onPage, since) {
      scans.push(since);
      onPage(since === undefined ? all : changed);
      return { serverTime: SERVER_TIME_S + scans.length };
    },
  };
  return { source, scans };
}

/** The stored index as token → id (a stored row's token carries its item's id after `|`). */
const stored = (state: ProviderState) =>
  Object.fromEntries(
    (state.loadIndex('srv')?.entries ?? []).map((e) => {
      assert.ok(e.token.endsWith(`|${e.id}`), e.token);
      return [e.token.slice(0, -`|${e.id}`.length), e.id];
    }),
  );

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

test('one id naming two items is kept as two, across runs (the store keeps both rows)', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  // Two editions carry one imdb id; item 3 is alone.
  const all = [...movie('1', { imdb: 'tt1', tmdb: '100' }), ...movie('2', { imdb: 'tt1' }), ...movie('3', { imdb: 'tt3' })];
  const first = new ExternalIdIndex(fakeSource(all).source, state, 'srv', log, now);
  await first.ensure();
  assert.deepEqual(find(first, { imdb: 'tt1' }), ['1', '2']);
  // By tmdb only item 1, but by imdb both: every id the item has counts.
  assert.deepEqual(find(first, { imdb: 'tt1', tmdb: '100' }), ['1', '2']);
  assert.equal(find(first, { tmdb: '100' }), '1');
  assert.equal(find(first, { imdb: 'tt3' }), '3');
  // Next run, from the store, nothing changed: still both.
  const next = new ExternalIdIndex(fakeSource([]).source, state, 'srv', log, now);
  await next.ensure();
  assert.deepEqual(find(next, { imdb: 'tt1' }), ['1', '2']);
  // Edition 2's id is corrected: the id names one item again.
  const fixed = new ExternalIdIndex(fakeSource([], movie('2', { imdb: 'tt2' })).source, state, 'srv', log, now);
  await fixed.ensure();
  assert.equal(find(fixed, { imdb: 'tt1' }), '1');
  assert.equal(find(fixed, { imdb: 'tt2' }), '2');
});

test('rows stored before tokens carried their item are still read', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  state.replaceIndex('srv', { scope: 'all', refreshedAt: SERVER_TIME_S, entries: movie('1', { imdb: 'tt1' }) });
  const index = new ExternalIdIndex(fakeSource([], movie('2', { imdb: 'tt1' })).source, state, 'srv', log, now);
  await index.ensure();
  assert.deepEqual(find(index, { imdb: 'tt1' }), ['1', '2']);
});

test('resolving: one item is found, several are ambiguous (all named), none is not found; an episode by show and numbers likewise', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  const all = [
    ...movie('1', { imdb: 'tt1' }),
    ...movie('2', { imdb: 'tt1' }),
    ...movie('3', { imdb: 'tt3' }),
    ...entriesFor({ id: 's1', type: 'show', ids: { tvdb: '7' } }),
    ...entriesFor({ id: 's2', type: 'show', ids: { tvdb: '7' } }),
    ...entriesFor({ id: 'e1', type: 'episode', ids: {}, showId: 's1', season: 1, episode: 2 }),
    ...entriesFor({ id: 'e2', type: 'episode', ids: {}, showId: 's2', season: 1, episode: 2 }),
    ...entriesFor({ id: 'e3', type: 'episode', ids: {}, showId: 's1', season: 1, episode: 3 }),
  ];
  const index = new ExternalIdIndex(fakeSource(all).source, state, 'srv', log, now);
  const ep = (episode: number) => ({ type: 'episode' as const, ids: {}, title: 'e', show: { ids: { tvdb: '7' } }, season: 1, episode });
  const got = await resolveWithIndex(
    [
      { key: 'a', type: 'movie', ids: { imdb: 'tt1' }, title: 'A' },
      { key: 'b', type: 'movie', ids: { imdb: 'tt3' }, title: 'B' },
      { key: 'c', type: 'movie', ids: { imdb: 'tt4' }, title: 'C' },
      { key: 'd', ...ep(2) },
      { key: 'e', ...ep(3) },
    ],
    'jf',
    'srv',
    index,
  );
  const ref = (id: string) => ({ provider: 'jf', server: 'srv', id });
  assert.deepEqual(got.get('a'), { unresolved: 'its ids name 2 different items on this server', ambiguous: [ref('1'), ref('2')] });
  assert.deepEqual(got.get('b'), { ref: ref('3') });
  assert.deepEqual(got.get('c'), { unresolved: 'not found on this server by external id' });
  assert.deepEqual(got.get('d'), { unresolved: 'its ids name 2 different items on this server', ambiguous: [ref('e1'), ref('e2')] });
  assert.deepEqual(got.get('e'), { ref: ref('e3') });
});

test('a full scan hands each page to the store as it arrives, and lookups read the rows', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  const stagedBetweenPages: number[] = [];
  const source: IndexSource = {
    scope: 'all',
    async scan(onPage) {
      onPage(movie('1', { imdb: 'tt1' }));
      stagedBetweenPages.push((store.db.prepare('SELECT COUNT(*) AS n FROM id_index_staging').get() as { n: number }).n);
      onPage(movie('2', { imdb: 'tt2' }));
      return { serverTime: SERVER_TIME_S };
    },
  };
  const index = new ExternalIdIndex(source, state, 'srv', log, now);
  await index.ensure();
  assert.deepEqual(stagedBetweenPages, [1], 'the first page was in the store before the second arrived');
  assert.deepEqual(stored(state), { 'movie:imdb:tt1': '1', 'movie:imdb:tt2': '2' });
  assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM id_index_staging').get() as { n: number }).n, 0, 'nothing is left staged');
  // The rows answer, not a copy in memory: a row changed behind the index's back is what it finds.
  store.db.prepare("UPDATE id_index_entries SET token = 'movie:imdb:tt2|9', id = '9' WHERE token = 'movie:imdb:tt2|2'").run();
  assert.equal(find(index, { imdb: 'tt2' }), '9');
  assert.equal(index.size, 2);
});

test('a full scan cut short leaves the stored index as it was, and the next run scans in full again', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  await new ExternalIdIndex(fakeSource([...movie('1', { imdb: 'tt1' })]).source, state, 'srv', log, now).ensure();
  const before = state.loadIndex('srv');
  // The libraries changed (another scope): a full scan, which breaks half-way.
  const broken: IndexSource = {
    scope: 'libraries 1,2',
    async scan(onPage) {
      onPage(movie('7', { imdb: 'tt7' }));
      throw new Error('connection reset');
    },
  };
  await assert.rejects(new ExternalIdIndex(broken, state, 'srv', log, now).ensure(), /connection reset/);
  assert.deepEqual(state.loadIndex('srv'), before, 'the index from before, not half of the new one');
  const next = fakeSource([...movie('7', { imdb: 'tt7' }), ...movie('8', { imdb: 'tt8' })]);
  const index = new ExternalIdIndex({ ...next.source, scope: 'libraries 1,2' }, state, 'srv', log, now);
  await index.ensure();
  assert.deepEqual(next.scans, [undefined], 'a full scan, not a refresh');
  assert.equal(find(index, { imdb: 'tt8' }), '8');
  assert.equal(find(index, { imdb: 'tt1' }), undefined);
});

test('a dry run builds a first index in memory and stores nothing, staged or not', async () => {
  const store = Store.open(':memory:');
  const state = store.providerState('jf');
  const now = () => SERVER_TIME_S * 1000 + DAY_MS;
  const index = new ExternalIdIndex(fakeSource([...movie('1', { imdb: 'tt1' }), ...movie('2', { imdb: 'tt1' })]).source, dryRunState(state), 'srv', log, now);
  await index.ensure();
  assert.deepEqual(find(index, { imdb: 'tt1' }), ['1', '2']);
  assert.equal(state.loadIndex('srv'), undefined);
  for (const table of ['id_index', 'id_index_entries', 'id_index_staging']) {
    assert.equal((store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n, 0, table);
  }
});
