// Each kind's webhook parser on the bodies the emulators really post (a receiver registered with
// /__emulator/webhooks captures the raw bytes and content type), plus bodies that must be refused
// with a clear WebhookBodyError rather than anything else.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import type { WebhookBody } from '../../src/providers/module.ts';
import { parseMediaBrowserWebhook } from '../../src/providers/mediabrowser/webhook.ts';
import { parsePlexWebhook } from '../../src/providers/plex/webhook.ts';
import { WebhookBodyError } from '../../src/providers/webhook.ts';

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** A receiver on port 0 keeping each post's content type and raw bytes. */
async function receiver(): Promise<{ url: string; bodies: WebhookBody[] }> {
  const bodies: WebhookBody[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ contentType: req.headers['content-type'] ?? '', raw: Buffer.concat(chunks) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, bodies };
}

async function register(emulatorUrl: string, url: string): Promise<void> {
  const res = await fetch(`${emulatorUrl}/__emulator/webhooks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  assert.equal(res.status, 201);
}

const now = () => 1_000;

describe('Plex webhook parser', () => {
  it('reads media.pause, media.stop and media.scrobble from the multipart payload; media.play is nothing', async () => {
    const emu = await startPlexEmulator({ name: 'hook', synthetic: 'movies=2,shows=1,seasons=1,episodes=1', seed: 'w', quiet: true });
    closers.push(() => emu.close());
    const hook = await receiver();
    await register(emu.url, hook.url);
    const movie = emu.state.items.find((i) => i.type === 'movie' && i.durationMs)!;
    const owner = emu.state.accounts[0]!;
    const timeline = async (state: string, time: number) => {
      const query = `ratingKey=${movie.ratingKey}&key=/library/metadata/${movie.ratingKey}&state=${state}&time=${time}&duration=${movie.durationMs}`;
      const res = await fetch(`${emu.url}/:/timeline?${query}`, {
        method: 'POST',
        headers: { 'X-Plex-Token': emu.ownerToken, 'X-Plex-Client-Identifier': 'tv-1', Accept: 'application/json' },
      });
      assert.equal(res.status, 200);
    };
    await timeline('playing', 1000);
    await timeline('paused', 60_000);
    await timeline('stopped', movie.durationMs!); // past the threshold: scrobble, then stop
    await emu.webhooks.settled();
    assert.equal(hook.bodies.length, 4);
    assert.match(hook.bodies[0]!.contentType, /^multipart\/form-data; boundary=/);
    const events = (await Promise.all(hook.bodies.map((b) => parsePlexWebhook('plex', b, now)))).flat();
    const user = { id: String(owner.id), name: owner.name };
    assert.deepEqual(events, [
      { provider: 'plex', nativeId: movie.ratingKey, kind: 'paused', at: 1000, via: 'plex-webhook', user, positionMs: 60_000 },
      { provider: 'plex', nativeId: movie.ratingKey, kind: 'played', at: 1000, via: 'plex-webhook', user, ...positionOf(events[1]?.positionMs) },
      { provider: 'plex', nativeId: movie.ratingKey, kind: 'stopped', at: 1000, via: 'plex-webhook', user, ...positionOf(events[2]?.positionMs) },
    ]);
  });

  it('refuses bodies that are not a Plex payload with a WebhookBodyError', async () => {
    const form = async (fields: Record<string, string>): Promise<WebhookBody> => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      const req = new Request('http://x/', { method: 'POST', body: data });
      return { contentType: req.headers.get('content-type')!, raw: Buffer.from(await req.arrayBuffer()) };
    };
    const bad: [string, WebhookBody][] = [
      ['json, not multipart', { contentType: 'application/json', raw: Buffer.from('{"event":"media.stop"}') }],
      ['no boundary', { contentType: 'multipart/form-data', raw: Buffer.from('garbage') }],
      [
        'truncated multipart',
        { contentType: 'multipart/form-data; boundary=abc', raw: Buffer.from('--abc\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{"ev') },
      ],
      ['no payload part', await form({ other: '{}' })],
      ['payload not JSON', await form({ payload: '{not json' })],
      ['payload without event', await form({ payload: '{"Metadata":{"ratingKey":"1"}}' })],
      ['ratingKey of the wrong type', await form({ payload: '{"event":"media.stop","Metadata":{"ratingKey":{}}}' })],
      ['empty', { contentType: '', raw: Buffer.alloc(0) }],
    ];
    for (const [what, body] of bad) {
      await assert.rejects(parsePlexWebhook('plex', body), (e: unknown) => e instanceof WebhookBodyError && e.message.length > 0, what);
    }
    // Events that settle nothing, or without an item, are not errors.
    assert.deepEqual(await parsePlexWebhook('plex', await form({ payload: '{"event":"library.new"}' })), []);
    assert.deepEqual(await parsePlexWebhook('plex', await form({ payload: '{"event":"media.stop"}' })), []);
    // A stop that names no account could be anyone's: dropped, never guessed.
    assert.deepEqual(await parsePlexWebhook('plex', await form({ payload: '{"event":"media.stop","Metadata":{"ratingKey":"5"}}' })), []);
  });
});

function positionOf(ms: number | undefined): { positionMs?: number } {
  return ms !== undefined ? { positionMs: ms } : {};
}

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect} webhook parser`, () => {
    async function setup(): Promise<{
      emu: RunningMediaBrowserEmulator;
      bodies: WebhookBody[];
      post: (path: string, body: unknown) => Promise<void>;
      alice: { id: string; name: string; token: string };
    }> {
      const emu = await startMediaBrowserEmulator({
        dialect,
        name: `hook-${dialect}`,
        synthetic: 'movies=2,shows=1,seasons=1,episodes=1',
        seed: 'w',
        quiet: true,
      });
      closers.push(() => emu.close());
      const hook = await receiver();
      await register(emu.url, hook.url);
      const alice = emu.users.find((u) => u.name === 'alice')!;
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${emu.url}${path}`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Authorization: `MediaBrowser Token="${alice.token}", Client="tv", Device="tv", DeviceId="tv-1", Version="1"`,
          },
          body: JSON.stringify(body),
        });
        assert.ok(res.status < 300, `${path}: ${res.status}`);
      };
      return { emu, bodies: hook.bodies, post, alice };
    }

    it('turns a pause, a stop and a played mark into events for the item and its user', async () => {
      const { emu, bodies, post, alice } = await setup();
      const [movie, other] = emu.state.items.filter((i) => i.Type === 'Movie' && i.RunTimeTicks);
      const pausedAt = Math.round(movie!.RunTimeTicks! * 0.3);
      const stoppedAt = Math.round(movie!.RunTimeTicks! * 0.4);
      await post('/Sessions/Playing', { ItemId: movie!.Id, PositionTicks: 0 });
      await post('/Sessions/Playing/Progress', { ItemId: movie!.Id, PositionTicks: pausedAt, IsPaused: true });
      await post('/Sessions/Playing/Stopped', { ItemId: movie!.Id, PositionTicks: stoppedAt });
      await post(`/Users/${alice.id}/PlayedItems/${other!.Id}`, {});
      await emu.webhooks.settled();
      assert.ok(bodies.length > 0);
      for (const b of bodies) assert.match(b.contentType, /^application\/json/);
      const events = (await Promise.all(bodies.map((b) => parseMediaBrowserWebhook('mb', dialect, b, now)))).flat();
      const brief = events.map((e) => [
        e.kind,
        e.nativeId === movie!.Id ? 'movie' : e.nativeId === other!.Id ? 'other' : e.nativeId,
        e.user?.id === alice.id,
        e.positionMs,
      ]);
      const via = `${dialect}-webhook`;
      assert.ok(events.every((e) => e.via === via && e.provider === 'mb' && e.at === 1000));
      const ms = (ticks: number) => Math.round(ticks / 10_000);
      if (dialect === 'jellyfin') {
        // PlaybackStart; the paused progress; the stop (and its UserDataSaved, reason PlaybackFinished
        // when it has one); the played mark's UserDataSaved (TogglePlayed). Saves made while playing give nothing.
        assert.deepEqual(
          brief.filter(([k]) => k !== 'changed' && k !== 'progress'),
          [
            ['playing', 'movie', true, 0],
            ['paused', 'movie', true, ms(pausedAt)],
            ['stopped', 'movie', true, ms(stoppedAt)],
            ['played', 'other', true, brief.find(([k, w]) => k === 'played' && w === 'other')?.[3]],
          ],
        );
      } else {
        assert.deepEqual(brief, [
          ['playing', 'movie', true, 0],
          ['paused', 'movie', true, ms(pausedAt)],
          ['stopped', 'movie', true, ms(stoppedAt)],
          ['played', 'other', true, undefined],
        ]);
      }
    });

    it('refuses what is not a webhook body, and ignores events that settle nothing', async () => {
      const json = (value: unknown): WebhookBody => ({
        contentType: 'application/json',
        raw: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
      });
      const bad: [string, WebhookBody][] = [
        ['not JSON', json('{"Notif')],
        ['empty', { contentType: 'application/json', raw: Buffer.alloc(0) }],
        ['an array', json([1, 2])],
        ['null', json(null)],
        ['multipart without the JSON', { contentType: 'multipart/form-data; boundary=x', raw: Buffer.from('--x--') }],
        ['binary', { contentType: 'application/json', raw: Buffer.from([0xff, 0xfe, 0x00, 0x01]) }],
        ...(dialect === 'jellyfin'
          ? ([
              ['no NotificationType', json({ ItemId: 'a' })],
              ['a stop without ItemId', json({ NotificationType: 'PlaybackStop', UserId: 'u' })],
              ['ItemId of the wrong type', json({ NotificationType: 'PlaybackStop', ItemId: 5 })],
            ] as [string, WebhookBody][])
          : ([
              ['no Event', json({ Item: { Id: '1' } })],
              ['a stop without Item', json({ Event: 'playback.stop' })],
              ['Item.Id of the wrong type', json({ Event: 'playback.stop', Item: { Id: [] } })],
            ] as [string, WebhookBody][])),
      ];
      for (const [what, body] of bad) {
        await assert.rejects(parseMediaBrowserWebhook('mb', dialect, body), (e: unknown) => e instanceof WebhookBodyError, what);
      }
      const ignored = dialect === 'jellyfin' ? json({ NotificationType: 'ItemAdded', ItemId: 'a' }) : json({ Event: 'library.new', Item: { Id: '1' } });
      assert.deepEqual(await parseMediaBrowserWebhook('mb', dialect, ignored), []);
      // A stop that names no user could be anyone's: dropped, never guessed.
      const anonymous = dialect === 'jellyfin' ? json({ NotificationType: 'PlaybackStop', ItemId: 'a' }) : json({ Event: 'playback.stop', Item: { Id: '1' } });
      assert.deepEqual(await parseMediaBrowserWebhook('mb', dialect, anonymous), []);
    });
  });
}

describe('emby webhook parser, form-encoded', () => {
  it('reads the JSON from the `data` field of a multipart form (Emby before 4.9)', async () => {
    const form = new FormData();
    form.append(
      'data',
      JSON.stringify({ Event: 'playback.stop', Item: { Id: '77' }, User: { Id: 'u1', Name: 'alice' }, PlaybackInfo: { PositionTicks: 600_000_000 } }),
    );
    const req = new Request('http://x/', { method: 'POST', body: form });
    const body = { contentType: req.headers.get('content-type')!, raw: Buffer.from(await req.arrayBuffer()) };
    assert.deepEqual(await parseMediaBrowserWebhook('emby', 'emby', body, now), [
      { provider: 'emby', nativeId: '77', kind: 'stopped', at: 1000, via: 'emby-webhook', user: { id: 'u1', name: 'alice' }, positionMs: 60_000 },
    ]);
    await assert.rejects(parseMediaBrowserWebhook('jf', 'jellyfin', body), WebhookBodyError, 'Jellyfin posts JSON only');
  });
});

describe('webhook parsers on random bytes', () => {
  it('never throw anything but a WebhookBodyError', async () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = [
      '{',
      '}',
      '"event"',
      ':',
      '"media.stop"',
      '"Metadata"',
      '"ratingKey"',
      '"NotificationType"',
      '"PlaybackStop"',
      '"ItemId"',
      '"Event"',
      '"playback.stop"',
      '"Item"',
      '"Id"',
      ',',
      '[',
      ']',
      'null',
      '1',
      '\u0000',
      '--b\r\n',
      'Content-Disposition: form-data; name="payload"\r\n\r\n',
    ];
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
      const types = ['application/json', 'multipart/form-data; boundary=b', 'text/plain', ''];
      const body = { contentType: types[i % types.length]!, raw: Buffer.from(text) };
      for (const parse of [
        () => parsePlexWebhook('p', body),
        () => parseMediaBrowserWebhook('j', 'jellyfin', body),
        () => parseMediaBrowserWebhook('e', 'emby', body),
      ]) {
        try {
          const events = await parse();
          assert.ok(Array.isArray(events));
        } catch (e) {
          assert.ok(e instanceof WebhookBodyError, `${JSON.stringify(text)} threw ${String(e)}`);
        }
      }
    }
  });
});
