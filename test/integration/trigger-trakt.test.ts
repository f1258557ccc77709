// The Trakt poll against the Trakt emulator: one GET /sync/last_activities per poll and nothing
// else; an event only when movies/episodes paused_at or watched_at moved; a failed poll shows in
// the health.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { startTraktEmulator } from '../../emulators/trakt/server.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import { TraktPollTrigger, traktPollTrigger } from '../../src/providers/trakt/trigger-poll.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { Store } from '../../src/store/store.ts';
import { until } from '../support/until.ts';

describe('Trakt poll trigger', () => {
  it('makes one request per poll and says "changed" only when paused_at or watched_at moved', async () => {
    let clockMs = Date.parse('2026-11-01T10:00:00Z');
    const emu = await startTraktEmulator({
      name: 'poll',
      synthetic: 'movies=3,shows=1,seasons=1,episodes=2',
      seed: 'p',
      quiet: true,
      now: () => clockMs,
      writeLimitPerSecond: 1000,
    });
    const store = Store.open(':memory:');
    const alice = emu.users.find((u) => u.username === 'alice')!;
    saveTokens(store.providerState('trakt'), { accessToken: alice.accessToken, refreshToken: alice.refreshToken, expiresAt: Date.now() + 86_400_000 });
    const config = {
      kind: 'trakt' as const,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      url: emu.url,
      authUrl: emu.url,
      timeoutMs: 2000,
      retries: 0,
      writesPerSecond: 1,
    };
    const trigger = traktPollTrigger(
      'trakt',
      config,
      { log: pino({ level: 'silent' }), now: () => Date.now(), state: store.providerState('trakt') },
      { intervalMs: 60, minBackoffMs: 20 },
    );
    const events: ItemEvent[] = [];
    const polls = () => emu.requests.length;
    const pause = (body: unknown) => write('/scrobble/pause', body);
    const write = async (path: string, body: unknown) => {
      clockMs += 60_000;
      const res = await fetch(`${emu.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'trakt-api-version': '2', 'trakt-api-key': emu.clientId, Authorization: `Bearer ${alice.accessToken}` },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201);
      emu.requests.length = 0; // the write is ours, not the trigger's
    };
    trigger.start((e) => events.push(e));
    try {
      await until('four polls', () => (polls() >= 4 ? true : undefined));
      assert.equal(trigger.health().state, 'up');
      assert.deepEqual(events, [], 'nothing moved: no event');
      assert.ok(
        emu.requests.every((r) => r.method === 'GET' && r.path === '/sync/last_activities'),
        'only last_activities, one request a poll',
      );

      await pause({ movie: { ids: { imdb: emu.state.movies[0]!.ids.imdb } }, progress: 40 });
      const event = await until<ItemEvent>('an event after the movie pause', () => events.at(0));
      assert.deepEqual({ ...event, at: 0 }, { provider: 'trakt', nativeId: '*', kind: 'changed', at: 0, via: 'trakt-poll' });
      const after = polls();
      await until('three more polls', () => (polls() >= after + 3 ? true : undefined));
      assert.equal(events.length, 1, 'one event per move');

      await pause({ episode: { ids: { trakt: emu.state.episodes[0]!.ids.trakt } }, progress: 20 });
      await until('an event after the episode pause', () => events[1]);
      assert.ok(emu.requests.every((r) => r.path === '/sync/last_activities'));

      // A play logged without any playback (marked watched on trakt.tv) moves only watched_at:
      // a finish a run must read, so it is an event too.
      const stampsBefore = structuredClone(emu.state.activities.alice);
      await write('/sync/history', { movies: [{ ids: { trakt: emu.state.movies[1]!.ids.trakt } }] });
      assert.deepEqual(emu.state.activities.alice?.movies.paused_at, stampsBefore?.movies.paused_at, 'paused_at did not move');
      await until('an event after the play', () => events[2]);
      assert.equal(trigger.health().reconnects, 0);
      assert.ok(trigger.health().lastEventAt !== undefined);

      // The server goes away: polls fail, the health says so, without the token.
      await emu.close();
      await until('down', () => (trigger.health().state === 'down' ? true : undefined));
      const health = trigger.health();
      assert.ok(health.lastError);
      assert.doesNotMatch(health.lastError, new RegExp(alice.accessToken));
    } finally {
      await trigger.stop();
      store.close();
    }
  });
});

describe('Trakt poll trigger retries', () => {
  it('retries a failed poll sooner than its interval, with doubling delays, and counts the recovery', async () => {
    const calls: number[] = [];
    const stamps = { movies: { paused_at: 'a' }, episodes: { paused_at: 'a' } };
    const trigger = new TraktPollTrigger(
      'trakt',
      async () => {
        calls.push(Date.now());
        if (calls.length <= 3) throw new Error('trakt: GET /sync/last_activities: 502');
        return stamps;
      },
      { log: pino({ level: 'silent' }), now: () => Date.now() },
      { intervalMs: 10_000, minBackoffMs: 40 },
    );
    trigger.start(() => {});
    try {
      await until('recovered', () => (calls.length >= 4 ? true : undefined), 3000);
      await until('up', () => (trigger.health().state === 'up' ? true : undefined));
      const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
      // 40, 80, 160: far sooner than the 10 s interval, and growing.
      assert.ok(gaps[0]! >= 35 && gaps[0]! < 1000, `gap ${gaps[0]}`);
      assert.ok(gaps[1]! >= 75 && gaps[2]! >= 150 && gaps[2]! < 2000, `gaps ${gaps}`);
      assert.equal(trigger.health().reconnects, 3);
      assert.match(trigger.health().lastError ?? '', /502/);
    } finally {
      await trigger.stop();
    }
  });
});
