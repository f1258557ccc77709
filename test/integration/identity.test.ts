// Issue 10, defects 5 and 9 over real HTTP: two editions that carry one imdb id are never
// written onto each other (`ambiguous_ids`), in both directions and when the id names two items
// on the target; an impossible position from a server is reported (`bad_position`), never used.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { TypedDecision } from '../../src/core/pipeline.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { Store } from '../../src/store/store.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=3';
const SEED = 'identity';
const TICKS = 10_000;
const HOUR_AGO_S = () => Math.floor(Date.now() / 1000) - 3600;
const EDITION_LONGER_MS = 15 * 60_000;

async function sync(source: ProviderConfig, target: ProviderConfig): Promise<RunResult> {
  const config: Config = {
    providers: { src: source, dst: target },
    pairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
  const store = Store.open(':memory:');
  try {
    const [outcome] = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
    assert.ok(outcome);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  } finally {
    store.close();
  }
}

const limits = { timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };
const plexConfig = (plex: RunningPlexEmulator): ProviderConfig => ({ kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits });
const jellyfinConfig = (jf: RunningMediaBrowserEmulator): ProviderConfig => ({ kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits });
function alice(jf: RunningMediaBrowserEmulator) {
  const u = jf.users.find((x) => x.name === 'alice');
  assert.ok(u);
  return u;
}

const startPlex = (name: string) => startPlexEmulator({ name, synthetic: LIBRARY, seed: SEED, quiet: true });
const startJellyfin = (name: string) => startMediaBrowserEmulator({ dialect: 'jellyfin', name, synthetic: LIBRARY, seed: SEED, quiet: true });

const imdbOfPlex = (item: RunningPlexEmulator['state']['items'][number]) => item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
const plexMovies = (plex: RunningPlexEmulator) => plex.state.items.filter((i) => i.type === 'movie' && imdbOfPlex(i) !== undefined && i.durationMs);
const jfMovie = (jf: RunningMediaBrowserEmulator, imdb: string | undefined) => {
  const found = jf.state.items.filter((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdb);
  assert.equal(found.length, 1, `one Jellyfin movie with ${imdb}`);
  return found[0]!;
};
const plexMovie = (plex: RunningPlexEmulator, imdb: string | undefined) => {
  const found = plex.state.items.filter((i) => i.type === 'movie' && imdbOfPlex(i) === imdb);
  assert.equal(found.length, 1, `one Plex movie with ${imdb}`);
  return found[0]!;
};

/** A second edition of `film` on Plex: another item (ratingKey) with the film's ids and title, 15 min longer. */
function plexEdition(plex: RunningPlexEmulator, film: RunningPlexEmulator['state']['items'][number]) {
  const other = plexMovies(plex).find((i) => i !== film);
  assert.ok(other);
  Object.assign(other, { title: film.title, year: film.year, guids: [...film.guids], durationMs: (film.durationMs ?? 0) + EDITION_LONGER_MS });
  return other;
}

/** A second edition of `film` on Jellyfin (same ProviderIds and name, 15 min longer). */
function jfEdition(jf: RunningMediaBrowserEmulator, film: RunningMediaBrowserEmulator['state']['items'][number]) {
  const other = jf.state.items.find((i) => i.Type === 'Movie' && i.Id !== film.Id && i.RunTimeTicks);
  assert.ok(other);
  Object.assign(other, {
    Name: film.Name,
    ProductionYear: film.ProductionYear,
    ProviderIds: { ...film.ProviderIds },
    RunTimeTicks: (film.RunTimeTicks ?? 0) + EDITION_LONGER_MS * TICKS,
  });
  return other;
}

const plexPlayed = (plex: RunningPlexEmulator, ratingKey: string, viewOffset: number) => {
  (plex.state.userState['1'] ??= {})[ratingKey] = { viewOffset, lastViewedAt: HOUR_AGO_S() };
};
const jfPlayed = (jf: RunningMediaBrowserEmulator, id: string, fraction: number) => {
  const item = jf.state.items.find((i) => i.Id === id);
  (jf.state.userData[alice(jf).id] ??= {})[id] = {
    PlaybackPositionTicks: Math.round((item?.RunTimeTicks ?? 0) * fraction),
    PlayCount: 0,
    Played: false,
    IsFavorite: false,
    LastPlayedDate: new Date((HOUR_AGO_S() + 60) * 1000).toISOString(),
  };
};

const decisionOn = (run: RunResult, key: string): TypedDecision => {
  const d = run.decisions.find((x) => x.key === key);
  assert.ok(d, `a decision for ${key}: ${JSON.stringify(run.decisions.map((x) => [x.key, x.reason]))}`);
  return d;
};

describe('two editions with one imdb id', () => {
  test('Plex → Jellyfin: both skipped as ambiguous_ids, each named, nothing written', async () => {
    const plex = await startPlex('id-px-src');
    const jf = await startJellyfin('id-jf-dst');
    try {
      const film = plexMovies(plex)[0]!;
      const edition = plexEdition(plex, film);
      plexPlayed(plex, film.ratingKey, Math.round(film.durationMs! * 0.3));
      plexPlayed(plex, edition.ratingKey, Math.round(edition.durationMs! * 0.5));
      const twin = jfMovie(jf, imdbOfPlex(film));
      const run = await sync(plexConfig(plex), jellyfinConfig(jf));
      const d = decisionOn(run, `imdb:${imdbOfPlex(film)}`);
      assert.equal(d.reason, 'ambiguous_ids');
      assert.equal(d.action, 'skip');
      assert.equal(d.detail?.side, 'source');
      assert.deepEqual(
        d.detail?.items.map((i) => [i.id, i.title]).sort(),
        [
          [film.ratingKey, film.title],
          [edition.ratingKey, film.title],
        ].sort(),
      );
      assert.equal(run.counts.write ?? 0, 0);
      assert.equal(jf.state.userData[alice(jf).id]?.[twin.Id]?.PlaybackPositionTicks ?? 0, 0, 'the Jellyfin film is untouched');
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });

  test('Jellyfin → Plex: both skipped as ambiguous_ids, nothing written', async () => {
    const jf = await startJellyfin('id-jf-src');
    const plex = await startPlex('id-px-dst');
    try {
      const film = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb && i.RunTimeTicks)!;
      const edition = jfEdition(jf, film);
      jfPlayed(jf, film.Id, 0.3);
      jfPlayed(jf, edition.Id, 0.5);
      const twin = plexMovie(plex, film.ProviderIds.Imdb);
      const run = await sync(jellyfinConfig(jf), plexConfig(plex));
      const d = decisionOn(run, `imdb:${film.ProviderIds.Imdb}`);
      assert.equal(d.reason, 'ambiguous_ids');
      assert.deepEqual(d.detail?.items.map((i) => i.id).sort(), [film.Id, edition.Id].sort());
      assert.equal(run.counts.write ?? 0, 0);
      assert.equal(plex.state.userState['1']?.[twin.ratingKey]?.viewOffset, undefined, 'the Plex film is untouched');
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });

  test('Plex → Jellyfin with the editions on the target: the id names two items there, neither is written', async () => {
    const plex = await startPlex('id-px-src2');
    const jf = await startJellyfin('id-jf-dst2');
    try {
      const film = plexMovies(plex)[0]!;
      plexPlayed(plex, film.ratingKey, Math.round(film.durationMs! * 0.3));
      const twin = jfMovie(jf, imdbOfPlex(film));
      const edition = jfEdition(jf, twin);
      const run = await sync(plexConfig(plex), jellyfinConfig(jf));
      const d = decisionOn(run, `imdb:${imdbOfPlex(film)}`);
      assert.equal(d.reason, 'ambiguous_ids');
      assert.equal(d.detail?.side, 'target');
      assert.deepEqual(d.detail?.items.map((i) => i.id).sort(), [twin.Id, edition.Id].sort());
      for (const id of [twin.Id, edition.Id]) assert.equal(jf.state.userData[alice(jf).id]?.[id]?.PlaybackPositionTicks ?? 0, 0);
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });

  test('the same film twice on Plex (two libraries, same ids, title and runtime) is still written once', async () => {
    const plex = await startPlex('id-px-src3');
    const jf = await startJellyfin('id-jf-dst3');
    try {
      const film = plexMovies(plex)[0]!;
      const copy = plexEdition(plex, film);
      copy.durationMs = film.durationMs;
      plexPlayed(plex, film.ratingKey, Math.round(film.durationMs! * 0.3));
      plexPlayed(plex, copy.ratingKey, Math.round(film.durationMs! * 0.5));
      const twin = jfMovie(jf, imdbOfPlex(film));
      const run = await sync(plexConfig(plex), jellyfinConfig(jf));
      assert.equal(decisionOn(run, `imdb:${imdbOfPlex(film)}`).reason, 'write');
      assert.ok((jf.state.userData[alice(jf).id]?.[twin.Id]?.PlaybackPositionTicks ?? 0) > 0);
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });
});

describe('impossible positions', () => {
  for (const [name, viewOffset, raw, why] of [
    ['negative', -5000, '-5000', 'negative'],
    ['NaN', Number.NaN, 'NaN', 'not a number'],
  ] as const) {
    test(`Jellyfin → Plex: a ${name} viewOffset on the target is bad_position (target), nothing written over it`, async () => {
      const jf = await startJellyfin(`id-jf-bad-${name}`);
      const plex = await startPlex(`id-px-bad-${name}`);
      try {
        const film = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb && i.RunTimeTicks)!;
        jfPlayed(jf, film.Id, 0.4);
        const twin = plexMovie(plex, film.ProviderIds.Imdb);
        plexPlayed(plex, twin.ratingKey, viewOffset);
        const before = JSON.stringify(plex.state.userState['1']?.[twin.ratingKey]);
        const run = await sync(jellyfinConfig(jf), plexConfig(plex));
        const d = decisionOn(run, `imdb:${film.ProviderIds.Imdb}`);
        assert.equal(d.reason, 'bad_position');
        assert.deepEqual(d.detail, { side: 'target', provider: 'dst', id: twin.ratingKey, field: 'viewOffset', raw, why });
        assert.equal(run.counts.write ?? 0, 0);
        assert.equal(JSON.stringify(plex.state.userState['1']?.[twin.ratingKey]), before, 'the Plex item is untouched');
        assert.ok(!plex.requests.some((r) => r.path.startsWith('/:/timeline') || r.path.startsWith('/:/progress')), 'no write request');
      } finally {
        await Promise.all([plex.close(), jf.close()]);
      }
    });
  }

  test('Plex → Jellyfin: a viewOffset past the runtime is bad_position (source), never written', async () => {
    const plex = await startPlex('id-px-over');
    const jf = await startJellyfin('id-jf-over');
    try {
      const film = plexMovies(plex)[0]!;
      plexPlayed(plex, film.ratingKey, film.durationMs! + 600_000);
      const twin = jfMovie(jf, imdbOfPlex(film));
      const run = await sync(plexConfig(plex), jellyfinConfig(jf));
      const d = decisionOn(run, `imdb:${imdbOfPlex(film)}`);
      assert.equal(d.reason, 'bad_position');
      assert.equal(d.detail?.side, 'source');
      assert.equal(d.detail?.raw, String(film.durationMs! + 600_000));
      assert.equal(jf.state.userData[alice(jf).id]?.[twin.Id]?.PlaybackPositionTicks ?? 0, 0);
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });

  test('Plex → Jellyfin: negative PlaybackPositionTicks on the target is bad_position (target), nothing written over it', async () => {
    const plex = await startPlex('id-px-neg');
    const jf = await startJellyfin('id-jf-neg');
    try {
      const film = plexMovies(plex)[0]!;
      plexPlayed(plex, film.ratingKey, Math.round(film.durationMs! * 0.4));
      const twin = jfMovie(jf, imdbOfPlex(film));
      jfPlayed(jf, twin.Id, -0.1);
      const ticks = jf.state.userData[alice(jf).id]?.[twin.Id]?.PlaybackPositionTicks;
      const run = await sync(plexConfig(plex), jellyfinConfig(jf));
      const d = decisionOn(run, `imdb:${imdbOfPlex(film)}`);
      assert.equal(d.reason, 'bad_position');
      assert.deepEqual(d.detail, { side: 'target', provider: 'dst', id: twin.Id, field: 'PlaybackPositionTicks', raw: String(ticks), why: 'negative' });
      assert.equal(jf.state.userData[alice(jf).id]?.[twin.Id]?.PlaybackPositionTicks, ticks, 'the Jellyfin item is untouched');
    } finally {
      await Promise.all([plex.close(), jf.close()]);
    }
  });
});
