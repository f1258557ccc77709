// `playhead serve` on a non-local bind: refused at start without PLAYHEAD_API_TOKEN (exit 2), and
// with one, every API route but the health checks refuses a missing or wrong bearer token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { playhead } from '../support/cli.ts';
import { api, startServeCli, type RunningServeCli } from './serve-support.ts';

const TOKEN = 'serve-test-token-0123456789';

describe('playhead serve: security', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair();
  });
  after(async () => p.close());

  test('a non-local --host without PLAYHEAD_API_TOKEN is refused at start: exit 2, a clear message, no state touched', async () => {
    // Nothing may be created: close the suite's handle and remove the file first.
    p.store.close();
    rmSync(p.config.state.path, { force: true });
    const r = await playhead(['--config', p.configPath, 'serve', '--host', '0.0.0.0', '--port', '0'], { ...p.env, PLAYHEAD_API_TOKEN: '' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--host 0\.0\.0\.0 makes the API reachable from other machines: set PLAYHEAD_API_TOKEN/);
    assert.equal(existsSync(p.config.state.path), false);
  });

  test('a bad --port is a usage error (exit 2)', async () => {
    const r = await playhead(['--config', p.configPath, 'serve', '--port', '70000'], p.env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--port must be 0\.\.65535/);
  });

  describe('with a token, bound to 0.0.0.0', () => {
    let serve: RunningServeCli;
    before(async () => {
      serve = await startServeCli(p.configPath, { ...p.env, PLAYHEAD_API_TOKEN: TOKEN }, ['--host', '0.0.0.0']);
      // Reach it over loopback: 0.0.0.0 listens on every address.
      serve.url = serve.url.replace('0.0.0.0', '127.0.0.1');
    });
    after(async () => {
      serve.child.kill('SIGTERM');
      const done = await serve.done;
      assert.equal(done.code, 0, done.stderr);
      assert.ok(!done.stderr.includes(TOKEN), 'the API token appeared in the logs');
      for (const secret of [p.source.ownerToken, p.target.ownerToken]) assert.ok(!done.stderr.includes(secret), 'a server token appeared in the logs');
    });

    for (const path of ['/api/pairs', '/api/runs', '/api/pending', '/api/items?q=a', '/metrics', '/api/events']) {
      test(`${path}: 401 without a token and with a wrong one, 200 with the right one`, async () => {
        const none = await api<{ error: string }>(serve.url, path);
        assert.equal(none.status, 401);
        assert.match(none.body.error, /API token/);
        const wrong = await api(serve.url, path, { token: `${TOKEN}x` });
        assert.equal(wrong.status, 401);
        if (path === '/api/events') return; // a stream: the 401s are what matters here
        const right = await api(serve.url, path, { token: TOKEN });
        assert.equal(right.status, 200, right.text);
        assert.ok(!right.text.includes(TOKEN));
      });
    }

    test('POST run is refused without the token and runs with it', async () => {
      assert.equal((await api(serve.url, '/api/pairs/main/run', { method: 'POST' })).status, 401);
      // The start-up run may still be going: 409 (busy) is an accepted answer, 401 is not.
      const r = await api(serve.url, '/api/pairs/main/run', { method: 'POST', body: { dryRun: true }, token: TOKEN });
      assert.ok(r.status === 200 || r.status === 409, r.text);
    });

    test('/healthz stays open for health checks', async () => {
      assert.equal((await api(serve.url, '/healthz')).status, 200);
    });
  });
});
