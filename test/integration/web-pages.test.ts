// The dashboard's Continue Watching, Waiting and Settings pages over real HTTP, on a state made
// by a real sync between two Plex emulators: rows and columns, filters, sort and the table
// fragment; "Retry now" making a waiting item due and a run of its pair happening; no token or
// URL credential anywhere on Settings, `[redacted]` in their place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { request } from 'undici';
import { createLogger } from '../../src/cli/log.ts';
import type { Config } from '../../src/config/types.ts';
import { EventBus } from '../../src/serve/events.ts';
import { pairRunner, type RunOutcome } from '../../src/serve/runner.ts';
import { Scheduler } from '../../src/serve/scheduler.ts';
import { webhookSecret } from '../../src/serve/webhooks.ts';
import type { DashboardContext } from '../../src/web/context.ts';
import { registerContinue } from '../../src/web/pages/continue.tsx';
import { registerSettings } from '../../src/web/pages/settings.tsx';
import { registerWaiting } from '../../src/web/pages/waiting.tsx';
import { items, nowS, progressOn, startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { eventually } from './serve-support.ts';

const CSRF = 'csrf-for-tests';
const MIN = 60_000;

interface Dashboard {
  url: string;
  ctx: DashboardContext;
  close(): Promise<void>;
}

/** A hono app of the three pages on `config` and the pair's store, listening on port 0. */
async function dashboard(pair: PlexPair, config: Config = pair.config): Promise<Dashboard> {
  const log = createLogger({ level: 'silent' });
  const events = new EventBus();
  const abort = new AbortController();
  const execute = pairRunner({ config, store: pair.store, log, events, signal: abort.signal, onOutcome: () => {} });
  const scheduler = new Scheduler<RunOutcome>({ pairs: config.pairs, log, execute });
  const ctx: DashboardContext = {
    config,
    store: pair.store,
    log,
    scheduler,
    events,
    signal: abort.signal,
    triggerHealth: () => [],
    secret: 'test-secret',
    now: Date.now,
  };
  const app = new Hono();
  registerContinue(app, ctx, () => CSRF);
  registerWaiting(app, ctx, () => CSRF);
  registerSettings(app, ctx, () => CSRF, { waitMs: 3_000, probeTimeoutMs: 2_000 });
  const server: Server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ctx,
    async close() {
      abort.abort();
      await scheduler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

/** The `data-key`s of the rows of a table, in order. */
const rowKeys = (html: string, table: string): string[] => {
  const body = html.slice(html.indexOf(`<table id="${table}"`));
  return [...body.slice(0, body.indexOf('</table>')).matchAll(/<tr data-key="([^"]+)"/g)].map((m) => m[1] ?? '');
};

/** The row of `key` in the page (its <tr> … </tr>). */
const rowOf = (html: string, key: string): string => {
  const start = html.indexOf(`<tr data-key="${key}"`);
  assert.ok(start >= 0, `no row for ${key}`);
  return html.slice(start, html.indexOf('</tr>', start));
};

test('Continue Watching, Waiting and Settings on a real sync', async (t) => {
  const pair = await startPlexPair();
  const web = await dashboard(pair);
  t.after(async () => {
    await web.close();
    await pair.close();
  });
  const movies = items(pair.source, 'movie');
  // Played 30, 20 and 10 minutes ago: the newest first by default.
  const played = [
    progressOn(pair.source, movies[0]!, 0.3, nowS() - 1800),
    progressOn(pair.source, movies[1]!, 0.5, nowS() - 1200),
    progressOn(pair.source, movies[2]!, 0.2, nowS() - 600),
  ];
  await pair.sync();
  const synced = pair.store.positions({ providers: ['src'], pairs: [], outOfStepOnly: false, limit: 10, offset: 0 }).items;
  assert.equal(synced.length, 3);
  const keyOf = (ratingKey: string): string => {
    const found = synced.find((i) => i.positions.some((p) => p.ref === ratingKey));
    assert.ok(found, `no key for ${ratingKey}`);
    return found.key;
  };
  const [oldest, middle, newest] = played.map((m) => keyOf(m.ratingKey)) as [string, string, string];

  // The run read (and wrote) each film on the target. A listing of the target in the same run, as
  // another pair (or a two-way run) would make, wins over that read: one film in step, one 20
  // minutes apart; the third keeps what the run read there.
  const runId = pair.store.runs({ limit: 1 })[0]?.id ?? 0;
  const readOnTarget = (key: string, shiftMs: number): void => {
    const source = pair.store.observation('src', key);
    const item = pair.store.item(key);
    assert.ok(source && item);
    const ref = { provider: 'dst', server: 's', id: `dst-${source.ref}` };
    const record = {
      ...item,
      ref,
      watched: false,
      progressMs: (source.progressMs ?? 0) + shiftMs,
      durationMs: source.durationMs,
      progressAt: source.progressAt,
    };
    pair.store.recordObservations(runId, 'dst', [{ key, record }]);
  };
  readOnTarget(newest, 0);
  readOnTarget(middle, 20 * MIN);

  await t.test('one row per item, newest first; a column per provider with time, bar and the last decision', async () => {
    const page = await get(`${web.url}/continue`);
    assert.equal(page.status, 200);
    assert.match(page.text, /^<!doctype html>/);
    assert.deepEqual(rowKeys(page.text, 'positions'), [newest, middle, oldest]);
    const row = rowOf(page.text, newest);
    const fifth = Math.round((movies[2]!.durationMs ?? 0) * 0.2);
    const time = `${Math.floor(fifth / MIN)}:${String(Math.floor((fifth % MIN) / 1000)).padStart(2, '0')}`;
    assert.ok(fifth < 3_600_000, 'a fifth of a film is under an hour');
    assert.match(row, new RegExp(`<td data-provider="src"><span class="time">${time}</span><progress max="1000" value="200"`));
    assert.match(row, new RegExp(`<td data-provider="dst"><span class="time">${time}</span>`));
    const timeOn = (row: string, provider: string) => new RegExp(`<td data-provider="${provider}"><span class="time">([^<]+)</span>`).exec(row)?.[1];
    const oldestRow = rowOf(page.text, oldest);
    assert.ok(timeOn(oldestRow, 'src'));
    assert.equal(timeOn(oldestRow, 'dst'), timeOn(oldestRow, 'src'), 'the target shows what the run read there after writing it');
    assert.match(row, /class="chip reason-write">written<\/span> <span class="pair">main<\/span>/);
    assert.match(row, new RegExp(`href="/items/${encodeURIComponent(newest)}"`));
    // Every control of the filter form has its label.
    for (const id of ['filter-user', 'filter-provider', 'filter-out-of-step', 'filter-sort']) assert.match(page.text, new RegExp(`<label for="${id}"`));
  });

  await t.test('sort, provider filter, out of step only, paging and the table fragment', async () => {
    const oldestFirst = await get(`${web.url}/continue?sort=oldest`);
    assert.deepEqual(rowKeys(oldestFirst.text, 'positions'), [oldest, middle, newest]);

    const onlyDst = await get(`${web.url}/continue?provider=dst&user=&sort=newest`);
    assert.equal(onlyDst.status, 200);
    assert.doesNotMatch(onlyDst.text, /data-provider="src"/);
    assert.deepEqual(rowKeys(onlyDst.text, 'positions'), [newest, middle, oldest]);

    const apart = await get(`${web.url}/continue?outOfStep=1`);
    assert.deepEqual(rowKeys(apart.text, 'positions'), [middle]);
    assert.match(rowOf(apart.text, middle), /out of step on main/);
    assert.match(apart.text, /name="outOfStep" value="1" checked/);

    const fragment = await get(`${web.url}/continue?fragment=table&sort=oldest`);
    assert.match(fragment.text, /^<table id="positions">/);
    assert.doesNotMatch(fragment.text, /<html|<nav/);
    assert.deepEqual(rowKeys(fragment.text, 'positions'), [oldest, middle, newest]);

    const second = await get(`${web.url}/continue?page=2`);
    assert.deepEqual(rowKeys(second.text, 'positions'), []);
    assert.match(second.text, /href="\/continue\?sort=newest&amp;page=1">Previous page/);

    const bad = await get(`${web.url}/continue?provider=nowhere`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /no provider “nowhere”|no provider &quot;nowhere&quot;/);
  });

  await t.test('Waiting lists parked items; Retry now makes one due and runs its pair', async () => {
    const now = Date.now();
    pair.store.savePending({
      pair: 'main',
      key: oldest,
      title: movies[0]!.title,
      kind: 'failed',
      attempts: 6,
      firstAt: now - 3_600_000,
      lastAt: now - 60_000,
      nextAt: now + 6 * 3_600_000,
      parked: true,
      lastError: 'target answered 503',
      sourcePos: 'x',
    });
    const page = await get(`${web.url}/waiting`);
    assert.equal(page.status, 200);
    const row = rowOf(page.text, oldest);
    assert.match(row, /parked/);
    assert.match(row, /target answered 503/);
    assert.match(row, /<time datetime=/);
    const action = /<form method="post" action="([^"]+)">/.exec(row)?.[1];
    assert.equal(action, `/waiting/main/${encodeURIComponent(oldest)}/retry`);
    assert.match(row, new RegExp(`<input type="hidden" name="csrf" value="${CSRF}"/>`));
    assert.match(row, /<button type="submit">Retry now<\/button>/);

    const runsBefore = pair.store.runs({ limit: 1 })[0]?.id ?? 0;
    const posted = await request(`${web.url}${action}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: CSRF }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await posted.body.dump();
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, `/waiting?retried=main&item=${encodeURIComponent(oldest)}`);
    // Due now (or already retried and gone, if the run was quicker than this read).
    const after = pair.store.pendingFor('main').get(oldest);
    assert.ok(after === undefined || after.nextAt <= Date.now());
    const run = await eventually(() => pair.store.runs({ limit: 1 }).find((r) => r.id > runsBefore && r.status !== 'running'));
    assert.equal(run.trigger, 'dashboard');
    assert.equal(run.pair, 'main');
    const back = await get(`${web.url}${posted.headers.location}`);
    assert.match(back.text, /role="status"[^>]*>“[^”]+” is due now; a run of main has been asked for\./);

    const missing = await request(`${web.url}/waiting/main/nothing%3Ahere/retry`, { method: 'POST' });
    assert.equal(missing.statusCode, 404);
    await missing.body.dump();
  });

  await t.test('Settings: servers and capabilities, the database, and no secret anywhere', async () => {
    const leaky = 'hunter2-password';
    const config: Config = {
      ...pair.config,
      providers: {
        ...pair.config.providers,
        // A server that is not there, its URL carrying credentials.
        gone: { ...pair.config.providers.src, kind: 'plex', url: `http://admin:${leaky}@127.0.0.1:9`, token: 'gone-token-0123456789' },
      },
    };
    const hookSecret = webhookSecret(pair.store);
    const settingsWeb = await dashboard(pair, config);
    t.after(() => settingsWeb.close());
    const page = await get(`${settingsWeb.url}/settings`);
    assert.equal(page.status, 200);
    for (const secret of [pair.env.SRC_TOKEN, pair.env.DST_TOKEN, 'gone-token-0123456789', leaky, hookSecret]) {
      assert.ok(secret && !page.text.includes(secret), 'a secret is on the page');
    }
    assert.match(page.text, /token: &quot;\[redacted\]&quot;/);
    assert.match(page.text, /url: http:\/\/\[redacted\]@127\.0\.0\.1:9\//);
    const src = rowOf(page.text.replaceAll('data-provider', 'data-key'), 'src');
    assert.match(src, /class="reachable"><span>source-server 1\.43\.0/);
    assert.match(src, /<td>milliseconds<\/td>/);
    assert.match(rowOf(page.text.replaceAll('data-provider', 'data-key'), 'gone'), /class="unreachable">.*unreachable: /s);
    assert.match(page.text, new RegExp(`<code>${pair.config.state.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</code>`));
    assert.match(page.text, /<code>POST \/webhooks\/\[redacted\]\/src<\/code>/);
    assert.match(page.text, /<dt>Size<\/dt><dd>\d+\.\d (KiB|MiB)<\/dd>/);
  });
});
