// Finished here means finished everywhere, in real time (issue 14 point 4 over Part 7's
// triggers): a film played past the server's watched point leaves the other server's Continue
// Watching within seconds, whichever trigger brings the news — Plex's notification socket (the
// stop, and the played-state `timeline` frame), Plex's `media.scrobble` webhook, Jellyfin's
// `UserDataChanged` with `Played: true`. A stop before the watched point still writes a position.
// Real emulators, HTTP and websockets, port 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { TypedDecision } from '../../src/core/pipeline.ts';
import { webhookSecret, webhookUrl } from '../../src/serve/webhooks.ts';
import type { RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import {
  alice,
  aliceOf,
  close,
  eventually,
  limits,
  longFilms,
  pair,
  plexForm,
  plexTimeline,
  rig,
  runsOf,
  sleep,
  twinOf,
  type PlexItem,
  type Rig,
} from './serve-support.ts';

const SEED = 'realtime-finish';
const TICKS_PER_MS = 10_000;
/** When the person last played the copies that still hold a position: well before the finish. */
const EARLIER_S = Math.floor(Date.now() / 1000) - 3_600;

/** A film half-watched on both servers an hour ago, as a sync left it: Plex and Jellyfin agree. */
function halfWatched(plex: RunningPlexEmulator, jf: RunningMediaBrowserEmulator, film: PlexItem, plexAccount: number): void {
  const positionMs = Math.round((film.durationMs ?? 0) * 0.4);
  (plex.state.userState[String(plexAccount)] ??= {})[film.ratingKey] = { viewOffset: positionMs, lastViewedAt: EARLIER_S };
  (jf.state.userData[alice(jf).id] ??= {})[twinOf(jf, film).Id] = {
    PlaybackPositionTicks: positionMs * TICKS_PER_MS,
    PlayCount: 1,
    Played: false,
    LastPlayedDate: new Date(EARLIER_S * 1000).toISOString(),
  } as never;
}

const jfUserData = (r: Rig, film: PlexItem) => r.jf.state.userData[alice(r.jf).id]?.[twinOf(r.jf, film).Id];

/** The decisions of the newest finished run of `pairName` started by `trigger`, once there is one after `after` runs. */
async function triggeredRun(r: Rig, pairName: string, trigger: string, before: number): Promise<{ status: string; decisions: TypedDecision[] }> {
  const run = await eventually(() => {
    const runs = runsOf(r.store, pairName).filter((x) => x.trigger === trigger);
    return runs.length > before && runs[0]?.finishedAt ? runs[0] : undefined;
  }, 10_000);
  return { status: run.status, decisions: r.store.decisionsOfRun(run.id) };
}

const describeRequests = (requests: { method: string; path: string; query?: unknown }[]) =>
  JSON.stringify(requests.map((x) => `${x.method} ${x.path} ${JSON.stringify(x.query ?? {})}`));

describe('playhead serve: a film finished on Plex leaves Jellyfin through the notification socket', () => {
  let r: Rig;
  const report = (film: PlexItem, state: 'playing' | 'stopped', timeMs: number) => plexTimeline(r.plex.url, r.plex.ownerToken, film, state, timeMs, 'owner');
  const socketRuns = () => runsOf(r.store, 'rt').filter((x) => x.trigger === 'plex-websocket').length;

  before(async () => {
    r = await rig(
      SEED,
      'fin-ws',
      (plex, jf, path) => ({
        providers: {
          plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
          jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
        },
        pairs: [pair('rt', 'plex', 'jf')],
        state: { path },
        logLevel: 'silent',
      }),
      // Films 0 to 2 half-watched on both; the first full run finds them in step (and builds Jellyfin's id index).
      {
        prepare: (plex, jf) => {
          for (const film of longFilms(plex).slice(0, 3)) halfWatched(plex, jf, film, 1);
        },
      },
    );
    await eventually(() => (runsOf(r.store, 'rt').some((x) => x.trigger === 'schedule' && x.finishedAt) ? true : undefined));
    await eventually(async () => {
      const res = await request(`${r.serve.url}/api/pairs`);
      const pairs = (await res.body.json()) as { pairs: { triggers: { state: string }[] }[] };
      return pairs.pairs[0]?.triggers[0]?.state === 'up' ? true : undefined;
    });
  });

  after(async () => close(r));

  test('played past the watched point and stopped: Jellyfin marks it watched, in a handful of requests', async () => {
    const film = r.films[0]!;
    assert.ok((jfUserData(r, film)?.PlaybackPositionTicks ?? 0) > 0, 'Jellyfin holds a position to begin with');
    const runsBefore = socketRuns();
    await report(film, 'playing', Math.round((film.durationMs ?? 0) * 0.8));
    // The trigger maps the new session to its account once (`/status/sessions`), while it plays.
    await sleep(500);
    const before = { plex: r.plex.requests.length, jf: r.jf.requests.length };
    const stoppedAt = Date.now();
    await report(film, 'stopped', Math.round((film.durationMs ?? 0) * 0.95));
    // The emulator did what PMS does past its threshold (90 %): watched, no position, lastViewedAt now.
    const plexState = r.plex.state.userState['1']?.[film.ratingKey];
    assert.ok((plexState?.viewCount ?? 0) >= 1 && !plexState?.viewOffset, JSON.stringify(plexState));
    await eventually(() => (jfUserData(r, film)?.Played ? true : undefined), 10_000);
    const delay = Date.now() - stoppedAt;
    assert.equal(jfUserData(r, film)?.PlaybackPositionTicks, 0, 'no position left on Jellyfin');
    assert.ok(delay < 6_000, `arrived after ${delay} ms`);
    const run = await triggeredRun(r, 'rt', 'plex-websocket', runsBefore);
    assert.equal(run.status, 'ok');
    const finished = run.decisions.find((d) => d.reason === 'finished');
    assert.ok(finished, JSON.stringify(run.decisions));
    assert.equal(finished.action, 'mark_watched');
    // The stopped frame and the played-state timeline frame made one run and one write.
    await sleep(1_500);
    assert.equal(socketRuns() - runsBefore, 1, 'one run for the finish');
    const requests = [...r.plex.requests.slice(before.plex), ...r.jf.requests.slice(before.jf)].filter((x) => x.path !== '/:/timeline');
    assert.equal(r.jf.requests.slice(before.jf).filter((x) => x.method !== 'GET').length, 1, `one write: ${describeRequests(requests)}`);
    assert.ok(requests.length <= 6, `${requests.length} requests for one finish: ${describeRequests(requests)}`);
  });

  test("marked watched in Plex's own UI: the played-state timeline frame alone finishes it", async () => {
    const film = r.films[2]!;
    const runsBefore = socketRuns();
    // No session, no stop: only `timeline` (TimelineEntry state 5) frames, which name no user.
    const q = new URLSearchParams({ identifier: 'com.plexapp.plugins.library', key: film.ratingKey });
    const res = await request(`${r.plex.url}/:/scrobble?${q}`, { method: 'PUT', headers: { 'X-Plex-Token': r.plex.ownerToken } });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    await eventually(() => (jfUserData(r, film)?.Played ? true : undefined), 10_000);
    assert.equal(jfUserData(r, film)?.PlaybackPositionTicks, 0, 'no position left on Jellyfin');
    const run = await triggeredRun(r, 'rt', 'plex-websocket', runsBefore);
    assert.ok(
      run.decisions.some((d) => d.reason === 'finished' && d.action === 'mark_watched'),
      JSON.stringify(run.decisions),
    );
  });

  test('stopped before the watched point: a position is written, nothing is finished', async () => {
    const film = r.films[1]!;
    const runsBefore = socketRuns();
    await report(film, 'playing', Math.round((film.durationMs ?? 0) * 0.5));
    await sleep(500);
    const positionMs = Math.round((film.durationMs ?? 0) * 0.6);
    await report(film, 'stopped', positionMs);
    await eventually(() => (jfUserData(r, film)?.PlaybackPositionTicks === positionMs * TICKS_PER_MS ? true : undefined), 10_000);
    assert.equal(jfUserData(r, film)?.Played, false, 'not marked watched');
    const run = await triggeredRun(r, 'rt', 'plex-websocket', runsBefore);
    assert.ok(!run.decisions.some((d) => d.reason === 'finished'), JSON.stringify(run.decisions));
    assert.ok(
      run.decisions.some((d) => d.action === 'write'),
      JSON.stringify(run.decisions),
    );
  });
});

describe("playhead serve: a film finished on Plex leaves Jellyfin through Plex's media.scrobble webhook", () => {
  let r: Rig;

  before(async () => {
    // alice's token and account id, no owner: the webhook is the only way her plays arrive.
    r = await rig(
      SEED,
      'fin-hook',
      (plex, jf, path) => ({
        providers: {
          plexalice: { kind: 'plex', url: plex.url, token: aliceOf(plex).token, accountId: String(aliceOf(plex).id), ...limits },
          jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
        },
        pairs: [pair('hook', 'plexalice', 'jf')],
        state: { path },
        logLevel: 'silent',
      }),
      {
        prepare: (plex, jf) => {
          for (const film of longFilms(plex).slice(2, 4)) halfWatched(plex, jf, film, aliceOf(plex).id);
        },
      },
    );
    await eventually(() => (runsOf(r.store, 'hook').some((x) => x.trigger === 'schedule' && x.finishedAt) ? true : undefined));
    const res = await request(`${r.plex.url}/__emulator/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${r.serve.url}/webhooks/${webhookSecret(r.store)}/plexalice` }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 201);
  });

  after(async () => close(r));

  test('media.scrobble (then media.stop) with her account id: Jellyfin marks it watched', async () => {
    const film = r.films[2]!;
    const runsBefore = runsOf(r.store, 'hook').filter((x) => x.trigger === 'plex-webhook').length;
    const token = aliceOf(r.plex).token;
    await plexTimeline(r.plex.url, token, film, 'playing', Math.round((film.durationMs ?? 0) * 0.8), 'alice');
    await plexTimeline(r.plex.url, token, film, 'stopped', Math.round((film.durationMs ?? 0) * 0.97), 'alice');
    await eventually(() => (jfUserData(r, film)?.Played ? true : undefined), 10_000);
    assert.equal(jfUserData(r, film)?.PlaybackPositionTicks, 0, 'no position left on Jellyfin');
    const run = await triggeredRun(r, 'hook', 'plex-webhook', runsBefore);
    assert.equal(run.status, 'ok');
    assert.ok(
      run.decisions.some((d) => d.reason === 'finished' && d.action === 'mark_watched'),
      JSON.stringify(run.decisions),
    );
    // The emulator posted what PMS posts past the threshold: the scrobble, then the stop.
    await r.plex.webhooks.settled();
    const events = r.plex.webhooks.deliveries.map((d) => d.event);
    assert.ok(events.includes('media.scrobble'), JSON.stringify(events));
  });

  test('a media.scrobble post alone (no stop after it) is enough', async () => {
    const film = r.films[3]!;
    const runsBefore = runsOf(r.store, 'hook').filter((x) => x.trigger === 'plex-webhook').length;
    const account = aliceOf(r.plex);
    // Watched on Plex (a player's scrobble: no webhook of its own), then the one post PMS sends for it.
    const q = new URLSearchParams({ identifier: 'com.plexapp.plugins.library', key: film.ratingKey });
    const scrobbled = await request(`${r.plex.url}/:/scrobble?${q}`, { method: 'PUT', headers: { 'X-Plex-Token': account.token } });
    await scrobbled.body.dump();
    assert.equal(scrobbled.statusCode, 200);
    const form = await plexForm({
      event: 'media.scrobble',
      user: false,
      owner: true,
      Account: { id: account.id, title: account.name },
      Metadata: { ratingKey: film.ratingKey, type: 'movie', title: film.title },
    });
    const res = await request(webhookUrl(r.serve.url, webhookSecret(r.store), 'plexalice'), {
      method: 'POST',
      headers: { 'content-type': form.contentType },
      body: form.body,
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `the webhook answered ${res.statusCode}`);
    await eventually(() => (jfUserData(r, film)?.Played ? true : undefined), 10_000);
    assert.equal(jfUserData(r, film)?.PlaybackPositionTicks, 0, 'no position left on Jellyfin');
    const run = await triggeredRun(r, 'hook', 'plex-webhook', runsBefore);
    assert.ok(
      run.decisions.some((d) => d.reason === 'finished' && d.action === 'mark_watched'),
      JSON.stringify(run.decisions),
    );
  });
});

describe('playhead serve: a film finished on Jellyfin leaves Plex through UserDataChanged with Played: true', () => {
  let r: Rig;
  const plexState = (film: PlexItem) => r.plex.state.userState['1']?.[film.ratingKey];

  before(async () => {
    r = await rig(
      SEED,
      'fin-jf',
      (plex, jf, path) => ({
        providers: {
          jf: { kind: 'jellyfin', url: jf.url, token: alice(jf).token, ...limits },
          plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        },
        pairs: [pair('jf-to-plex', 'jf', 'plex')],
        state: { path },
        logLevel: 'silent',
      }),
      {
        prepare: (plex, jf) => {
          for (const film of longFilms(plex).slice(3, 5)) halfWatched(plex, jf, film, 1);
        },
      },
    );
    await eventually(() => (runsOf(r.store, 'jf-to-plex').some((x) => x.trigger === 'schedule' && x.finishedAt) ? true : undefined));
    // The socket is open once the emulator has a connection for it.
    await sleep(500);
  });

  after(async () => close(r));

  test('marked played on Jellyfin (with the date played): Plex scrobbles it, its position gone', async () => {
    const film = r.films[3]!;
    assert.ok((plexState(film)?.viewOffset ?? 0) > 0, 'Plex holds a position to begin with');
    const runsBefore = runsOf(r.store, 'jf-to-plex').filter((x) => x.trigger === 'jellyfin-websocket').length;
    const user = alice(r.jf);
    const res = await request(`${r.jf.url}/Users/${user.id}/PlayedItems/${twinOf(r.jf, film).Id}?DatePlayed=${encodeURIComponent(new Date().toISOString())}`, {
      method: 'POST',
      headers: { 'X-Emby-Token': user.token },
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `PlayedItems answered ${res.statusCode}`);
    await eventually(() => ((plexState(film)?.viewCount ?? 0) >= 1 ? true : undefined), 10_000);
    assert.ok(!plexState(film)?.viewOffset, `no position left on Plex: ${JSON.stringify(plexState(film))}`);
    const run = await triggeredRun(r, 'jf-to-plex', 'jellyfin-websocket', runsBefore);
    assert.equal(run.status, 'ok');
    assert.ok(
      run.decisions.some((d) => d.reason === 'finished' && d.action === 'mark_watched'),
      JSON.stringify(run.decisions),
    );
    assert.ok(
      r.plex.requests.some((x) => x.path === '/:/scrobble'),
      'scrobbled on Plex',
    );
  });

  test('played on Jellyfin past its watched point and stopped: Plex scrobbles it', async () => {
    const film = r.films[4]!;
    const twin = twinOf(r.jf, film);
    const runtimeTicks = twin.RunTimeTicks ?? 0;
    // A player's session reports, as Jellyfin's clients send them.
    const playerReport = async (path: string, positionTicks: number) => {
      const res = await request(`${r.jf.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `MediaBrowser Token="${alice(r.jf).token}", Client="tv", Device="tv", DeviceId="tv-fin", Version="1"`,
        },
        body: JSON.stringify({ ItemId: twin.Id, PositionTicks: positionTicks }),
      });
      await res.body.dump();
      assert.ok(res.statusCode < 300, `${path} answered ${res.statusCode}`);
    };
    await playerReport('/Sessions/Playing', Math.round(runtimeTicks * 0.8));
    await sleep(300);
    await playerReport('/Sessions/Playing/Stopped', Math.round(runtimeTicks * 0.96));
    assert.equal(jfUserData(r, film)?.Played, true, 'Jellyfin counted it watched to the end');
    await eventually(() => ((plexState(film)?.viewCount ?? 0) >= 1 ? true : undefined), 10_000);
    assert.ok(!plexState(film)?.viewOffset, `no position left on Plex: ${JSON.stringify(plexState(film))}`);
    const runs = runsOf(r.store, 'jf-to-plex').filter((x) => x.trigger === 'jellyfin-websocket' && x.finishedAt);
    assert.ok(
      runs.some((x) => r.store.decisionsOfRun(x.id).some((d) => d.reason === 'finished' && d.action === 'mark_watched')),
      JSON.stringify(runs),
    );
  });
});
