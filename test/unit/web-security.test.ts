// The dashboard's session and CSRF guards (src/web/security.ts) on a tiny hono app: what the
// cookie holds, how long it lasts, that it cannot be forged, and where a sign-in may send back to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import type { DashboardContext } from '../../src/web/context.ts';
import { checkCsrf, csrfToken, requireSession, safeNext, signIn } from '../../src/web/security.ts';

const TOKEN = 'unit-token-abcdef';
const DAY = 24 * 3600 * 1000;

function guarded(now: { t: number }, token: string | null = TOKEN) {
  // Only what the guards read; the rest of the context belongs to the pages.
  const ctx = { secret: 'installation-secret', now: () => now.t, ...(token !== null ? { token } : {}) } as unknown as DashboardContext;
  const app = new Hono();
  app.use('*', requireSession(ctx));
  app.use('*', checkCsrf(ctx));
  app.get('/page', (c) => c.text(csrfToken(c, ctx)));
  app.get('/login', (c) => c.text(csrfToken(c, ctx)));
  app.post('/login', async (c) => c.text(signIn(c, ctx, String((await c.req.parseBody()).token)) ? 'in' : 'refused'));
  app.post('/act', (c) => c.text('done'));
  return app;
}

const form = (fields: Record<string, string>, cookie?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
  body: new URLSearchParams(fields).toString(),
});

async function signedIn(app: Hono): Promise<string> {
  const csrf = await (await app.request('/login')).text();
  const res = await app.request('/login', form({ csrf, token: TOKEN }));
  assert.equal(await res.text(), 'in');
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

test('a session lasts 30 days, then the pages ask for a sign-in again', async () => {
  const now = { t: Date.UTC(2026, 0, 1) };
  const app = guarded(now);
  const cookie = await signedIn(app);
  assert.ok(!cookie.includes(TOKEN));
  assert.equal((await app.request('/page', { headers: { cookie } })).status, 200);
  now.t += 29 * DAY;
  assert.equal((await app.request('/page', { headers: { cookie } })).status, 200);
  now.t += 2 * DAY;
  const expired = await app.request('/page', { headers: { cookie } });
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.get('location'), '/login?next=%2Fpage');
});

test('a cookie signed with another secret, or with its time changed, is no session', async () => {
  const now = { t: Date.UTC(2026, 0, 1) };
  const cookie = await signedIn(guarded(now));
  const [name, value] = cookie.split('=');
  const [id, issued, signature] = (value ?? '').split('.');
  const app = guarded(now);
  assert.equal((await app.request('/page', { headers: { cookie: `${name}=${id}.${Number(issued) + DAY}.${signature}` } })).status, 303);
  assert.equal((await app.request('/page', { headers: { cookie: `${name}=${id}x.${issued}.${signature}` } })).status, 303);
  // The same secret (another process of this installation) accepts it.
  assert.equal((await app.request('/page', { headers: { cookie } })).status, 200);
});

test('each session has its own CSRF token; a POST needs the one of its own session', async () => {
  const now = { t: Date.UTC(2026, 0, 1) };
  const app = guarded(now);
  const [a, b] = [await signedIn(app), await signedIn(app)];
  const [csrfA, csrfB] = [
    await (await app.request('/page', { headers: { cookie: a } })).text(),
    await (await app.request('/page', { headers: { cookie: b } })).text(),
  ];
  assert.notEqual(csrfA, csrfB);
  assert.equal((await app.request('/act', form({ csrf: csrfB }, a))).status, 403);
  assert.equal((await app.request('/act', form({ csrf: csrfA.slice(1) }, a))).status, 403);
  assert.equal((await app.request('/act', form({}, a))).status, 403);
  assert.equal((await app.request('/act', { method: 'POST', headers: { cookie: a, 'x-csrf-token': csrfA } })).status, 200);
  assert.equal(await (await app.request('/act', form({ csrf: csrfA }, a))).text(), 'done');
});

test('without a token (a loopback bind) there is no sign-in, and POSTs still need the CSRF token', async () => {
  const app = guarded({ t: 0 }, null);
  const page = await app.request('/page');
  assert.equal(page.status, 200);
  const csrf = await page.text();
  assert.equal((await app.request('/act', form({}))).status, 403);
  assert.equal((await app.request('/act', form({ csrf }))).status, 200);
  assert.equal(await (await app.request('/login', form({ csrf, token: TOKEN }))).text(), 'refused');
});

test('a sign-in only sends back to a path of this site', () => {
  assert.equal(safeNext('/runs/3?reason=write'), '/runs/3?reason=write');
  for (const away of [undefined, '', 'https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) assert.equal(safeNext(away), '/');
});
