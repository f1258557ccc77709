// `playhead serve` with several users on one server, as `users:` expands them: one provider per
// user (`plex@owner`, `plex@alice`, `jf@alice`, `jf@bob`), each with its own token or the
// server's API key. A user's event reaches that user's pairs and no one else's, whichever way it
// comes: the Plex owner's notifications socket (which serves every Plex provider on the server),
// a Plex webhook, a Jellyfin webhook. Real emulators, HTTP and websockets, port 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS, type PairConfig } from '../../src/core/pair.ts';
import type { RunningServe } from '../../src/serve/serve.ts';
import { webhookSecret } from '../../src/serve/webhooks.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { api, eventually, plexTimeline, serveOn, sleep } from './serve-support.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=2';
const SEED = 'realtime-users';
const TICKS_PER_MS = 10_000;
/** Past the 1 s coalescing window and the 1 s settle: an event that reached a pair has run by now. */
const QUIET_MS = 3_000;
const limits = { timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };

type PlexItem = RunningPlexEmulator['state']['items'][number];
const imdbOf = (item: PlexItem) => item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);

interface RunRow {
  pair: string;
  status: string;
  trigger?: string;
  finishedAt?: number;
}

interface PairView {
  name: string;
  triggers: { provider: string; name: string; state: string; holder?: string; lastError?: string }[];
}

function pair(name: string, source: string, target: string): PairConfig {
  return {
    name,
    source,
    target,
    mode: 'one-way',
    features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
    schedule: { everyMs: 3_600_000 },
    settleSeconds: 1,
  };
}

describe('playhead serve: one server, several users: events reach their own user’s pairs only', () => {
  let plex: RunningPlexEmulator;
  let jf: RunningMediaBrowserEmulator;
  let store: Store;
  let serve: RunningServe;
  let dir: string;
  let films: PlexItem[];
  const account = (name: string) => plex.state.accounts.find((a) => a.name === name)!;
  const jfUser = (name: string) => jf.users.find((u) => u.name === name)!;
  const twinOf = (film: PlexItem) => {
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
    assert.ok(twin, `${film.title} is on Jellyfin`);
    return twin;
  };
  const jfPositionMs = (user: string, film: PlexItem) => {
    const ticks = jf.state.userData[jfUser(user).id]?.[twinOf(film).Id]?.PlaybackPositionTicks;
    return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
  };
  const plexOffset = (user: string, film: PlexItem) => plex.state.userState[String(account(user).id)]?.[film.ratingKey]?.viewOffset;
  const itemRuns = (name: string, via: string) => (store.runs({ pair: name, limit: 100 }) as RunRow[]).filter((r) => r.trigger === via);
  const allItemRuns = () => (store.runs({ limit: 500 }) as RunRow[]).filter((r) => r.trigger !== 'schedule');
  const play = async (user: string, film: PlexItem, stopAtMs: number) => {
    await plexTimeline(plex.url, account(user).token, film, 'playing', stopAtMs - 60_000, user);
    // The socket maps the new session to its account (`/status/sessions`) while it plays.
    await sleep(500);
    await plexTimeline(plex.url, account(user).token, film, 'stopped', stopAtMs, user);
  };
  const postWebhook = async (provider: string, body: Buffer | string, contentType: string) => {
    const res = await request(`${serve.url}/webhooks/${webhookSecret(store)}/${provider}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const text = await res.body.text();
    assert.equal(res.statusCode, 200, text);
    return JSON.parse(text) as { events: number };
  };
  const plexWebhook = async (accountId: number, film: PlexItem) => {
    const form = new FormData();
    form.append('payload', JSON.stringify({ event: 'media.stop', Account: { id: accountId, title: 'someone' }, Metadata: { ratingKey: film.ratingKey } }));
    const req = new Request('http://x/', { method: 'POST', body: form });
    return postWebhook('plex@owner', Buffer.from(await req.arrayBuffer()), req.headers.get('content-type')!);
  };

  before(async () => {
    plex = await startPlexEmulator({ name: 'users-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
    jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'users-jf', synthetic: LIBRARY, seed: SEED, quiet: true });
    films = plex.state.items.filter((i) => i.type === 'movie' && imdbOf(i) !== undefined && (i.durationMs ?? 0) > 3_600_000);
    assert.ok(films.length >= 7, 'enough long films');
    dir = mkdtempSync(join(tmpdir(), 'playhead-rt-users-'));
    const path = join(dir, 'state.db');
    store = Store.open(path);
    const config: Config = {
      providers: {
        // The owner's token, without account_id: the server says it is the owner's (GET /accounts).
        'plex@owner': { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        // Shared users' own tokens: the server will not say whose; account_id (init writes it) does.
        'plex@alice': { kind: 'plex', url: `${plex.url}/`, token: account('alice').token, accountId: String(account('alice').id), ...limits },
        'plex@bob': { kind: 'plex', url: plex.url, token: account('bob').token, accountId: String(account('bob').id), ...limits },
        // The users: form's Jellyfin: the server's API key acting for each user.
        'jf@admin': { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'admin', ...limits },
        'jf@alice': { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'alice', ...limits },
        'jf@bob': { kind: 'jellyfin', url: jf.url, token: jf.apiKey, user: 'bob', ...limits },
      },
      pairs: [
        pair('owner', 'plex@owner', 'jf@admin'),
        pair('alice', 'plex@alice', 'jf@alice'),
        pair('jf-alice', 'jf@alice', 'plex@alice'),
        pair('jf-bob', 'jf@bob', 'plex@bob'),
      ],
      state: { path },
      logLevel: 'silent',
    };
    serve = await serveOn(config, store);
    for (const name of ['owner', 'alice', 'jf-alice', 'jf-bob']) {
      await eventually(() => ((store.runs({ pair: name, limit: 10 }) as RunRow[]).some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined));
    }
    await eventually(async () => {
      const pairs = (await api<{ pairs: PairView[] }>(serve.url, '/api/pairs')).body.pairs;
      return pairs.every((p) => p.triggers.length > 0 && p.triggers.every((t) => t.state === 'up')) ? true : undefined;
    });
  });

  after(async () => {
    await serve.stop('test over');
    store.close();
    await plex.close();
    await jf.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a shared user's pair shows the owner's socket that serves it; one socket per server", async () => {
    const pairs = (await api<{ pairs: PairView[] }>(serve.url, '/api/pairs')).body.pairs;
    const view = (name: string) => pairs.find((p) => p.name === name)!.triggers.map((t) => [t.provider, t.name, t.state, t.holder]);
    assert.deepEqual(view('alice'), [['plex@alice', 'plex-websocket', 'up', 'plex@owner']]);
    assert.deepEqual(view('owner'), [['plex@owner', 'plex-websocket', 'up', 'plex@owner']]);
    // Both Jellyfin users' pairs are served by one socket, opened with the server's API key.
    assert.deepEqual(view('jf-alice'), [['jf@alice', 'jellyfin-websocket', 'up', 'jf@admin']]);
    assert.deepEqual(view('jf-bob'), [['jf@bob', 'jellyfin-websocket', 'up', 'jf@admin']]);
  });

  test("a shared user's stop reaches her pair within seconds, and never the owner's", async () => {
    const film = films[0]!;
    const stoppedAt = Date.now();
    await play('alice', film, 1_800_000);
    await eventually(() => (jfPositionMs('alice', film) === 1_800_000 ? true : undefined), 10_000);
    assert.ok(Date.now() - stoppedAt < 8_000, `arrived after ${Date.now() - stoppedAt} ms`);
    assert.equal(itemRuns('alice', 'plex-websocket').length, 1);
    await sleep(QUIET_MS);
    assert.equal(itemRuns('owner', 'plex-websocket').length, 0, "alice's stop ran no owner's pair");
    assert.equal(jfPositionMs('admin', film), undefined);
  });

  test("the owner's stop never reaches the shared user's pair", async () => {
    const film = films[1]!;
    const before = itemRuns('alice', 'plex-websocket').length;
    await play('owner', film, 1_500_000);
    await eventually(() => (jfPositionMs('admin', film) === 1_500_000 ? true : undefined), 10_000);
    await sleep(QUIET_MS);
    assert.equal(itemRuns('alice', 'plex-websocket').length, before, "the owner's stop ran no run of alice's pair");
    assert.equal(jfPositionMs('alice', film), undefined);
  });

  test("a Plex webhook for a shared account runs that account's pair only, wherever it was posted", async () => {
    const film = films[2]!;
    // alice's position, as her player left it (no socket frame: only the webhook says so).
    (plex.state.userState[String(account('alice').id)] ??= {})[film.ratingKey] = { viewOffset: 2_000_000, lastViewedAt: Math.floor(Date.now() / 1000) };
    assert.deepEqual(await plexWebhook(account('alice').id, film), { events: 1 });
    await eventually(() => (jfPositionMs('alice', film) === 2_000_000 ? true : undefined), 10_000);
    assert.equal(itemRuns('alice', 'plex-webhook').length, 1);
    await sleep(QUIET_MS);
    assert.equal(itemRuns('owner', 'plex-webhook').length, 0, "posted at the owner's URL, still not the owner's");
  });

  test("a Jellyfin webhook for bob runs bob's pair only", async () => {
    const film = films[3]!;
    const twin = twinOf(film);
    // bob's position as his player saved it; the plugin's post names him.
    (jf.state.userData[jfUser('bob').id] ??= {})[twin.Id] = {
      PlaybackPositionTicks: 1_200_000 * TICKS_PER_MS,
      PlayCount: 0,
      Played: false,
      LastPlayedDate: new Date().toISOString(),
    } as never;
    const body = JSON.stringify({ NotificationType: 'PlaybackStop', ItemId: twin.Id, UserId: jfUser('bob').id, NotificationUsername: 'bob' });
    // Posted at alice's URL (one plugin setup per server): the user in the body decides.
    assert.deepEqual(await postWebhook('jf@alice', body, 'application/json'), { events: 1 });
    await eventually(() => (plexOffset('bob', film) === 1_200_000 ? true : undefined), 10_000);
    assert.equal(itemRuns('jf-bob', 'jellyfin-webhook').length, 1);
    await sleep(QUIET_MS);
    assert.equal(itemRuns('jf-alice', 'jellyfin-webhook').length, 0, "bob's post ran no run of alice's pair");
    assert.equal(plexOffset('alice', film), undefined);
  });

  test('an event of an account no provider acts as is dropped', async () => {
    const film = films[4]!;
    const before = allItemRuns().length;
    // bob has no pair reading his Plex account; account 99 is nobody's.
    await play('bob', film, 900_000);
    assert.deepEqual(await plexWebhook(99, film), { events: 1 });
    const nobody = JSON.stringify({ NotificationType: 'PlaybackStop', ItemId: twinOf(film).Id, UserId: 'f'.repeat(32) });
    assert.deepEqual(await postWebhook('jf@bob', nobody, 'application/json'), { events: 1 });
    await sleep(QUIET_MS);
    assert.deepEqual(allItemRuns().slice(0, allItemRuns().length - before), [], 'no run for anyone');
  });

  test('one socket per server; when it is back after a drop, every pair it serves catches up', async () => {
    const drop = async (url: string) => {
      const res = await request(`${url}/__emulator/websockets/drop`, { method: 'POST' });
      return ((await res.body.json()) as { dropped: number }).dropped;
    };
    // Full runs after the reconnect (the Jellyfin socket's own "*" and serve's catch-up join into one run).
    const fullRuns = (name: string, kind: 'plex' | 'jellyfin') =>
      (store.runs({ pair: name, limit: 100 }) as RunRow[]).filter((r) => r.finishedAt && r.trigger?.startsWith(`${kind}-websocket`));
    const served = [
      ['owner', 'plex'],
      ['alice', 'plex'],
      ['jf-alice', 'jellyfin'],
      ['jf-bob', 'jellyfin'],
    ] as const;
    const before = new Map(served.map(([name, kind]) => [name, fullRuns(name, kind).length]));
    assert.equal(await drop(plex.url), 1, "the owner's socket alone serves plex@owner and plex@alice");
    assert.equal(await drop(jf.url), 1, 'one API-key socket serves jf@alice and jf@bob');
    for (const [name, kind] of served) {
      await eventually(() => (fullRuns(name, kind).length > (before.get(name) ?? 0) ? true : undefined), 10_000);
    }
    assert.ok(itemRuns('alice', 'plex-websocket-reconnect').length > 0, "the shared user's pair caught up after the owner's socket came back");
  });
});
