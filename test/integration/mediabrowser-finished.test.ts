// Finished reads on Jellyfin and Emby over real HTTP (the MediaBrowser emulator): listFinished's
// since boundary, paging and its requests, library scope, episodes with their show's ids,
// readFinished by id, and markUnwatched undoing markWatched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { MbItem } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import { normaliseIds } from '../../src/core/ids.ts';
import type { ProgressRecord } from '../../src/core/model.ts';
import { FINISHED_PAGE_SIZE } from '../../src/providers/mediabrowser/index.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { Store } from '../../src/store/store.ts';
import { startMediaBrowserHarness } from '../harness/mediabrowser.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const MINUTE = 60_000;
// More films than one finished page holds, so paging is exercised.
const LIBRARY = `movies=${FINISHED_PAGE_SIZE + 30},shows=2,seasons=1,episodes=4`;

async function collect(pages: AsyncIterable<ProgressRecord[]>): Promise<ProgressRecord[]> {
  const out: ProgressRecord[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect}: finished reads`, () => {
    let emu: RunningMediaBrowserEmulator;
    let store: Store;
    let alice: { id: string; token: string };
    let movies: MbItem[];
    let episodes: MbItem[];
    const providers: Provider[] = [];

    before(async () => {
      emu = await startMediaBrowserEmulator({ dialect, name: `fin-${dialect}`, synthetic: LIBRARY, seed: 'finished', quiet: true, now: () => NOW });
      store = Store.open(':memory:');
      const found = emu.users.find((u) => u.name === 'alice');
      assert.ok(found);
      alice = found;
      movies = emu.state.items.filter((i) => i.Type === 'Movie');
      episodes = emu.state.items.filter((i) => i.Type === 'Episode');
    });
    after(async () => {
      await Promise.all(providers.map((p) => p.close()));
      store.close();
      await emu.close();
    });

    const provider = (extra: Partial<ProviderConfig> = {}): Provider => {
      const config = {
        kind: dialect,
        url: dialect === 'emby' ? `${emu.url}/emby` : emu.url,
        token: alice.token,
        ...(dialect === 'emby' ? { user: alice.id } : {}),
        timeoutMs: 5000,
        retries: 1,
        maxConcurrentWrites: 4,
        ...extra,
      } as ProviderConfig;
      const id = `fin-${providers.length}`;
      const p = createProvider(
        id,
        config,
        { state: store.providerState(id), installationId: 'fin', log: pino({ level: 'silent' }), now: () => NOW, dryRun: false },
        { minBackoffMs: 1 },
      );
      providers.push(p);
      return p;
    };
    /** Alice's records: replaced whole, so each test states everything it relies on. */
    const setRecords = (records: Record<string, { played?: boolean; at?: number; positionMs?: number }>) => {
      emu.state.userData[alice.id] = Object.fromEntries(
        Object.entries(records).map(([id, r]) => [
          id,
          {
            PlaybackPositionTicks: (r.positionMs ?? 0) * 10_000,
            PlayCount: r.played ? 1 : 0,
            Played: r.played ?? false,
            IsFavorite: false,
            ...(r.at !== undefined ? { LastPlayedDate: new Date(r.at).toISOString() } : {}),
            // Saved now, as a server stamps every record it writes (Emby filters on it).
            DateLastSaved: new Date(NOW).toISOString(),
          },
        ]),
      );
    };
    const itemRequests = () => emu.requests.filter((r) => r.method === 'GET' && /\/items$/i.test(r.path));

    it('lists what was finished at or after `since` (the boundary included), once each, with watchedAt and ids', async () => {
      const [atSince, newer, older, noDate] = movies;
      const episode = episodes[0];
      assert.ok(atSince && newer && older && noDate && episode);
      const since = NOW - 60 * MINUTE;
      setRecords({
        [atSince.Id]: { played: true, at: since },
        [newer.Id]: { played: true, at: NOW - MINUTE },
        [older.Id]: { played: true, at: since - 1000 },
        // Played without a date (a UserData write): no watched time, never a finish.
        [noDate.Id]: { played: true },
        [episode.Id]: { played: true, at: NOW - 5 * MINUTE },
        // In progress, played recently: not finished.
        [movies[4]!.Id]: { at: NOW, positionMs: 600_000 },
      });
      const records = await collect(provider().listFinished!(since));
      assert.deepEqual(
        records.map((r) => r.ref.id),
        [newer.Id, episode.Id, atSince.Id],
        'newest first, the one at `since` included',
      );
      assert.ok(records.every((r) => r.watched === true));
      assert.deepEqual(
        records.map((r) => r.watchedAt),
        [NOW - MINUTE, NOW - 5 * MINUTE, since],
      );
      const film = records[0]!;
      assert.deepEqual(film.ids, normaliseIds(newer.ProviderIds));
      assert.equal(film.type, 'movie');
      const ep = records[1]!;
      const series = emu.state.items.find((i) => i.Id === episode.SeriesId);
      assert.ok(series);
      assert.equal(ep.type, 'episode');
      assert.deepEqual(ep.show?.ids, normaliseIds(series.ProviderIds), 'episodes carry their show ids');
      assert.equal(ep.season, episode.ParentIndexNumber);
      assert.equal(ep.episode, episode.IndexNumber);
    });

    it('pages while every play is recent, and a no-change run reads a single page', async () => {
      // FINISHED_PAGE_SIZE + 10 films finished in the last hours, one a minute.
      const recent = movies.slice(0, FINISHED_PAGE_SIZE + 10);
      const longAgo = movies.slice(FINISHED_PAGE_SIZE + 10, FINISHED_PAGE_SIZE + 20);
      setRecords(
        Object.fromEntries([
          ...recent.map((m, i) => [m.Id, { played: true, at: NOW - i * MINUTE }] as const),
          ...longAgo.map((m, i) => [m.Id, { played: true, at: NOW - 30 * 86_400_000 - i * MINUTE }] as const),
        ]),
      );
      const p = provider();
      await p.connect();
      emu.requests.length = 0;
      const all = await collect(p.listFinished!(NOW - 7 * 86_400_000));
      assert.equal(all.length, recent.length);
      assert.equal(new Set(all.map((r) => r.ref.id)).size, recent.length, 'no duplicates');
      assert.equal(itemRequests().length, 2, 'two pages, then the read stops at the first old play');
      const asked = itemRequests()[0]?.query ?? {};
      const param = (name: string) => Object.entries(asked).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
      assert.equal(param('IsPlayed'), 'true');
      assert.equal(param('SortBy'), 'DatePlayed');
      assert.equal(param('SortOrder'), 'Descending');
      assert.equal(param('Recursive'), 'true');
      assert.equal(param('IncludeItemTypes'), 'Movie,Episode');
      // Emby's filter of the user's records changed since; Jellyfin's of that name is the item's metadata time.
      assert.equal(param('MinDateLastSavedForUser'), dialect === 'emby' ? new Date(NOW - 7 * 86_400_000).toISOString() : undefined);
      assert.equal(param('MinDateLastSaved'), undefined);

      // The next run: nothing finished since the last one (since = now).
      emu.requests.length = 0;
      assert.deepEqual(await collect(p.listFinished!(NOW + 1)), []);
      assert.equal(itemRequests().length, 1, 'one page');
      // Nothing played at all: one (empty) page too.
      setRecords({});
      emu.requests.length = 0;
      assert.deepEqual(await collect(p.listFinished!(0)), []);
      assert.equal(itemRequests().length, 1);
    });

    it('stays inside the configured libraries', async () => {
      const moviesLib = emu.state.libraries.find((l) => l.CollectionType === 'movies');
      const showsLib = emu.state.libraries.find((l) => l.CollectionType === 'tvshows');
      assert.ok(moviesLib && showsLib);
      const [film] = movies;
      const [episode] = episodes;
      assert.ok(film && episode);
      setRecords({ [film.Id]: { played: true, at: NOW - MINUTE }, [episode.Id]: { played: true, at: NOW - 2 * MINUTE } });
      const showsOnly = provider({ libraries: [showsLib.Id] } as Partial<ProviderConfig>);
      assert.deepEqual(
        (await collect(showsOnly.listFinished!(NOW - 60 * MINUTE))).map((r) => r.ref.id),
        [episode.Id],
      );
      const both = provider({ libraries: [moviesLib.Id, showsLib.Id] } as Partial<ProviderConfig>);
      assert.deepEqual(
        (await collect(both.listFinished!(NOW - 60 * MINUTE))).map((r) => r.ref.id),
        [film.Id, episode.Id],
      );
      // By id the servers ignore the parent (ids are looked up anywhere): each item once, not once per library.
      assert.deepEqual((await both.readFinished!([film.Id, episode.Id])).map((r) => r.ref.id).sort(), [film.Id, episode.Id].sort());
    });

    it('readFinished: the finished ones among the ids, whatever their time, batched', async () => {
      const [old, recent, inProgress, untouched, noDate] = movies;
      const episode = episodes[1];
      assert.ok(old && recent && inProgress && untouched && noDate && episode);
      setRecords({
        [old.Id]: { played: true, at: NOW - 400 * 86_400_000 },
        [recent.Id]: { played: true, at: NOW - MINUTE },
        [inProgress.Id]: { at: NOW, positionMs: 300_000 },
        [noDate.Id]: { played: true },
        [episode.Id]: { played: true, at: NOW - 2 * MINUTE },
      });
      const p = provider();
      await p.connect();
      emu.requests.length = 0;
      const ids = [old.Id, recent.Id, inProgress.Id, untouched.Id, noDate.Id, episode.Id, dialect === 'emby' ? '987654321' : 'f'.repeat(32)];
      const records = await p.readFinished!(ids);
      assert.deepEqual(
        new Map(records.map((r) => [r.ref.id, r.watchedAt])),
        new Map([
          [old.Id, NOW - 400 * 86_400_000],
          [recent.Id, NOW - MINUTE],
          [episode.Id, NOW - 2 * MINUTE],
        ]),
      );
      assert.ok(records.every((r) => r.watched));
      const series = emu.state.items.find((i) => i.Id === episode.SeriesId);
      assert.deepEqual(records.find((r) => r.ref.id === episode.Id)?.show?.ids, normaliseIds(series?.ProviderIds ?? {}));
      // One listing by Ids, one for the series' ids.
      assert.equal(itemRequests().length, 2);
      assert.deepEqual(await p.readFinished!([]), []);
    });

    it('markUnwatched undoes markWatched: the item leaves the finished read', async () => {
      const film = movies[7];
      assert.ok(film);
      setRecords({ [film.Id]: { at: NOW - 10 * MINUTE, positionMs: 1_200_000 } });
      const p = provider();
      const { serverId } = await p.connect();
      const ref = { provider: 'x', server: serverId, id: film.Id };
      await p.markWatched!(ref);
      const finished = await p.readFinished!([film.Id]);
      assert.equal(finished.length, 1);
      // The played route keeps the previous LastPlayedDate.
      assert.equal(finished[0]?.watchedAt, NOW - 10 * MINUTE);
      assert.equal(emu.state.userData[alice.id]?.[film.Id]?.PlaybackPositionTicks, 0);
      await p.markUnwatched!(ref);
      assert.deepEqual(await p.readFinished!([film.Id]), []);
      assert.deepEqual(await collect(p.listFinished!(0)), []);
      const record = emu.state.userData[alice.id]?.[film.Id];
      assert.equal(record?.Played, false);
      const unplayed = emu.requests.filter((r) => r.method === 'DELETE');
      assert.equal(unplayed.length, 1, 'one DELETE of the played mark');
      assert.equal(p.capabilities.finishedReads, true);
    });
  });
}

// The conformance harness hook the suite's finish cases use: what it sets is what listFinished reads.
for (const dialect of ['jellyfin', 'emby'] as const) {
  it(`${dialect} harness: setFinished marks the item played at that time`, async () => {
    const h = await startMediaBrowserHarness(dialect, `fin-harness-${dialect}`);
    const store = Store.open(':memory:');
    const p = createProvider('h', h.config(), {
      state: store.providerState('h'),
      installationId: 'fin',
      log: pino({ level: 'silent' }),
      now: Date.now,
      dryRun: false,
    });
    try {
      const [film] = h.movies();
      const [episode] = h.episodes();
      assert.ok(film && episode && h.setFinished);
      const at = Date.now() - 3 * MINUTE;
      await h.setProgress(film, 0.5, at - 60 * MINUTE);
      await h.setFinished(film, at);
      await h.setFinished(episode, at - MINUTE);
      const records = await collect(p.listFinished!(at - 2 * MINUTE));
      assert.deepEqual(
        records.map((r) => [r.title, r.watchedAt, r.progressMs ?? 0]),
        [
          [film.title, at, 0],
          [episode.title, at - MINUTE, 0],
        ],
      );
      assert.equal(await h.progressOf(film), undefined, 'finished: no position left');
    } finally {
      await p.close();
      store.close();
      await h.close();
    }
  });
}
