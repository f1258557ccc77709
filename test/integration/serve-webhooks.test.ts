// The webhook endpoint: `POST /webhooks/{secret}/{provider}`. In process over real HTTP: the
// secret is the credential (401 without a hint otherwise), unknown providers 404, bodies are
// capped (413), bad bodies 400 with a reason, and the secret is in no response and no log line.
// Then as a user runs it: `playhead webhooks` prints the URL, `playhead serve` (with an API token
// on a non-local bind) takes the Plex emulator's own webhook post at that URL without the token.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import pino from 'pino';
import { request } from 'undici';
import { parseConfig } from '../../src/config/load.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { createWebhookApp, webhookSecret } from '../../src/serve/webhooks.ts';
import { Store } from '../../src/store/store.ts';
import { startPlayhead } from '../support/child.ts';
import { playhead } from '../support/cli.ts';
import { startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { api, plexForm } from './serve-support.ts';

const YAML = `providers:
  src: { kind: plex, url: http://127.0.0.1:1, token: a-token }
  jf: { kind: jellyfin, url: http://127.0.0.1:2, token: b-token, user: alice }
  tr: { kind: trakt, client_id: c, client_secret: d }
pairs:
  - { name: main, source: src, target: jf, features: { progress: { enable: true } } }
`;

describe('webhook secret', () => {
  it('is 32 random bytes in base64url, made once per state database and kept', () => {
    const a = Store.open(':memory:');
    const b = Store.open(':memory:');
    try {
      const first = webhookSecret(a);
      assert.match(first, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(webhookSecret(a), first, 'kept');
      assert.notEqual(webhookSecret(b), first, 'random per installation');
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('webhook endpoint', () => {
  const secret = 'S'.repeat(43);
  const events: ItemEvent[] = [];
  const logLines: string[] = [];
  let server: Server;
  let base: string;
  let throwOnEvent = false;
  before(async () => {
    const config = parseConfig(YAML, '/tmp/playhead.yaml', {});
    const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    const app = createWebhookApp({
      config,
      secret,
      log,
      maxBytes: 64 * 1024,
      onEvent: (e) => {
        if (throwOnEvent) throw new Error('handler failed');
        events.push(e);
      },
    });
    server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    for (const line of logLines) assert.ok(!line.includes(secret), `the secret was logged: ${line}`);
  });

  async function post(path: string, body: Buffer | string | Readable, headers: Record<string, string> = {}, method: 'POST' | 'GET' = 'POST') {
    const res = await request(`${base}${path}`, { method, headers, ...(method === 'POST' ? { body } : {}) });
    const text = await res.body.text();
    assert.ok(!text.includes(secret), `the secret is in a response: ${text}`);
    return { status: res.statusCode, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  it('accepts a Plex post with the right secret and hands its events over', async () => {
    const form = await plexForm({ event: 'media.stop', Account: { id: 1, title: 'owner' }, Metadata: { ratingKey: '42', viewOffset: 5000 } });
    const r = await post(`/webhooks/${secret}/src`, form.body, { 'content-type': form.contentType });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { events: 1 });
    assert.deepEqual(
      { ...events.at(-1), at: 0 },
      { provider: 'src', nativeId: '42', kind: 'stopped', at: 0, via: 'plex-webhook', user: { id: '1', name: 'owner' }, positionMs: 5000 },
    );
  });

  it('accepts a Jellyfin plugin post for a Jellyfin provider', async () => {
    const r = await post(`/webhooks/${secret}/jf`, JSON.stringify({ NotificationType: 'PlaybackStop', ItemId: 'abc', UserId: 'u1' }), {
      'content-type': 'application/json',
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(events.at(-1)?.nativeId, 'abc');
    assert.equal(events.at(-1)?.provider, 'jf');
  });

  it('answers a wrong or missing secret 401 with no hint, whatever the provider', async () => {
    const before = events.length;
    for (const path of [
      `/webhooks/${secret}x/src`,
      `/webhooks/${'T'.repeat(43)}/src`,
      `/webhooks/${'T'.repeat(43)}/nope`,
      '/webhooks/src',
      `/webhooks//src`,
      `/webhooks/${secret}/src/extra`,
    ]) {
      const r = await post(path, '{}', { 'content-type': 'application/json' });
      assert.equal(r.status, 401, path);
      assert.deepEqual(r.json, { error: 'unauthorized' }, path);
    }
    assert.equal(events.length, before);
  });

  it('answers 404 for a provider that is unknown or takes no webhooks, 405 for another method', async () => {
    assert.equal((await post(`/webhooks/${secret}/nope`, '{}')).status, 404);
    assert.equal((await post(`/webhooks/${secret}/tr`, '{}')).status, 404, 'Trakt sends no webhooks');
    assert.equal((await post(`/webhooks/${secret}/__proto__`, '{}')).status, 404);
    assert.equal((await post(`/webhooks/${secret}/src`, '', {}, 'GET')).status, 405);
    assert.equal((await post(`/webhooks/${'T'.repeat(43)}/src`, '', {}, 'GET')).status, 401);
  });

  it('refuses a body over the limit with 413, with or without a Content-Length', async () => {
    const big = Buffer.alloc(64 * 1024 + 1, 'a');
    const declared = await post(`/webhooks/${secret}/jf`, big, { 'content-type': 'application/json' });
    assert.equal(declared.status, 413);
    async function* chunks() {
      for (let i = 0; i < 80; i++) yield Buffer.alloc(1024, 'a');
    }
    const chunked = await post(`/webhooks/${secret}/jf`, Readable.from(chunks()), { 'content-type': 'application/json' });
    assert.equal(chunked.status, 413);
    // Exactly at the limit is read (and refused only as JSON).
    const at = await post(`/webhooks/${secret}/jf`, Buffer.alloc(64 * 1024, ' '), { 'content-type': 'application/json' });
    assert.equal(at.status, 400);
  });

  it('answers a malformed body 400 with the reason, and keeps serving', async () => {
    const notJson = await post(`/webhooks/${secret}/jf`, '{"Notif', { 'content-type': 'application/json' });
    assert.equal(notJson.status, 400);
    assert.match(String(notJson.json.error), /not JSON/);
    const noPayload = await post(`/webhooks/${secret}/src`, 'x', { 'content-type': 'multipart/form-data; boundary=zz' });
    assert.equal(noPayload.status, 400);
    assert.match(String(noPayload.json.error), /multipart/);
    const ignored = await post(`/webhooks/${secret}/jf`, JSON.stringify({ NotificationType: 'ItemAdded', ItemId: 'a' }), {
      'content-type': 'application/json',
    });
    assert.deepEqual(ignored.json, { events: 0 });
  });

  it('answers 200 even when handling an event fails (the server would retry a failure forever)', async () => {
    throwOnEvent = true;
    try {
      const r = await post(`/webhooks/${secret}/jf`, JSON.stringify({ NotificationType: 'PlaybackStop', ItemId: 'b', UserId: 'u1' }), {
        'content-type': 'application/json',
      });
      assert.equal(r.status, 200);
    } finally {
      throwOnEvent = false;
    }
    assert.ok(logLines.some((l) => l.includes('webhook event not handled')));
  });
});

describe('webhook endpoint default limit', () => {
  it('is 1 MiB, as README says', async () => {
    const secret = 'L'.repeat(43);
    const app = createWebhookApp({ config: parseConfig(YAML, '/tmp/playhead.yaml', {}), secret, log: pino({ level: 'silent' }), onEvent: () => {} });
    const send = (size: number) =>
      app.request(`/webhooks/${secret}/jf`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(size, ' ') });
    assert.equal((await send(1024 * 1024 + 1)).status, 413);
    assert.equal((await send(1024 * 1024)).status, 400, 'read, then refused as not JSON');
  });
});

describe('playhead webhooks and serve, as a user runs them', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair({ synthetic: 'movies=3,shows=1,seasons=1,episodes=1' });
    p.store.close();
  });
  after(async () => p.close());

  it('prints the source server URL with its setup; serve takes the Plex post there without the API token, and logs no secret', async () => {
    const cli = await playhead(['--config', p.configPath, 'webhooks', '--public-url', 'http://192.168.1.5:8787/'], p.env);
    assert.equal(cli.code, 0, cli.stderr);
    const url = /src \(plex\): (http:\/\/192\.168\.1\.5:8787\/webhooks\/([A-Za-z0-9_-]{43})\/src)/.exec(cli.stdout);
    assert.ok(url, cli.stdout);
    const secret = url[2]!;
    assert.match(cli.stdout, /Plex Pass/);
    assert.match(cli.stdout, /Settings → Webhooks/);
    assert.doesNotMatch(cli.stdout, /dst \(plex\)/, 'a one-way target posts nothing we read');
    const again = await playhead(['--config', p.configPath, '--json', 'webhooks'], p.env);
    const report = JSON.parse(again.stdout) as { loopback: boolean; webhooks: { provider: string; url: string }[] };
    assert.equal(report.loopback, true);
    assert.deepEqual(
      report.webhooks.map((w) => [w.provider, w.url]),
      [['src', `http://127.0.0.1:8787/webhooks/${secret}/src`]],
      'the same secret on every call',
    );
    const local = await playhead(['--config', p.configPath, 'webhooks'], p.env);
    assert.match(local.stdout, /only reachable from this machine/);

    const token = 'webhook-test-api-token-0123';
    const serve = startPlayhead(['--config', p.configPath, '--json', '--verbose', 'serve', '--host', '0.0.0.0', '--port', '0'], {
      ...p.env,
      PLAYHEAD_API_TOKEN: token,
    });
    let stderr = '';
    serve.child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const serveUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m?.[1]) resolve(`http://127.0.0.1:${m[1]}`);
      });
      void serve.done.then((r) => reject(new Error(`serve exited ${r.code}: ${r.stderr}`)));
    });
    try {
      assert.equal((await api(serveUrl, '/api/pairs')).status, 401, 'the API still wants its token');
      const hook = await fetch(`${p.source.url}/__emulator/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${serveUrl}/webhooks/${secret}/src` }),
      });
      assert.equal(hook.status, 201);
      const movie = p.source.state.items.find((i) => i.type === 'movie' && i.durationMs)!;
      const timeline = (state: string, time: number) =>
        fetch(
          `${p.source.url}/:/timeline?ratingKey=${movie.ratingKey}&key=/library/metadata/${movie.ratingKey}&state=${state}&time=${time}&duration=${movie.durationMs}`,
          {
            method: 'POST',
            headers: { 'X-Plex-Token': p.source.ownerToken, 'X-Plex-Client-Identifier': 'tv-1' },
          },
        );
      assert.equal((await timeline('playing', 1000)).status, 200);
      assert.equal((await timeline('stopped', 120_000)).status, 200);
      await p.source.webhooks.settled();
      const deliveries = p.source.webhooks.deliveries.map((d) => [d.event, d.status]);
      assert.deepEqual(deliveries, [
        ['media.play', 200],
        ['media.stop', 200],
      ]);
      // The post became an item-scoped run of the pair reading from `src`, under the webhook's name.
      const deadline = Date.now() + 10_000;
      let runs: Array<{ trigger?: string; status: string }> = [];
      while (Date.now() < deadline) {
        runs = (await api<{ runs: typeof runs }>(serveUrl, '/api/runs', { token })).body.runs;
        if (runs.some((r) => r.trigger === 'plex-webhook')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(
        runs.some((r) => r.trigger === 'plex-webhook'),
        `a run started by the webhook: ${JSON.stringify(runs)}\n${stderr}`,
      );
    } finally {
      serve.child.kill('SIGTERM');
      const done = await serve.done;
      assert.equal(done.code, 0, done.stderr);
      assert.ok(!done.stderr.includes(secret), 'the webhook secret appeared in the logs');
      assert.ok(!done.stderr.includes(token), 'the API token appeared in the logs');
    }
  });
});
