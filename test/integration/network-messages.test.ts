// Network errors as a user reads them, over real HTTP against the emulators: each names the
// server and the URL (secret query values blanked), TLS mix-ups say which scheme to use instead of
// OpenSSL's text, and a refused Trakt sign-in says to run `playhead auth`. No token in any of them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { startTraktEmulator } from '../../emulators/trakt/server.ts';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { HttpClient, redactUrl } from '../../src/providers/http.ts';
import { ProviderError } from '../../src/providers/provider.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import { Store } from '../../src/store/store.ts';

const log = pino({ level: 'silent' });
const LIBRARY = 'movies=4,shows=1,seasons=1,episodes=2';

const plex = (url: string, token: string): ProviderConfig => ({ kind: 'plex', url, token, timeoutMs: 3000, retries: 1, maxConcurrentWrites: 1 });

function config(source: ProviderConfig, target: ProviderConfig): Config {
  return {
    providers: { src: source, dst: target },
    pairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
}

/** The one pair's failure message (the run must fail). */
async function failure(cfg: Config, store = Store.open(':memory:')): Promise<string> {
  try {
    const outcomes: PairOutcome[] = await runAll({ config: cfg, store, log, dryRun: true, providerOptions: { minBackoffMs: 1 } });
    const [outcome] = outcomes;
    assert.ok(outcome && !outcome.ok, 'the run failed');
    return outcome.error.message;
  } finally {
    store.close();
  }
}

describe('network error messages', () => {
  test('an https url pointed at a server that speaks http says so, naming the server and the url, without OpenSSL text', async () => {
    const src = await startPlexEmulator({ name: 'tls-src', synthetic: LIBRARY, seed: 'tls', quiet: true });
    const dst = await startPlexEmulator({ name: 'tls-dst', synthetic: LIBRARY, seed: 'tls', quiet: true });
    try {
      const httpsUrl = src.url.replace(/^http:/, 'https:');
      const message = await failure(config(plex(httpsUrl, src.ownerToken), plex(dst.url, dst.ownerToken)));
      assert.match(message, new RegExp(`^src: GET ${httpsUrl.replace(/[.]/g, '\\.')}/\\S* failed: the server speaks http, not https: use http:// in the url$`));
      assert.doesNotMatch(message, /ssl3|openssl|routines|wrong version/i);
      assert.ok(!message.includes(src.ownerToken));
    } finally {
      await Promise.all([src.close(), dst.close()]);
    }
  });

  test('an http url pointed at a TLS server says to try https', async () => {
    // A TLS server needs no certificate to refuse a plain-text request: it drops the connection.
    const tls = createTlsServer({}, (_req, res) => res.end());
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(tls.address() as AddressInfo).port}`;
      const client = new HttpClient({ provider: 'living-room', baseUrl: url, headers: { 'X-Plex-Token': 'SECRET-header' }, timeoutMs: 2000, retries: 0, log });
      await assert.rejects(client.send('GET', '/identity'), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(
          err.message,
          `living-room: GET ${url}/identity failed: the server closed the connection without answering (if it speaks https, use https:// in the url)`,
        );
        return true;
      });
      await client.close();
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  });

  test('a 404 names the server and the url, with secret query values blanked', async () => {
    const emu = await startPlexEmulator({ name: 'not-found', synthetic: LIBRARY, seed: 'nf', quiet: true });
    try {
      const client = new HttpClient({
        provider: 'living-room',
        baseUrl: emu.url,
        headers: { 'X-Plex-Token': emu.ownerToken },
        timeoutMs: 2000,
        retries: 0,
        log,
      });
      const query = { 'X-Plex-Token': emu.ownerToken, api_key: 'SECRET-key-1', ApiKey: 'SECRET-key-2', access_token: 'SECRET-3', ratingKey: 12 };
      await assert.rejects(client.send('GET', '/library/metadata/999999/nothing', query), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.kind, 'not_found');
        assert.equal(
          err.message,
          `living-room: GET ${emu.url}/library/metadata/999999/nothing?X-Plex-Token=***&api_key=***&ApiKey=***&access_token=***&ratingKey=12 answered 404: not found`,
        );
        for (const secret of [emu.ownerToken, 'SECRET']) assert.ok(!err.message.includes(secret));
        return true;
      });
      await client.close();
    } finally {
      await emu.close();
    }
  });

  test('a Trakt 401 says to run `playhead auth <name>`, without the token', async () => {
    const trakt = await startTraktEmulator({ name: 'trakt-401', synthetic: LIBRARY, seed: 'trakt-401', quiet: true });
    const src = await startPlexEmulator({ name: 'trakt-401-src', synthetic: LIBRARY, seed: 'trakt-401', quiet: true });
    const movie = src.state.items.find((i) => i.type === 'movie' && i.guids.length > 0);
    assert.ok(movie);
    src.state.userState['1'] = {
      [movie.ratingKey]: { viewOffset: Math.round((movie.durationMs ?? 0) * 0.35), lastViewedAt: Math.floor(Date.now() / 1000) - 600 },
    };
    const store = Store.open(':memory:');
    const revoked = 'revoked-access-SECRET-token';
    try {
      // Playhead still holds a sign-in it believes is good; Trakt no longer accepts it.
      saveTokens(store.providerState('dst'), { accessToken: revoked, refreshToken: 'refresh-SECRET', expiresAt: Date.now() + 7 * 86_400_000 });
      const target: ProviderConfig = {
        kind: 'trakt',
        clientId: trakt.clientId,
        clientSecret: trakt.clientSecret,
        url: trakt.url,
        authUrl: trakt.url,
        timeoutMs: 3000,
        retries: 1,
        writesPerSecond: 1,
      };
      const message = await failure(config(plex(src.url, src.ownerToken), target), store);
      assert.match(message, /^dst: GET http:\/\/\S+ answered 401: the token was refused \(the Trakt sign-in is no longer valid: run `playhead auth dst`\)$/);
      for (const secret of [revoked, 'refresh-SECRET', trakt.clientSecret, src.ownerToken]) assert.ok(!message.includes(secret));
    } finally {
      await Promise.all([trakt.close(), src.close()]);
    }
  });
});

describe('redactUrl', () => {
  test('blanks credential parameters and user info, and keeps everything else as sent', () => {
    assert.equal(
      redactUrl('https://me:pw@plex.example:32400/a/b?X-Plex-Token=abc&type=1&viewOffset%3E%3E=0&api_key=k&refresh_token=r&client_secret=s&key=%2Flibrary'),
      'https://***@plex.example:32400/a/b?X-Plex-Token=***&type=1&viewOffset%3E%3E=0&api_key=***&refresh_token=***&client_secret=***&key=%2Flibrary',
    );
    assert.equal(redactUrl('http://h/x'), 'http://h/x');
    assert.equal(redactUrl('http://h/x?flag&%E0%A4%A=1&Password=p'), 'http://h/x?flag&%E0%A4%A=1&Password=***');
  });
});
