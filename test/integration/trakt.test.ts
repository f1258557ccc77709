// Trakt specifics over real HTTP: device-flow sign-in, token refresh (never in a dry run), writes
// paced to Trakt's 1-per-second limit, 429 + Retry-After honoured, and never /scrobble/stop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { request } from 'undici';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import type { TraktProviderConfig } from '../../src/providers/trakt/config.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import { authProvider } from '../../src/cli/auth.ts';
import { loadTokens, saveTokens } from '../../src/providers/trakt/oauth.ts';
import { Store } from '../../src/store/store.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=3';
const SEED = 'trakt-specifics';
const log = pino({ level: 'silent' });

function traktConfig(emu: RunningTraktEmulator): TraktProviderConfig {
  return {
    kind: 'trakt',
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    url: emu.url,
    authUrl: emu.url,
    timeoutMs: 5000,
    retries: 3,
    writesPerSecond: 1,
  };
}

function config(source: ProviderConfig, target: ProviderConfig): Config {
  return {
    providers: { src: source, dst: target },
    pairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
}

function alice(emu: RunningTraktEmulator) {
  const u = emu.users.find((x) => x.username === 'alice');
  assert.ok(u);
  return u;
}

/** A Plex source with `n` films in progress for the owner. */
async function plexWithProgress(name: string, n: number): Promise<RunningPlexEmulator> {
  const plex = await startPlexEmulator({ name, synthetic: LIBRARY, seed: SEED, quiet: true });
  const movies = plex.state.items.filter((i) => i.type === 'movie' && i.guids.length > 0).slice(0, n);
  plex.state.userState['1'] = Object.fromEntries(
    movies.map((m) => [m.ratingKey, { viewOffset: Math.round((m.durationMs ?? 0) * 0.35), lastViewedAt: Math.floor(Date.now() / 1000) - 600 }]),
  );
  return plex;
}

const plexConfig = (plex: RunningPlexEmulator): ProviderConfig => ({
  kind: 'plex',
  url: plex.url,
  token: plex.ownerToken,
  timeoutMs: 5000,
  retries: 1,
  maxConcurrentWrites: 4,
});

describe('Trakt', () => {
  test('`playhead auth` signs in with the device flow and keeps the tokens out of its output', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-auth', synthetic: LIBRARY, seed: SEED, quiet: true });
    const store = Store.open(':memory:');
    try {
      const lines: string[] = [];
      await authProvider({
        config: { providers: { trakt: traktConfig(emu) }, pairs: [], state: { path: ':memory:' }, logLevel: 'silent' },
        store,
        log,
        provider: 'trakt',
        sleep: async () => {},
        out: (line) => {
          lines.push(line);
          // The person enters the code on the activation page.
          const code = /enter the code (\S+)/.exec(line)?.[1];
          if (code) emu.approveDevice(code, 'alice');
        },
      });
      const tokens = loadTokens(store.providerState('trakt'));
      assert.ok(tokens?.accessToken && tokens.refreshToken);
      assert.ok(tokens.expiresAt > Date.now() + 86_400_000);
      assert.match(lines[0] ?? '', /^To let Playhead use your Trakt account, open \S+ and enter the code \S+ \(valid \d+ min\)/);
      assert.match(lines.at(-1) ?? '', /^Signed in\./);
      for (const line of lines) assert.ok(!line.includes(tokens.accessToken) && !line.includes(tokens.refreshToken));
      // The new token works.
      const res = await request(`${emu.url}/sync/playback`, {
        headers: { 'trakt-api-key': emu.clientId, 'trakt-api-version': '2', authorization: `Bearer ${tokens.accessToken}` },
      });
      await res.body.dump();
      assert.equal(res.statusCode, 200);
    } finally {
      store.close();
      await emu.close();
    }
  });

  test('a token close to expiry is refreshed by a sync, never by a dry run', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-refresh', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await plexWithProgress('trakt-refresh-src', 1);
    const store = Store.open(':memory:');
    try {
      const a = alice(emu);
      const soon = { accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt: Date.now() + 3600_000 };
      saveTokens(store.providerState('dst'), soon);
      const cfg = config(plexConfig(plex), traktConfig(emu));
      const [plan] = await runAll({ config: cfg, store, log, dryRun: true, providerOptions: { minBackoffMs: 1 } });
      assert.ok(plan?.ok, plan && !plan.ok ? plan.error.message : '');
      assert.deepEqual(loadTokens(store.providerState('dst')), soon, 'a dry run does not refresh');
      assert.ok(!emu.requests.some((r) => r.path === '/oauth/token'));
      const [sync] = await runAll({ config: cfg, store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(sync?.ok, sync && !sync.ok ? sync.error.message : '');
      assert.equal(sync.result.counts.write, 1);
      const fresh = loadTokens(store.providerState('dst'));
      assert.ok(fresh && fresh.refreshToken !== soon.refreshToken && fresh.accessToken !== soon.accessToken, 'new pair saved');
      assert.ok(fresh.expiresAt > Date.now() + 6 * 86_400_000);
      assert.equal(emu.requests.filter((r) => r.path === '/oauth/token').length, 1);
    } finally {
      store.close();
      await Promise.all([emu.close(), plex.close()]);
    }
  });

  test('writes go out at most one per second, with /scrobble/pause only', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-pace', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await plexWithProgress('trakt-pace-src', 3);
    const store = Store.open(':memory:');
    try {
      const a = alice(emu);
      saveTokens(store.providerState('dst'), { accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt: Date.now() + 7 * 86_400_000 });
      const [outcome] = await runAll({ config: config(plexConfig(plex), traktConfig(emu)), store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : '');
      assert.equal(outcome.result.counts.write, 3);
      const writes = emu.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/scrobble/'));
      assert.deepEqual(
        writes.map((w) => [w.path, w.status]),
        [
          ['/scrobble/pause', 201],
          ['/scrobble/pause', 201],
          ['/scrobble/pause', 201],
        ],
      );
      for (let i = 1; i < writes.length; i++) assert.ok(writes[i]!.at - writes[i - 1]!.at >= 950, `gap ${writes[i]!.at - writes[i - 1]!.at} ms`);
    } finally {
      store.close();
      await Promise.all([emu.close(), plex.close()]);
    }
  });

  test('a 429 is honoured: the write waits for Retry-After and then lands', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-429', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await plexWithProgress('trakt-429-src', 1);
    const store = Store.open(':memory:');
    try {
      const a = alice(emu);
      saveTokens(store.providerState('dst'), { accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt: Date.now() + 7 * 86_400_000 });
      // Another app of the same user writes just before us and uses up this second's allowance.
      const movie = emu.state.movies[5];
      assert.ok(movie);
      const other = await request(`${emu.url}/scrobble/pause`, {
        method: 'POST',
        headers: { 'trakt-api-key': emu.clientId, 'trakt-api-version': '2', authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ movie: { ids: { trakt: movie.ids.trakt } }, progress: 10 }),
      });
      await other.body.dump();
      assert.equal(other.statusCode, 201);
      const [outcome] = await runAll({ config: config(plexConfig(plex), traktConfig(emu)), store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : '');
      assert.equal(outcome.result.counts.write, 1);
      const ours = emu.requests.filter((r) => r.path === '/scrobble/pause').slice(1);
      assert.deepEqual(
        ours.map((r) => r.status),
        [429, 201],
      );
      assert.ok(ours[1]!.at - ours[0]!.at >= 900, 'waited as asked');
    } finally {
      store.close();
      await Promise.all([emu.close(), plex.close()]);
    }
  });

  test('not signed in: a clear error that says which command to run', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-none', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await plexWithProgress('trakt-none-src', 1);
    const store = Store.open(':memory:');
    try {
      const [outcome] = await runAll({ config: config(plexConfig(plex), traktConfig(emu)), store, log, dryRun: false });
      assert.ok(outcome && !outcome.ok);
      assert.equal(outcome.error.message, 'dst: not signed in to Trakt; run `playhead auth dst`');
    } finally {
      store.close();
      await Promise.all([emu.close(), plex.close()]);
    }
  });
});

describe('Trakt unknown items', () => {
  test('an item Trakt does not know is unresolved (404 at write time), and the others are written', async () => {
    const emu = await startTraktEmulator({ name: 'trakt-unknown', synthetic: LIBRARY, seed: SEED, quiet: true });
    const plex = await plexWithProgress('trakt-unknown-src', 2);
    const store = Store.open(':memory:');
    try {
      const a = alice(emu);
      saveTokens(store.providerState('dst'), { accessToken: a.accessToken, refreshToken: a.refreshToken, expiresAt: Date.now() + 7 * 86_400_000 });
      // A film on the Plex server that Trakt has never heard of.
      const film = plex.state.items.find((i) => i.type === 'movie' && i.guids.length > 0);
      assert.ok(film);
      plex.state.items.push({
        ...film,
        ratingKey: '770001',
        title: 'Obscure Festival Short',
        guid: 'plex://movie/00000000000000000000cafe',
        guids: ['imdb://tt9900077'],
      });
      plex.state.userState['1']!['770001'] = { viewOffset: 600_000, lastViewedAt: Math.floor(Date.now() / 1000) - 60 };
      const [outcome] = await runAll({ config: config(plexConfig(plex), traktConfig(emu)), store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : '');
      assert.equal(outcome.result.status, 'ok');
      assert.deepEqual(outcome.result.counts, { unresolved: 1, write: 2 });
      const d = outcome.result.decisions.find((x) => x.title === 'Obscure Festival Short');
      assert.equal(d?.action, 'skip');
      assert.equal(d?.detail?.unresolved, 'dst does not know this item');
    } finally {
      store.close();
      await Promise.all([emu.close(), plex.close()]);
    }
  });
});
