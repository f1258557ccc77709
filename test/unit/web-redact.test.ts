// The Settings page's redaction: every secret of a loaded configuration becomes `[redacted]`
// (by key, in the loaded camelCase spelling too), URLs lose their credentials and secret query
// parameters, a secret's value inside any other string is blanked, and nothing else changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.ts';
import { isSecretKey, REDACTED, redactConfig, redactText, secretValues } from '../../src/web/redact.ts';

const PLEX_TOKEN = 'plex-token-abcdef123456';
const JELLYFIN_KEY = 'jf-api-key-0987654321';
const TRAKT_ID = 'trakt-client-id-5555';
const TRAKT_SECRET = 'trakt-client-secret-7777';
const PASSWORD = 's3cret-pass';

const yaml = `
providers:
  home: { kind: plex, url: "https://plex.example:32400", token: \${PLEX_TOKEN} }
  jelly: { kind: jellyfin, url: "http://jelly.example:8096/${JELLYFIN_KEY}", token: \${JF_KEY}, user: alice }
  trakt: { kind: trakt, client_id: \${TRAKT_ID}, client_secret: \${TRAKT_SECRET} }
pairs:
  - { name: home-to-jelly, source: home, target: jelly }
  - { name: home-to-trakt, source: home, target: trakt }
state: { path: /var/lib/playhead/state.db }
`;
const env = { PLEX_TOKEN, JF_KEY: JELLYFIN_KEY, TRAKT_ID, TRAKT_SECRET };

test('every secret of a loaded config is [redacted]; the rest is kept', () => {
  const config = parseConfig(yaml, 'playhead.yaml', env);
  // The loader refuses credentials in a URL; a Config made another way must not show them either.
  const home = config.providers.home;
  assert.ok(home);
  config.providers.home = { ...home, url: `https://me:${PASSWORD}@plex.example:32400/?X-Plex-Token=${PLEX_TOKEN}&x=1` };
  const shown = redactConfig(config);
  const text = JSON.stringify(shown);
  for (const secret of [PLEX_TOKEN, JELLYFIN_KEY, TRAKT_ID, TRAKT_SECRET, PASSWORD]) assert.ok(!text.includes(secret), `${secret} is shown`);
  assert.equal(shown.providers.home?.token, REDACTED);
  assert.equal(shown.providers.jelly?.token, REDACTED);
  assert.equal(shown.providers.trakt?.clientId, REDACTED);
  assert.equal(shown.providers.trakt?.clientSecret, REDACTED);
  // The URL keeps its host, path and harmless parameters.
  assert.equal(shown.providers.home?.url, `https://${REDACTED}@plex.example:32400/?X-Plex-Token=${REDACTED}&x=1`);
  // A token pasted into a URL's path is blanked as a value.
  assert.equal(shown.providers.jelly?.url, `http://jelly.example:8096/${REDACTED}`);
  assert.equal(shown.providers.jelly?.user, 'alice');
  assert.deepEqual(
    shown.pairs.map((p) => [p.name, p.source, p.target]),
    config.pairs.map((p) => [p.name, p.source, p.target]),
  );
  assert.equal(shown.state.path, '/var/lib/playhead/state.db');
  // The config itself is untouched.
  assert.equal(config.providers.home?.token, PLEX_TOKEN);
});

test('secret keys: the loader’s own in either spelling, and names of tokens, secrets, passwords and API keys', () => {
  for (const key of [
    'token',
    'api_key',
    'apiKey',
    'password',
    'client_secret',
    'clientSecret',
    'client_id',
    'clientId',
    'X-Plex-Token',
    'accessToken',
    'webhookSecret',
    'api-key',
  ])
    assert.ok(isSecretKey(key), key);
  for (const key of ['url', 'user', 'kind', 'libraries', 'tokens', 'name', 'path']) assert.ok(!isSecretKey(key), key);
});

test('any text: URL credentials and known secret values are blanked, short values are not', () => {
  const secrets = secretValues({ a: { token: 'abcd1234' }, list: [{ password: 'pw' }], plain: 'abcd1234-not-a-key' });
  assert.deepEqual([...secrets], ['abcd1234']);
  assert.equal(redactText('GET http://u:p@host:1/x failed, token abcd1234', secrets), 'GET http://u:p@host:1/x failed, token [redacted]');
  assert.equal(redactText('http://u:p@host:1/x', secrets), `http://${REDACTED}@host:1/x`);
  assert.equal(redactText('http://host:1/x?a=1', secrets), 'http://host:1/x?a=1');
});
