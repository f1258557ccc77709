// The shared HTTP client against a scripted local server: retries, Retry-After, timeouts,
// resets, and errors that name the provider and path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { HttpClient, parseRetryAfter } from '../../src/providers/http.ts';
import { ProviderError } from '../../src/providers/provider.ts';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

async function scripted(steps: Step[]): Promise<{ url: string; hits: number[]; close: () => Promise<void> }> {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    hits.push(Date.now());
    const step = steps[Math.min(hits.length - 1, steps.length - 1)];
    step?.(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const ok: Step = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"fine":true}');
const client = (url: string, timeoutMs = 2000, retries = 3) =>
  new HttpClient({ provider: 'srv', baseUrl: url, headers: { 'X-Plex-Token': 'SECRET' }, timeoutMs, retries, log: pino({ level: 'silent' }), minBackoffMs: 1 });

test('Retry-After is read as seconds or as a date', () => {
  assert.equal(parseRetryAfter('2', 0), 2000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000), 4000);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});

test('429 with Retry-After waits as asked, then succeeds', async () => {
  const s = await scripted([(_q, res) => res.writeHead(429, { 'retry-after': '1' }).end(), ok]);
  try {
    const res = await client(s.url).send('GET', '/x');
    assert.equal(res.status, 200);
    assert.equal(s.hits.length, 2);
    assert.ok(s.hits[1]! - s.hits[0]! >= 900, `waited ${s.hits[1]! - s.hits[0]!} ms`);
  } finally {
    await s.close();
  }
});

test('a Retry-After beyond a minute fails at once with a clear error', async () => {
  const s = await scripted([(_q, res) => res.writeHead(429, { 'retry-after': '3600' }).end()]);
  try {
    await assert.rejects(client(s.url).send('GET', '/x'), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, 'rate_limited');
      assert.equal(err.message, `srv: GET ${s.url}/x answered 429: asked to retry after 3600 s`);
      return true;
    });
    assert.equal(s.hits.length, 1);
  } finally {
    await s.close();
  }
});

test('a reset connection is retried', async () => {
  const s = await scripted([(req) => req.socket.destroy(), ok]);
  try {
    assert.equal((await client(s.url).send('GET', '/x')).status, 200);
    assert.equal(s.hits.length, 2);
  } finally {
    await s.close();
  }
});

test('a server that never answers times out with an error naming provider and path, after the retries', async () => {
  const s = await scripted([() => {}]);
  try {
    await assert.rejects(client(s.url, 150, 1).send('GET', '/slow'), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, 'unavailable');
      assert.ok(err.message.startsWith(`srv: GET ${s.url}/slow failed: timed out`), err.message);
      assert.ok(!err.message.includes('SECRET'));
      return true;
    });
    assert.equal(s.hits.length, 2);
  } finally {
    await s.close();
  }
});

test('401 is not retried and is reported as a refused token', async () => {
  const s = await scripted([(_q, res) => res.writeHead(401, { 'content-type': 'text/html' }).end('<html>401</html>')]);
  try {
    await assert.rejects(client(s.url).send('GET', '/library/sections'), {
      message: `srv: GET ${s.url}/library/sections answered 401: the token was refused (check the token for srv)`,
    });
    assert.equal(s.hits.length, 1);
  } finally {
    await s.close();
  }
});

test('a 5xx burst is retried with backoff; a persistent one fails naming the attempts', async () => {
  const s = await scripted([(_q, res) => res.writeHead(503).end(), (_q, res) => res.writeHead(503).end(), ok]);
  try {
    assert.equal((await client(s.url).send('GET', '/x')).status, 200);
    assert.equal(s.hits.length, 3);
  } finally {
    await s.close();
  }
  const down = await scripted([(_q, res) => res.writeHead(500).end()]);
  try {
    await assert.rejects(client(down.url, 1000, 2).send('GET', '/w'), { message: `srv: GET ${down.url}/w answered 500 after 3 attempts` });
    assert.equal(down.hits.length, 3);
  } finally {
    await down.close();
  }
});

// Writes: a failure after the request was sent is ambiguous (the server may have acted on it), so
// the client does not send it again; the applier re-reads the target instead.
const isAmbiguous = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ProviderError);
  assert.equal(err.ambiguous, true, `expected an ambiguous error, got ${String(err)}`);
  assert.match(err.message, pattern);
  assert.match(err.message, /may have applied it/);
  return true;
};

for (const [what, step, pattern] of [
  ['a reset connection', ((req) => req.socket.destroy()) as Step, /^srv: POST http:\/\/127\.0\.0\.1:\d+\/w failed: /],
  ['a reply that never comes', (() => {}) as Step, /^srv: POST http:\/\/127\.0\.0\.1:\d+\/w failed: timed out/],
  ['a 500', ((_q, res) => res.writeHead(500).end()) as Step, /^srv: POST http:\/\/127\.0\.0\.1:\d+\/w answered 500/],
  ['a 503 without Retry-After', ((_q, res) => res.writeHead(503).end()) as Step, /^srv: POST http:\/\/127\.0\.0\.1:\d+\/w answered 503/],
  [
    'a cut-off body',
    ((_q, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"half":', () => res.destroy());
    }) as Step,
    /^srv: POST http:\/\/127\.0\.0\.1:\d+\/w: the response body was cut off/,
  ],
] as const) {
  test(`a write is not re-sent after ${what}: the error says its outcome is unknown`, async () => {
    const s = await scripted([step, ok]);
    try {
      await assert.rejects(client(s.url, 300, 3).send('POST', '/w', undefined, {}, '{"x":1}'), isAmbiguous(pattern));
      assert.equal(s.hits.length, 1);
    } finally {
      await s.close();
    }
  });
}

test('a write whose TLS handshake failed was never sent: it is not ambiguous (an https url on an http server)', async () => {
  const s = await scripted([ok]);
  try {
    const err = await client(s.url.replace('http:', 'https:'), 1000, 0)
      .send('POST', '/w', undefined, {}, '{"x":1}')
      .then(
        () => assert.fail('expected the handshake to fail'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ProviderError);
    assert.notEqual(err.ambiguous, true, err.message);
    assert.match(err.message, /speaks http, not https/);
    assert.equal(s.hits.length, 0);
  } finally {
    await s.close();
  }
});

test('a write refused before processing (429, or 503 with Retry-After) is retried as a read is', async () => {
  const s = await scripted([(_q, res) => res.writeHead(429, { 'retry-after': '0' }).end(), (_q, res) => res.writeHead(503, { 'retry-after': '0' }).end(), ok]);
  try {
    assert.equal((await client(s.url).send('PUT', '/w')).status, 200);
    assert.equal(s.hits.length, 3);
  } finally {
    await s.close();
  }
});

test('a write that could not connect is retried and, in the end, is not ambiguous', async () => {
  const s = await scripted([ok]);
  const url = s.url;
  await s.close(); // nothing listens there now: connection refused, the request never left
  await assert.rejects(client(url, 300, 2).send('POST', '/w'), (err: unknown) => {
    assert.ok(err instanceof ProviderError);
    assert.equal(err.ambiguous, false);
    assert.match(err.message, /connection refused/);
    return true;
  });
});
