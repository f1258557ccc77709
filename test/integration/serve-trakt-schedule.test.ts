// `playhead serve` with a pair reading from Trakt: its poll of `/sync/last_activities` runs on the
// pair's schedule, and the schedule's ticks do not re-read playback while the poll is up and the
// activity stamps have not moved (the run at start still reads it). Requests are counted on the
// Trakt emulator's request log. Real HTTP, port 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createLogger } from '../../src/cli/log.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import { startServe, type RunningServe } from '../../src/serve/serve.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import { eventually, sleep } from './serve-support.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=2';
const SEED = 'trakt-schedule';
/** The pair's schedule: short, so that several ticks pass during the test. */
const EVERY_MS = 1_200;

interface RunRow {
  status: string;
  trigger?: string;
  finishedAt?: number;
}

describe('playhead serve: a Trakt pair on its schedule', () => {
  let plex: RunningPlexEmulator;
  let trakt: RunningTraktEmulator;
  let store: Store;
  let serve: RunningServe;
  let dir: string;
  const runs = () => store.runs({ pair: 'from-trakt', limit: 1000 }) as RunRow[];
  const count = (path: string) => trakt.requests.filter((r) => r.path === path).length;

  before(async () => {
    plex = await startPlexEmulator({ name: 'trakt-sched-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
    trakt = await startTraktEmulator({ name: 'trakt-sched', synthetic: LIBRARY, seed: SEED, quiet: true, writeLimitPerSecond: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'playhead-trakt-sched-'));
    const path = join(dir, 'state.db');
    store = Store.open(path);
    const alice = trakt.users.find((u) => u.username === 'alice')!;
    saveTokens(store.providerState('trakt'), { accessToken: alice.accessToken, refreshToken: alice.refreshToken, expiresAt: Date.now() + 86_400_000 });
    const limits = { timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };
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
        pairs: [
          {
            name: 'from-trakt',
            source: 'trakt',
            target: 'plex',
            mode: 'one-way',
            features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
            schedule: { everyMs: EVERY_MS },
          },
        ],
        state: { path },
        logLevel: 'silent',
      },
      store,
      log: createLogger({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
      onListening: () => {},
      triggerBackoffMs: 100,
      // No triggerPollMs: the poll's interval comes from the pair's schedule.
    });
    await eventually(() => (runs().some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined));
  });

  after(async () => {
    await serve.stop('test over');
    store.close();
    await plex.close();
    await trakt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the poll follows the schedule, and quiet ticks read no playback', async () => {
    // The first tick may still read: the poll's first answer may have come after the start run began.
    await sleep(2 * EVERY_MS + 500);
    const before = { polls: count('/sync/last_activities'), playback: count('/sync/playback'), runs: runs().length };
    await sleep(5 * EVERY_MS);
    const polls = count('/sync/last_activities') - before.polls;
    // One poll per schedule period (a tenth of jitter is the scheduler's, not the poll's).
    assert.ok(polls >= 3 && polls <= 6, `${polls} polls in ${5 * EVERY_MS} ms`);
    assert.equal(count('/sync/playback') - before.playback, 0, 'playback not read on quiet ticks');
    assert.equal(runs().length, before.runs, 'no scheduled run while the poll saw nothing');
  });

  test('a pause moves paused_at: the next poll runs the pair, which reads playback once and writes Plex', async () => {
    const film = plex.state.items.find((i) => {
      const imdb = i.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
      return i.type === 'movie' && (i.durationMs ?? 0) > 3_600_000 && trakt.state.movies.some((m) => m.ids.imdb === imdb);
    });
    assert.ok(film, 'a long film on both');
    const imdb = film.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
    const alice = trakt.users.find((u) => u.username === 'alice')!;
    const before = { playback: count('/sync/playback'), runs: runs().length };
    const res = await request(`${trakt.url}/scrobble/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'trakt-api-version': '2', 'trakt-api-key': trakt.clientId, authorization: `Bearer ${alice.accessToken}` },
      body: JSON.stringify({ movie: { ids: { imdb } }, progress: 40 }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 201);
    const offset = await eventually(() => plex.state.userState['1']?.[film.ratingKey]?.viewOffset, 10_000);
    assert.ok(Math.abs(offset - 0.4 * (film.durationMs ?? 0)) < 0.02 * (film.durationMs ?? 0), `about 40 % on Plex: ${offset}`);
    const newRuns = runs().slice(0, runs().length - before.runs);
    assert.deepEqual(
      newRuns.map((r) => r.trigger),
      ['trakt-poll'],
    );
    // The run reads playback (a page, and the target's state is Plex's); the quiet ticks after it do not.
    await sleep(3 * EVERY_MS);
    const reads = count('/sync/playback') - before.playback;
    assert.ok(reads >= 1 && reads <= 2, `${reads} reads of playback`);
    assert.equal(runs().length - before.runs, 1, 'no scheduled run after it');
  });
});
