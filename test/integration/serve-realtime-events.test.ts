// `playhead serve` joins every trigger to the same item-scoped runs: a Jellyfin websocket
// message, a Plex webhook post, and an event for `*` (a socket back after a drop) each end in a
// run of the pairs reading from that server. Real emulators, HTTP and websockets, port 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createLogger } from '../../src/cli/log.ts';
import { startServe, type RunningServe } from '../../src/serve/serve.ts';
import { webhookSecret } from '../../src/serve/webhooks.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import {
  alice,
  aliceOf,
  close,
  eventually,
  imdbOf,
  LIBRARY,
  limits,
  pair,
  plexTimeline,
  rig,
  runsOf,
  sleep,
  twinOf,
  type PlexItem,
  type Rig,
} from './serve-support.ts';

const SEED = 'realtime-events';
const TICKS_PER_MS = 10_000;

describe('playhead serve: Jellyfin websocket events and a socket back after a drop', () => {
  let r: Rig;
  const plexOffset = (film: PlexItem) => r.plex.state.userState['1']?.[film.ratingKey]?.viewOffset;

  before(async () => {
    r = await rig(SEED, 'jf-ws', (plex, jf, path) => ({
      providers: {
        jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
        plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
      },
      pairs: [pair('jf-to-plex', 'jf', 'plex')],
      state: { path },
      logLevel: 'silent',
    }));
    await eventually(() => (runsOf(r.store, 'jf-to-plex').some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    // The socket is open once the emulator has a connection for it.
    await sleep(500);
  });

  after(async () => close(r));

  test('a position saved on Jellyfin reaches Plex through the websocket, as an item-scoped run', async () => {
    const film = r.films[0]!;
    const twin = twinOf(r.jf, film);
    const res = await request(`${r.jf.url}/UserItems/${twin.Id}/UserData?userId=${alice(r.jf).id}`, {
      method: 'POST',
      headers: { 'X-Emby-Token': alice(r.jf).token, 'content-type': 'application/json' },
      body: JSON.stringify({ PlaybackPositionTicks: 1_500_000 * TICKS_PER_MS, LastPlayedDate: new Date().toISOString() }),
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `UserData answered ${res.statusCode}`);
    await eventually(() => (plexOffset(film) === 1_500_000 ? true : undefined), 10_000);
    const run = runsOf(r.store, 'jf-to-plex').find((x) => x.trigger === 'jellyfin-websocket');
    assert.ok(run, `an item run by the Jellyfin websocket: ${JSON.stringify(runsOf(r.store, 'jf-to-plex'))}`);
  });

  test('a change made while the socket was down is picked up when it is back', async () => {
    const film = r.films[1]!;
    const twin = twinOf(r.jf, film);
    const before = runsOf(r.store, 'jf-to-plex').length;
    // Straight into the emulator's state: no message announces it, only a full run can see it.
    (r.jf.state.userData[alice(r.jf).id] ??= {})[twin.Id] = {
      PlaybackPositionTicks: 2_000_000 * TICKS_PER_MS,
      PlayCount: 0,
      Played: false,
      LastPlayedDate: new Date().toISOString(),
    } as never;
    const res = await request(`${r.jf.url}/__emulator/websockets/drop`, { method: 'POST' });
    await res.body.dump();
    await eventually(() => (plexOffset(film) === 2_000_000 ? true : undefined), 15_000);
    const after = runsOf(r.store, 'jf-to-plex').slice(0, runsOf(r.store, 'jf-to-plex').length - before);
    assert.ok(
      after.some((x) => x.trigger?.startsWith('jellyfin-websocket')),
      `a run after the drop, started by the socket coming back: ${JSON.stringify(after)}`,
    );
  });
});

describe('playhead serve: Plex webhooks', () => {
  let r: Rig;
  const jfPositionMs = (film: PlexItem) => {
    const ticks = r.jf.state.userData[alice(r.jf).id]?.[twinOf(r.jf, film).Id]?.PlaybackPositionTicks;
    return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
  };

  before(async () => {
    // alice's token (and her account id, which routes the webhook's events to her): Plex's
    // notification socket is the owner's only, so without the owner here the webhook is the only
    // way her stop can arrive.
    r = await rig(SEED, 'plex-hook', (plex, jf, path) => ({
      providers: {
        plexalice: { kind: 'plex', url: plex.url, token: aliceOf(plex).token, accountId: String(aliceOf(plex).id), ...limits },
        jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
      },
      pairs: [pair('hook', 'plexalice', 'jf')],
      state: { path },
      logLevel: 'silent',
    }));
    await eventually(() => (runsOf(r.store, 'hook').some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    const url = `${r.serve.url}/webhooks/${webhookSecret(r.store)}/plexalice`;
    const res = await request(`${r.plex.url}/__emulator/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 201);
  });

  after(async () => close(r));

  test("a stop posted by Plex's webhook reaches Jellyfin as an item-scoped run", async () => {
    const film = r.films[2]!;
    const token = r.plex.state.accounts.find((a) => a.name === 'alice')!.token;
    for (const [state, time] of [
      ['playing', 600_000],
      ['stopped', 1_700_000],
    ] as const) {
      await plexTimeline(r.plex.url, token, film, state, time, 'alice');
    }
    await eventually(() => (jfPositionMs(film) === 1_700_000 ? true : undefined), 10_000);
    const run = runsOf(r.store, 'hook').find((x) => x.trigger === 'plex-webhook');
    assert.ok(run, `an item run by the webhook: ${JSON.stringify(runsOf(r.store, 'hook'))}`);
  });
});

describe("playhead serve: an API key's socket, one provider per user", () => {
  let r: Rig;
  const plexOffset = (film: PlexItem) => r.plex.state.userState['1']?.[film.ratingKey]?.viewOffset;

  before(async () => {
    // What `users:` expands to with the server's token an API key: one provider per user, whose
    // sockets both see every user's saves.
    r = await rig(SEED, 'jf-users', (plex, jf, path) => ({
      providers: {
        'jf@alice': { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'alice', ...limits },
        'jf@bob': { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'bob', ...limits },
        plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
      },
      pairs: [pair('alice', 'jf@alice', 'plex'), pair('bob', 'jf@bob', 'plex')],
      state: { path },
      logLevel: 'silent',
    }));
    for (const name of ['alice', 'bob'])
      await eventually(() => (runsOf(r.store, name).some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    await sleep(500);
  });

  after(async () => close(r));

  test("alice's save runs alice's pair only: bob's pair gets no item run for it", async () => {
    const film = r.films[3]!;
    const twin = twinOf(r.jf, film);
    const res = await request(`${r.jf.url}/UserItems/${twin.Id}/UserData?userId=${alice(r.jf).id}`, {
      method: 'POST',
      headers: { 'X-Emby-Token': alice(r.jf).token, 'content-type': 'application/json' },
      body: JSON.stringify({ PlaybackPositionTicks: 1_200_000 * TICKS_PER_MS, LastPlayedDate: new Date().toISOString() }),
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `UserData answered ${res.statusCode}`);
    await eventually(() => (plexOffset(film) === 1_200_000 ? true : undefined), 10_000);
    assert.ok(
      runsOf(r.store, 'alice').some((x) => x.trigger === 'jellyfin-websocket'),
      `an item run of alice's pair: ${JSON.stringify(runsOf(r.store, 'alice'))}`,
    );
    // Past bob's settle (1 s): an event that reached his pair would have run by now.
    await sleep(2000);
    const bobs = runsOf(r.store, 'bob');
    assert.ok(!bobs.some((x) => x.trigger?.startsWith('jellyfin-websocket')), `no run of bob's pair by the socket: ${JSON.stringify(bobs)}`);
  });
});

describe('playhead serve: Emby websocket events', () => {
  let r: Rig;
  const plexOffset = (film: PlexItem) => r.plex.state.userState['1']?.[film.ratingKey]?.viewOffset;

  before(async () => {
    r = await rig(
      SEED,
      'emby-ws',
      (plex, emby, path) => ({
        providers: {
          emby: { kind: 'emby', url: emby.url, token: alice(emby).token, user: 'alice', ...limits },
          plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        },
        pairs: [pair('emby-to-plex', 'emby', 'plex')],
        state: { path },
        logLevel: 'silent',
      }),
      { dialect: 'emby' },
    );
    await eventually(() => (runsOf(r.store, 'emby-to-plex').some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    await sleep(500);
  });

  after(async () => close(r));

  test('a position saved on Emby reaches Plex through the websocket, as an item-scoped run', async () => {
    const film = r.films[0]!;
    const twin = twinOf(r.jf, film);
    const res = await request(`${r.jf.url}/Users/${alice(r.jf).id}/Items/${twin.Id}/UserData`, {
      method: 'POST',
      headers: { 'X-Emby-Token': alice(r.jf).token, 'content-type': 'application/json' },
      body: JSON.stringify({ PlaybackPositionTicks: 1_300_000 * TICKS_PER_MS, PlayCount: 0, Played: false, LastPlayedDate: new Date().toISOString() }),
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `UserData answered ${res.statusCode}`);
    await eventually(() => (plexOffset(film) === 1_300_000 ? true : undefined), 10_000);
    const run = runsOf(r.store, 'emby-to-plex').find((x) => x.trigger === 'emby-websocket');
    assert.ok(run, `an item run by the Emby websocket: ${JSON.stringify(runsOf(r.store, 'emby-to-plex'))}`);
  });
});

describe('playhead serve: Jellyfin webhooks', () => {
  let r: Rig;
  const plexOffset = (film: PlexItem) => r.plex.state.userState['1']?.[film.ratingKey]?.viewOffset;

  before(async () => {
    // A minute before the socket comes back after the drop below: the webhook is the only way in.
    r = await rig(
      SEED,
      'jf-hook',
      (plex, jf, path) => ({
        providers: {
          jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
          plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        },
        pairs: [pair('jf-hook', 'jf', 'plex')],
        state: { path },
        logLevel: 'silent',
      }),
      { triggerBackoffMs: 60_000 },
    );
    await eventually(() => (runsOf(r.store, 'jf-hook').some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    const url = `${r.serve.url}/webhooks/${webhookSecret(r.store)}/jf`;
    const res = await request(`${r.jf.url}/__emulator/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 201);
    const drop = await request(`${r.jf.url}/__emulator/websockets/drop`, { method: 'POST' });
    await drop.body.dump();
    await sleep(300);
  });

  after(async () => close(r));

  test("a save posted by Jellyfin's Webhook plugin reaches Plex as an item-scoped run", async () => {
    const film = r.films[1]!;
    const twin = twinOf(r.jf, film);
    const res = await request(`${r.jf.url}/UserItems/${twin.Id}/UserData?userId=${alice(r.jf).id}`, {
      method: 'POST',
      headers: { 'X-Emby-Token': alice(r.jf).token, 'content-type': 'application/json' },
      body: JSON.stringify({ PlaybackPositionTicks: 1_400_000 * TICKS_PER_MS, LastPlayedDate: new Date().toISOString() }),
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `UserData answered ${res.statusCode}`);
    await eventually(() => (plexOffset(film) === 1_400_000 ? true : undefined), 10_000);
    const runs = runsOf(r.store, 'jf-hook');
    assert.ok(
      runs.some((x) => x.trigger === 'jellyfin-webhook'),
      `an item run by the webhook: ${JSON.stringify(runs)}`,
    );
    assert.ok(!runs.some((x) => x.trigger?.startsWith('jellyfin-websocket')), `the socket was down: ${JSON.stringify(runs)}`);
  });
});

describe('playhead serve: the Trakt poll', () => {
  let plex: RunningPlexEmulator;
  let trakt: RunningTraktEmulator;
  let store: Store;
  let serve: RunningServe;
  let dir: string;

  before(async () => {
    plex = await startPlexEmulator({ name: 'trakt-poll-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
    trakt = await startTraktEmulator({ name: 'trakt-poll', synthetic: LIBRARY, seed: SEED, quiet: true, writeLimitPerSecond: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'playhead-trakt-poll-'));
    const path = join(dir, 'state.db');
    store = Store.open(path);
    const alice = trakt.users.find((u) => u.username === 'alice')!;
    saveTokens(store.providerState('trakt'), { accessToken: alice.accessToken, refreshToken: alice.refreshToken, expiresAt: Date.now() + 86_400_000 });
    serve = await startServe({
      config: {
        providers: {
          trakt: {
            kind: 'trakt',
            clientId: trakt.clientId,
            clientSecret: trakt.clientSecret,
            url: trakt.url,
            authUrl: trakt.url,
            timeoutMs: 5000,
            retries: 1,
            writesPerSecond: 1,
          },
          plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        },
        pairs: [pair('trakt-to-plex', 'trakt', 'plex')],
        state: { path },
        logLevel: 'silent',
      },
      store,
      log: createLogger({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
      onListening: () => {},
      triggerBackoffMs: 100,
      triggerPollMs: 200,
    });
    await eventually(() => (runsOf(store, 'trakt-to-plex').some((run) => run.trigger === 'schedule' && run.finishedAt) ? true : undefined));
    // The first poll only takes note of the activity times: the pause must come after it.
    await eventually(() => (trakt.requests.some((r) => r.path === '/sync/last_activities') ? true : undefined));
  });

  after(async () => {
    await serve.stop('test over');
    store.close();
    await plex.close();
    await trakt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pause on Trakt moves paused_at; the poll notices and a full run writes the position to Plex', async () => {
    const film = plex.state.items.find(
      (i) => i.type === 'movie' && (i.durationMs ?? 0) > 3_600_000 && trakt.state.movies.some((m) => m.ids.imdb === imdbOf(i)),
    )!;
    assert.ok(film, 'a long film on both');
    const alice = trakt.users.find((u) => u.username === 'alice')!;
    const res = await request(`${trakt.url}/scrobble/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'trakt-api-version': '2', 'trakt-api-key': trakt.clientId, authorization: `Bearer ${alice.accessToken}` },
      body: JSON.stringify({ movie: { ids: { imdb: imdbOf(film) } }, progress: 40 }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 201);
    const offset = await eventually(() => plex.state.userState['1']?.[film.ratingKey]?.viewOffset, 10_000);
    const expected = 0.4 * (film.durationMs ?? 0);
    assert.ok(Math.abs(offset - expected) < 0.02 * (film.durationMs ?? 0), `about 40 % on Plex: ${offset} of ${film.durationMs}`);
    const runs = runsOf(store, 'trakt-to-plex');
    assert.ok(
      runs.some((x) => x.trigger === 'trakt-poll'),
      `a run by the Trakt poll: ${JSON.stringify(runs)}`,
    );
  });
});
