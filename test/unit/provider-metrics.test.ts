// Per-provider request metrics: HttpClient publishes every attempt on its diagnostics channel and
// serve's ServeMetrics turns them into playhead_provider_requests_total and a latency histogram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { HttpClient, REQUEST_CHANNEL, type RequestObservation } from '../../src/providers/http.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';

async function server(statuses: number[]): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const s = createServer((_req, res) => {
    res.statusCode = statuses[Math.min(n++, statuses.length - 1)]!;
    res.end('{}');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(() => r())) };
}

const client = (url: string) =>
  new HttpClient({ provider: 'home', baseUrl: url, headers: {}, timeoutMs: 2000, retries: 2, log: pino({ level: 'silent' }), minBackoffMs: 1 });

test('every attempt is published with provider, method, status and duration; a refused connection is `error`', async () => {
  const seen: RequestObservation[] = [];
  const listener = (m: unknown) => seen.push(m as RequestObservation);
  subscribe(REQUEST_CHANNEL, listener);
  const s = await server([503, 200]);
  try {
    const c = client(s.url);
    await c.send('GET', '/a');
    await c.close();
  } finally {
    await s.close();
  }
  const refused = client(s.url);
  await assert.rejects(refused.send('GET', '/b'));
  await refused.close();
  unsubscribe(REQUEST_CHANNEL, listener);
  assert.deepEqual(
    seen.map((o) => [o.provider, o.method, o.status]),
    [
      ['home', 'GET', 503],
      ['home', 'GET', 200],
      ['home', 'GET', 'error'],
      ['home', 'GET', 'error'],
      ['home', 'GET', 'error'],
    ],
  );
  assert.ok(seen.every((o) => o.durationMs >= 0 && o.durationMs < 2000));
});

test('/metrics counts provider requests by status and times them, until serve stops', async () => {
  const stop = new AbortController();
  const metrics = new ServeMetrics({ signal: stop.signal });
  const s = await server([200, 404]);
  try {
    const c = client(s.url);
    await c.send('GET', '/a');
    await assert.rejects(c.send('POST', '/b'));
    await assert.rejects(c.send('GET', '/c'));
    stop.abort();
    await c.send('GET', '/d').catch(() => undefined);
    await c.close();
  } finally {
    await s.close();
  }
  const text = await metrics.registry.metrics();
  assert.match(text, /playhead_provider_requests_total\{provider="home",method="GET",status="200"\} 1\n/);
  assert.match(text, /playhead_provider_requests_total\{provider="home",method="POST",status="404"\} 1\n/);
  assert.match(text, /playhead_provider_requests_total\{provider="home",method="GET",status="404"\} 1\n/);
  assert.match(text, /playhead_provider_request_duration_seconds_count\{provider="home",method="GET"\} 2\n/);
  assert.match(text, /playhead_provider_request_duration_seconds_bucket\{le="\+Inf",provider="home",method="POST"\} 1\n/);
});
