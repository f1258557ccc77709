// The Jellyfin/Emby websocket trigger against the real emulators over real websockets: a stop and
// a played mark become ItemEvents for the right item and user; a dropped socket reconnects; a
// server that is down is retried with growing delays and the health says so.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { MediaBrowserSocketTrigger } from '../../src/providers/mediabrowser/trigger-websocket.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { until } from '../support/until.ts';

const log = pino({ level: 'silent' });
const ctx = { log, now: () => Date.now() };

async function report(emu: RunningMediaBrowserEmulator, token: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `MediaBrowser Token="${token}", Client="tv", Device="tv", DeviceId="tv-1", Version="1"` },
    body: JSON.stringify(body),
  });
  assert.ok(res.status === 204 || res.status === 200, `${path} answered ${res.status}`);
}

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect} websocket trigger`, () => {
    const started: { close(): Promise<void> | void }[] = [];
    after(async () => {
      for (const s of started.reverse()) await s.close();
    });

    async function setup(token: 'apiKey' | 'user' = 'apiKey') {
      const emu = await startMediaBrowserEmulator({
        dialect,
        name: `trig-${dialect}`,
        synthetic: 'movies=3,shows=1,seasons=1,episodes=2',
        seed: 't',
        quiet: true,
      });
      started.push(emu);
      const alice = emu.users.find((u) => u.name === 'alice')!;
      const trigger = new MediaBrowserSocketTrigger('mb', { kind: dialect, url: emu.url, token: token === 'apiKey' ? emu.apiKey : alice.token }, ctx, {
        minBackoffMs: 50,
        maxBackoffMs: 400,
        random: () => 1,
      });
      started.push({ close: () => trigger.stop() });
      const events: ItemEvent[] = [];
      trigger.start((e) => events.push(e));
      await until('the socket up', () => (trigger.health().state === 'up' ? true : undefined));
      const movies = emu.state.items.filter((i) => i.Type === 'Movie' && i.RunTimeTicks);
      return { emu, alice, trigger, events, movies };
    }

    it('turns a playback stop into stopped and progress events for the item and its user', async () => {
      const { emu, alice, trigger, events, movies } = await setup();
      const movie = movies[0]!;
      await report(emu, alice.token, '/Sessions/Playing', { ItemId: movie.Id, PositionTicks: 0 });
      const playing = await until('playing', () => events.find((e) => e.kind === 'playing'));
      assert.equal(playing.nativeId, movie.Id);
      assert.equal(playing.user?.id, alice.id);
      const ticks = Math.round(movie.RunTimeTicks! * 0.4);
      await report(emu, alice.token, '/Sessions/Playing/Stopped', { ItemId: movie.Id, PositionTicks: ticks });
      const stopped = await until('stopped', () => events.find((e) => e.kind === 'stopped'));
      assert.deepEqual(
        { nativeId: stopped.nativeId, user: stopped.user?.id, via: stopped.via, provider: stopped.provider },
        {
          nativeId: movie.Id,
          user: alice.id,
          via: `${dialect}-websocket`,
          provider: 'mb',
        },
      );
      const progress = await until('progress', () => events.find((e) => e.kind === 'progress' && e.positionMs === Math.round(ticks / 10_000)));
      assert.equal(progress.nativeId, movie.Id);
      assert.equal(progress.user?.id, alice.id);
      assert.ok(trigger.health().lastEventAt !== undefined);
      assert.ok(!events.some((e) => e.nativeId === '*'), 'a first connection has missed nothing');
    });

    it('turns a played mark into a played event (also on a user token)', async () => {
      const { emu, alice, events, movies } = await setup('user');
      const movie = movies[1]!;
      await report(emu, alice.token, `/Users/${alice.id}/PlayedItems/${movie.Id}`, {});
      const played = await until('played', () => events.find((e) => e.kind === 'played'));
      assert.equal(played.nativeId, movie.Id);
      assert.equal(played.user?.id, alice.id);
    });

    it('reconnects after a drop and reports what happened after it', async () => {
      const { emu, alice, trigger, events, movies } = await setup();
      const dropped = await fetch(`${emu.url}/__emulator/websockets/drop`, { method: 'POST' });
      assert.deepEqual(await dropped.json(), { dropped: 1 });
      await until('down', () => (trigger.health().state !== 'up' ? true : undefined));
      await until('up again', () => (trigger.health().state === 'up' ? true : undefined));
      assert.equal(trigger.health().reconnects, 1);
      assert.match(trigger.health().lastError ?? '', /closed \(1006\)/);
      // What happened while it was down was announced to nobody: re-read everything.
      const missed = await until('a re-read event', () => events.find((e) => e.nativeId === '*'));
      assert.deepEqual({ ...missed, at: 0 }, { provider: 'mb', nativeId: '*', kind: 'changed', at: 0, via: `${dialect}-websocket` });
      assert.equal(events.filter((e) => e.nativeId === '*').length, 1);
      const movie = movies[2]!;
      await report(emu, alice.token, `/Users/${alice.id}/PlayedItems/${movie.Id}`, {});
      const played = await until('played after reconnecting', () => events.find((e) => e.kind === 'played' && e.nativeId === movie.Id));
      assert.equal(played.user?.id, alice.id);
    });
  });
}

describe('mediabrowser websocket trigger keep-alive', () => {
  it('answers ForceKeepAlive with KeepAlive at half the asked period, with the token in the query', async () => {
    // The emulator asks for 60 s; a bare server asks for 0.2 s so the test need not wait.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const received: { at: number; text: string }[] = [];
    let query = '';
    wss.on('connection', (socket, req) => {
      query = req.url ?? '';
      socket.send(JSON.stringify({ MessageType: 'ForceKeepAlive', Data: 0.2 }));
      socket.on('message', (data) => received.push({ at: Date.now(), text: String(data) }));
    });
    const trigger = new MediaBrowserSocketTrigger('mb', { kind: 'jellyfin', url: `http://127.0.0.1:${port}`, token: 'k1' }, ctx);
    trigger.start(() => {});
    try {
      await until('two KeepAlives', () => (received.filter((m) => m.text.includes('"KeepAlive"')).length >= 2 ? true : undefined), 2000);
      assert.equal(query, '/socket?ApiKey=k1');
      const keepAlives = received.filter((m) => m.text.includes('"KeepAlive"'));
      const gap = keepAlives[1]!.at - keepAlives[0]!.at;
      assert.ok(gap >= 80 && gap < 180, `gap ${gap}`);
    } finally {
      await trigger.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** When the trigger tries to connect (each call of its private `connect`), in epoch ms. */
function recordAttempts(trigger: MediaBrowserSocketTrigger): number[] {
  const attempts: number[] = [];
  const target = trigger as unknown as { connect(): void };
  const connect = target.connect.bind(trigger);
  target.connect = () => {
    attempts.push(Date.now());
    connect();
  };
  return attempts;
}

describe('mediabrowser websocket trigger while the server is down', () => {
  it('jitters its delays: half of the ceiling when the random draw is 0', async () => {
    const port = await closedPort();
    const trigger = new MediaBrowserSocketTrigger('mb', { kind: 'emby', url: `http://127.0.0.1:${port}`, token: 't' }, ctx, {
      minBackoffMs: 60,
      maxBackoffMs: 240,
      random: () => 0,
    });
    const attempts = recordAttempts(trigger);
    trigger.start(() => {});
    try {
      await until('six attempts', () => (attempts.length >= 6 ? true : undefined), 3000);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      // Ceilings 60, 120, 240, 240, 240 → delays 30, 60, 120, 120, 120.
      assert.ok(gaps[3]! >= 110 && gaps[3]! < 230, `gap ${gaps[3]}`);
      assert.ok(gaps[4]! >= 110 && gaps[4]! < 230, `gap ${gaps[4]}`);
    } finally {
      await trigger.stop();
    }
  });

  it('backs off with growing, capped delays; the health says down, without the token', async () => {
    // A port with nothing listening: every attempt is refused at once.
    const port = await closedPort();
    const trigger = new MediaBrowserSocketTrigger('mb', { kind: 'jellyfin', url: `http://127.0.0.1:${port}`, token: 'secret-token' }, ctx, {
      minBackoffMs: 40,
      maxBackoffMs: 160,
      random: () => 1,
    });
    const attempts = recordAttempts(trigger);
    trigger.start(() => {});
    try {
      await until('six attempts', () => (attempts.length >= 6 ? true : undefined), 3000);
      const health = trigger.health();
      assert.equal(health.state === 'down' || health.state === 'connecting', true);
      assert.ok(health.reconnects >= 5);
      assert.match(health.lastError ?? '', /ECONNREFUSED/);
      assert.doesNotMatch(health.lastError ?? '', /secret-token/);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      // 40, 80, 160, then capped at 160 (random pinned to the full delay).
      assert.ok(gaps[0]! >= 35 && gaps[0]! < 120, `first gap ${gaps[0]}`);
      assert.ok(gaps[1]! >= 75, `second gap ${gaps[1]}`);
      assert.ok(gaps[2]! >= 150, `third gap ${gaps[2]}`);
      assert.ok(gaps[4]! < 300, `capped gap ${gaps[4]}`);
      // The server comes back on that port: the next attempt connects.
      const wss = new WebSocketServer({ port, host: '127.0.0.1' });
      try {
        await until('up once the server is back', () => (trigger.health().state === 'up' ? true : undefined), 2000);
      } finally {
        await trigger.stop();
        await new Promise<void>((r) => wss.close(() => r()));
      }
    } finally {
      await trigger.stop();
    }
  });
});
