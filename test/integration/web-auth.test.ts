// The dashboard with a token (serve on a non-loopback bind): every page asks for a sign-in with
// the token, which sets an HttpOnly, SameSite=Strict cookie that is not the token; the API still
// wants its bearer token, the cookie opens only the dashboard; sign-out ends the session.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { api, startServeCli, subscribe, type RunningServeCli } from './serve-support.ts';
import { cookieOf, csrfOf, page, postForm } from './web-support.ts';

const TOKEN = 'web-test-token-0123456789abcdef';

describe('playhead serve: the dashboard behind a sign-in', () => {
  let p: PlexPair;
  let serve: RunningServeCli;
  before(async () => {
    p = await startPlexPair();
    serve = await startServeCli(p.configPath, { ...p.env, PLAYHEAD_API_TOKEN: TOKEN }, ['--host', '0.0.0.0']);
    serve.url = serve.url.replace('0.0.0.0', '127.0.0.1');
  });
  after(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await p.close();
  });

  test('without a session every page sends to the login form, the live stream and actions are refused; assets stay open', async () => {
    for (const path of ['/', '/runs/1', '/items/imdb%3Att0113277', '/continue']) {
      const r = await page(serve.url, path);
      assert.equal(r.status, 303, path);
      assert.equal(r.location, `/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal((await page(serve.url, '/live')).status, 401);
    const login = await page(serve.url, '/login');
    assert.equal(login.status, 200);
    assert.match(login.text, /<label for="token">API token<\/label><input id="token" name="token" type="password"/);
    // A form post without a session is refused before its CSRF token is even looked at.
    assert.equal((await postForm(serve.url, '/pairs/main/run', { csrf: csrfOf(login.text) })).status, 401);
    assert.equal((await page(serve.url, '/assets/style.css')).status, 200);
  });

  test('a wrong token is refused; the right one sets an HttpOnly SameSite=Strict cookie that does not carry the token', async () => {
    const login = await page(serve.url, '/login?next=%2Fruns%2F1');
    const csrf = csrfOf(login.text);
    assert.equal((await postForm(serve.url, '/login', { token: TOKEN })).status, 403, 'a login without its CSRF token');
    const wrong = await postForm(serve.url, '/login', { csrf, token: 'not-it', next: '/runs/1' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /not the token/);
    assert.equal(wrong.headers['set-cookie'], undefined);

    const ok = await postForm(serve.url, '/login', { csrf, token: TOKEN, next: '/runs/1' });
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/runs/1');
    const setCookie = String(ok.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(!setCookie.includes(TOKEN), 'the cookie carries the token');
    const cookie = cookieOf(ok);

    const home = await page(serve.url, '/', { cookie });
    assert.equal(home.status, 200);
    assert.match(home.text, /data-pair="main"/);
    assert.ok(!home.text.includes(TOKEN), 'the token is on the page');
    // The page's forms carry a token tied to this session: the one from before signing in no longer works.
    const sessionCsrf = csrfOf(home.text);
    assert.notEqual(sessionCsrf, csrf);
    assert.equal((await postForm(serve.url, '/pairs/main/run', { csrf, dryRun: '1' }, { cookie })).status, 403);
    const dry = await postForm(serve.url, '/pairs/main/run', { csrf: sessionCsrf, dryRun: '1' }, { cookie });
    assert.equal(dry.status, 303);
    assert.match(dry.location ?? '', /dry=1/);

    // The live stream works with the cookie alone (EventSource sends no Authorization header).
    const sse = await subscribe(serve.url, '/live', { cookie });
    sse.close();

    // The cookie opens the dashboard, not the API.
    assert.equal((await api(serve.url, '/api/pairs')).status, 401);
    assert.equal((await page(serve.url, '/api/pairs', { cookie })).status, 401);

    // A tampered cookie is no session; an open redirect is not followed.
    const [id, issued] = cookie.split('=')[1]!.split('.');
    assert.equal((await page(serve.url, '/', { cookie: `playhead_session=${id}.${issued}.forged` })).status, 303);
    const away = await postForm(serve.url, '/login', { csrf, token: TOKEN, next: '//evil.example/' });
    assert.equal(away.location, '/');

    const out = await postForm(serve.url, '/logout', { csrf: sessionCsrf }, { cookie });
    assert.equal(out.status, 303);
    assert.match(String(out.headers['set-cookie']), /playhead_session=;.*Max-Age=0/);
  });
});
