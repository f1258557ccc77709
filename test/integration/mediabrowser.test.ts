// Jellyfin and Emby specifics over real HTTP: Emby's whole-record UserData writes, old Jellyfin,
// API keys, Jellyfin 12's stricter auth, and the source's time carried into LastPlayedDate.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { Store } from '../../src/store/store.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=3';
const SEED = 'mb-specifics';
const TICKS = 10_000;

function pairConfig(source: ProviderConfig, target: ProviderConfig): Config {
  return {
    providers: { src: source, dst: target },
    pairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
}

async function run(config: Config, dryRun = false): Promise<PairOutcome> {
  const store = Store.open(':memory:');
  try {
    const [outcome] = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun, providerOptions: { minBackoffMs: 1 } });
    assert.ok(outcome);
    return outcome;
  } finally {
    store.close();
  }
}

const user = (emu: RunningMediaBrowserEmulator, name: string) => {
  const u = emu.users.find((x) => x.name === name);
  assert.ok(u);
  return u;
};

/** A Plex source with one film in progress, and that film's imdb id. */
async function plexSource(name: string, fraction = 0.4, lastViewedAt = Math.floor(Date.now() / 1000) - 3600) {
  const plex = await startPlexEmulator({ name, synthetic: LIBRARY, seed: SEED, quiet: true });
  const movie = plex.state.items.find((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://')));
  assert.ok(movie);
  plex.state.userState['1'] = { [movie.ratingKey]: { viewOffset: Math.round((movie.durationMs ?? 0) * fraction), lastViewedAt } };
  const imdb = movie.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
  const config: ProviderConfig = { kind: 'plex', url: plex.url, token: plex.ownerToken, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };
  return { plex, movie, imdb, config, lastViewedAt };
}

describe('Emby', () => {
  test('a write sends the whole user data back: play count, favourite and rating survive', async () => {
    const src = await plexSource('emby-rmw-src');
    const emby = await startMediaBrowserEmulator({ dialect: 'emby', name: 'emby-rmw', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = user(emby, 'alice');
      const item = emby.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === src.imdb);
      assert.ok(item);
      emby.state.userData[alice.id] = {
        [item.Id]: {
          PlaybackPositionTicks: 0,
          PlayCount: 3,
          Played: false,
          IsFavorite: true,
          Rating: 8,
          LastPlayedDate: new Date(Date.now() - 86_400_000 * 30).toISOString(),
        },
      };
      const outcome = await run(
        pairConfig(src.config, {
          kind: 'emby',
          url: `${emby.url}/emby`,
          token: alice.token,
          user: 'alice',
          timeoutMs: 5000,
          retries: 1,
          maxConcurrentWrites: 4,
        }),
      );
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.equal(outcome.result.counts.write, 1);
      const after = emby.state.userData[alice.id]?.[item.Id];
      assert.equal(after?.PlaybackPositionTicks, Math.round((src.movie.durationMs ?? 0) * 0.4) * TICKS);
      assert.equal(after?.PlayCount, 3);
      assert.equal(after?.IsFavorite, true);
      assert.equal(after?.Rating, 8);
      assert.equal(Date.parse(after?.LastPlayedDate ?? ''), src.lastViewedAt * 1000, 'the source time, not now');
      const posts = emby.requests.filter((r) => r.method === 'POST');
      assert.deepEqual(
        posts.map((r) => r.path),
        [`/emby/Users/${alice.id}/Items/${item.Id}/UserData`],
      );
    } finally {
      await Promise.all([src.plex.close(), emby.close()]);
    }
  });

  test('without `user:` the error says how to fix it', async () => {
    const src = await plexSource('emby-nouser-src');
    const emby = await startMediaBrowserEmulator({ dialect: 'emby', name: 'emby-nouser', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const outcome = await run(
        pairConfig(src.config, { kind: 'emby', url: emby.url, token: user(emby, 'alice').token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 }),
      );
      assert.ok(!outcome.ok);
      assert.match(outcome.error.message, /^dst: Emby cannot tell whose token this is: set `user:`/);
    } finally {
      await Promise.all([src.plex.close(), emby.close()]);
    }
  });
});

describe('Jellyfin', () => {
  test('a server older than 10.9 is refused as a target at start, with a clear reason, and nothing is written', async () => {
    const src = await plexSource('jf-old-src');
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-old', version: '10.8.13', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const target: ProviderConfig = { kind: 'jellyfin', url: jf.url, token: user(jf, 'alice').token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };
      for (const dryRun of [true, false]) {
        const outcome = await run(pairConfig(src.config, target), dryRun);
        assert.ok(!outcome.ok);
        assert.equal(outcome.error.message, 'dst: Jellyfin 10.8.13 cannot write resume positions (needs 10.9.0 or newer); it can still be a source');
      }
      assert.equal(jf.requests.filter((r) => r.method !== 'GET').length, 0);
    } finally {
      await Promise.all([src.plex.close(), jf.close()]);
    }
  });

  test('an old server still works as a source (through its per-user routes)', async () => {
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-old-src', version: '10.8.13', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await startPlexEmulator({ name: 'jf-old-dst', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = user(jf, 'alice');
      const movie = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb);
      assert.ok(movie?.RunTimeTicks);
      jf.state.userData[alice.id] = {
        [movie.Id]: {
          PlaybackPositionTicks: Math.round(movie.RunTimeTicks / 3),
          PlayCount: 0,
          Played: false,
          IsFavorite: false,
          LastPlayedDate: new Date(Date.now() - 600_000).toISOString(),
        },
      };
      const outcome = await run(
        pairConfig(
          { kind: 'jellyfin', url: jf.url, token: alice.token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
          { kind: 'plex', url: plex.url, token: plex.ownerToken, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
        ),
      );
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.equal(outcome.result.counts.write, 1);
      assert.ok(
        jf.requests.some((r) => r.path === `/Users/${alice.id}/Items`),
        'read through the per-user route',
      );
    } finally {
      await Promise.all([jf.close(), plex.close()]);
    }
  });

  test('an API key plus `user:` by name writes to that user; Jellyfin 12 auth (no legacy headers) works', async () => {
    const src = await plexSource('jf-key-src');
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-key', legacyAuth: false, synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const bob = user(jf, 'bob');
      const outcome = await run(
        pairConfig(src.config, { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'Bob', timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 }),
      );
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.equal(outcome.result.counts.write, 1);
      const item = jf.state.items.find((i) => i.ProviderIds.Imdb === src.imdb);
      assert.ok(item);
      const data = jf.state.userData[bob.id]?.[item.Id];
      assert.equal(data?.PlaybackPositionTicks, Math.round((src.movie.durationMs ?? 0) * 0.4) * TICKS);
      assert.equal(Date.parse(data?.LastPlayedDate ?? ''), src.lastViewedAt * 1000);
      assert.equal(Object.keys(jf.state.userData[user(jf, 'alice').id] ?? {}).length, 0, "alice's data untouched");
      const writes = jf.requests.filter((r) => r.method === 'POST');
      assert.deepEqual(
        writes.map((r) => r.path),
        [`/UserItems/${item.Id}/UserData`],
      );
    } finally {
      await Promise.all([src.plex.close(), jf.close()]);
    }
  });

  test('an API key without `user:` lists what to do', async () => {
    const src = await plexSource('jf-key2-src');
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-key2', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const outcome = await run(
        pairConfig(src.config, { kind: 'jellyfin', url: jf.url, token: jf.apiKey, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 }),
      );
      assert.ok(!outcome.ok);
      assert.match(outcome.error.message, /^dst: the token is an API key, which belongs to no user: set `user:`/);
      assert.ok(!outcome.error.message.includes(jf.apiKey));
    } finally {
      await Promise.all([src.plex.close(), jf.close()]);
    }
  });
});

describe('Jellyfin users', () => {
  test("a user's token naming another user is refused up front, unless it is an administrator's", async () => {
    const src = await plexSource('jf-cross-src');
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-cross', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const target = (token: string): ProviderConfig => ({
        kind: 'jellyfin',
        url: jf.url,
        token,
        user: 'bob',
        timeoutMs: 5000,
        retries: 1,
        maxConcurrentWrites: 4,
      });
      const refused = await run(pairConfig(src.config, target(user(jf, 'alice').token)));
      assert.ok(!refused.ok);
      assert.equal(refused.error.message, 'dst: the token belongs to alice, not "bob", and only an administrator may act for another user');
      const admin = await run(pairConfig(src.config, target(user(jf, 'admin').token)));
      assert.ok(admin.ok, admin.ok ? '' : admin.error.message);
      assert.equal(admin.result.counts.write, 1);
      assert.equal(Object.keys(jf.state.userData[user(jf, 'bob').id] ?? {}).length, 1, "written to bob's data");
    } finally {
      await Promise.all([src.plex.close(), jf.close()]);
    }
  });
});

describe('completion caps', () => {
  test("a server's own watched point is configurable: with completion_percent 80, 85 % is held at 79.5 %", async () => {
    const src = await plexSource('jf-cap-src', 0.85);
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'jf-cap', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = user(jf, 'alice');
      const outcome = await run(
        pairConfig(src.config, {
          kind: 'jellyfin',
          url: jf.url,
          token: alice.token,
          completionPercent: 80,
          timeoutMs: 5000,
          retries: 1,
          maxConcurrentWrites: 4,
        }),
      );
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.deepEqual(outcome.result.counts, { capped: 1 });
      const item = jf.state.items.find((i) => i.ProviderIds.Imdb === src.imdb);
      assert.ok(item?.RunTimeTicks);
      const data = jf.state.userData[alice.id]?.[item.Id];
      assert.equal(data?.PlaybackPositionTicks, Math.round((0.795 * item.RunTimeTicks) / TICKS) * TICKS);
      assert.equal(data?.Played, false);
      // Next run: already held there.
      const again = await run(
        pairConfig(src.config, {
          kind: 'jellyfin',
          url: jf.url,
          token: alice.token,
          completionPercent: 80,
          timeoutMs: 5000,
          retries: 1,
          maxConcurrentWrites: 4,
        }),
      );
      assert.ok(again.ok);
      assert.deepEqual(again.result.counts, { unchanged: 1 });
    } finally {
      await Promise.all([src.plex.close(), jf.close()]);
    }
  });
});
