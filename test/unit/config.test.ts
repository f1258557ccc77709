import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { expectConfigError, only, edit } from '../support/config.ts';

const ENV = { PLEX_TOKEN: 'tok-home-SECRET-1', PLEX_CABIN_TOKEN: 'tok-cabin-SECRET-2' };

// The example from design.md, flow style, `${VAR}` unquoted inside `{ }`.
const FLOW = `providers:
  plex-home:  { kind: plex, url: http://127.0.0.1:32400, token: \${PLEX_TOKEN}, libraries: [1, 2] }
  plex-cabin: { kind: plex, url: http://10.0.0.5:32400, token: \${PLEX_CABIN_TOKEN} }
pairs:
  - name: home-to-cabin
    source: plex-home
    target: plex-cabin
    mode: one-way
    features:
      progress: { enable: true, add: true, remove: false, min_seconds: 60, delta_seconds: 30, max_percent: 95, timestamp_tolerance_seconds: 30, replay: false }
state: { path: ./playhead.db }
`;

// Block style; line numbers are referred to in the tests below.
const BLOCK = [
  'providers:', // 1
  '  plex-home:', // 2
  '    kind: plex', // 3
  '    url: http://127.0.0.1:32400/', // 4
  '    token: ${PLEX_TOKEN}', // 5
  '  plex-cabin:', // 6
  '    kind: plex', // 7
  '    url: https://cabin.example:32400', // 8
  '    token: ${PLEX_CABIN_TOKEN}', // 9
  'pairs:', // 10
  '  - source: plex-home', // 11
  '    target: plex-cabin', // 12
  '    features:', // 13
  '      progress:', // 14
  '        max_percent: 90', // 15
  '', // 16
].join('\n');

const fail = (text: string, env: Record<string, string | undefined> = ENV, file = 'playhead.yaml'): ConfigError =>
  expectConfigError(text, env, Object.values(ENV), file);

describe('parseConfig: valid files', () => {
  it('parses the design.md example (flow style, ${VAR} unquoted)', () => {
    const expected: Config = {
      providers: {
        'plex-home': {
          kind: 'plex',
          url: 'http://127.0.0.1:32400',
          token: ENV.PLEX_TOKEN,
          libraries: ['1', '2'],
          timeoutMs: 15_000,
          retries: 3,
          maxConcurrentWrites: 4,
        },
        'plex-cabin': { kind: 'plex', url: 'http://10.0.0.5:32400', token: ENV.PLEX_CABIN_TOKEN, timeoutMs: 15_000, retries: 3, maxConcurrentWrites: 4 },
      },
      pairs: [
        {
          name: 'home-to-cabin',
          source: 'plex-home',
          target: 'plex-cabin',
          mode: 'one-way',
          features: {
            progress: {
              enable: true,
              add: true,
              remove: false,
              minSeconds: 60,
              deltaSeconds: 30,
              maxPercent: 95,
              toleranceSeconds: 30,
              replay: false,
              finish: 'mark_watched',
              finishLookbackDays: 14,
            },
          },
        },
      ],
      state: { path: './playhead.db' },
      logLevel: 'warn',
    };
    assert.deepEqual(parseConfig(FLOW, 'playhead.yaml', ENV), expected);
  });

  it('fills defaults, strips the trailing slash and names the pair source-to-target', () => {
    const c = parseConfig(BLOCK, 'playhead.yaml', ENV);
    const home = c.providers['plex-home'];
    assert.ok(home?.kind === 'plex');
    assert.equal(home.url, 'http://127.0.0.1:32400');
    assert.equal(home.libraries, undefined);
    assert.deepEqual(c.pairs, [
      {
        name: 'plex-home-to-plex-cabin',
        source: 'plex-home',
        target: 'plex-cabin',
        mode: 'one-way',
        features: {
          progress: {
            enable: true,
            add: true,
            remove: false,
            minSeconds: 60,
            deltaSeconds: 30,
            maxPercent: 90,
            toleranceSeconds: 30,
            replay: false,
            finish: 'mark_watched',
            finishLookbackDays: 14,
          },
        },
      },
    ]);
    assert.deepEqual(c.state, { path: './playhead.db' });
    assert.equal(c.logLevel, 'warn');
  });

  it('honours explicit 0', () => {
    const text = edit(BLOCK, 15, '        { min_seconds: 0, delta_seconds: 0, timestamp_tolerance_seconds: 0 }').replace(
      '      progress:\n        {',
      '      progress: {',
    );
    const p = parseConfig(text, 'playhead.yaml', ENV).pairs[0]?.features.progress;
    assert.deepEqual([p?.minSeconds, p?.deltaSeconds, p?.toleranceSeconds, p?.maxPercent], [0, 0, 0, 95]);
  });

  it('reads provider options: libraries as strings, timeout, retries, client id', () => {
    const text = BLOCK.replace(
      '    token: ${PLEX_TOKEN}\n',
      '    token: ${PLEX_TOKEN}\n    libraries: [1, "2", " 3 "]\n    timeout_seconds: 2.5\n    retries: 0\n    client_id: playhead-test\n    max_concurrent_writes: 8\n',
    );
    assert.deepEqual(parseConfig(text, 'playhead.yaml', ENV).providers['plex-home'], {
      kind: 'plex',
      url: 'http://127.0.0.1:32400',
      token: ENV.PLEX_TOKEN,
      libraries: ['1', '2', '3'],
      timeoutMs: 2_500,
      retries: 0,
      clientId: 'playhead-test',
      maxConcurrentWrites: 8,
    });
  });

  it('interpolates inside longer strings and keeps $${X} literal', () => {
    const text = `${BLOCK}state:\n  path: \${DATA}/playhead-$\${NOT_A_VAR}.db\n`;
    assert.equal(parseConfig(text, 'playhead.yaml', { ...ENV, DATA: '/var/lib' }).state.path, '/var/lib/playhead-${NOT_A_VAR}.db');
  });

  it('ignores ${VAR} in comments', () => {
    const text = `# token: \${UNSET_IN_COMMENT}\n${BLOCK}`;
    assert.equal(parseConfig(text, 'playhead.yaml', ENV).pairs.length, 1);
  });

  it('applies PLAYHEAD_STATE_PATH and PLAYHEAD_LOG_LEVEL over the file', () => {
    const text = `${BLOCK}state: { path: ./file.db }\nlog_level: error\n`;
    assert.deepEqual([parseConfig(text, 'f.yaml', ENV).state.path, parseConfig(text, 'f.yaml', ENV).logLevel], ['./file.db', 'error']);
    const c = parseConfig(text, 'f.yaml', { ...ENV, PLAYHEAD_STATE_PATH: '/data/ph.db', PLAYHEAD_LOG_LEVEL: 'DEBUG' });
    assert.deepEqual([c.state.path, c.logLevel], ['/data/ph.db', 'debug']);
    const blank = parseConfig(text, 'f.yaml', { ...ENV, PLAYHEAD_STATE_PATH: '', PLAYHEAD_LOG_LEVEL: '' });
    assert.deepEqual([blank.state.path, blank.logLevel], ['./file.db', 'error']);
  });
});

describe('parseConfig: errors name file, line, path and what is allowed', () => {
  it('max_percent out of range (the design.md example message)', () => {
    const err = fail(edit(BLOCK, 15, '        max_percent: 120'));
    assert.equal(err.message, 'playhead.yaml:15: pairs[0].features.progress.max_percent: must be 1..100 (got 120)');
    assert.deepEqual(only(err), { path: 'pairs[0].features.progress.max_percent', line: 15, message: 'must be 1..100 (got 120)' });
    assert.equal(err.file, 'playhead.yaml');
  });

  it('max_percent 0 is out of range, not a default', () => {
    assert.equal(only(fail(edit(BLOCK, 15, '        max_percent: 0'))).message, 'must be 1..100 (got 0)');
  });

  it('negative or fractional seconds', () => {
    assert.equal(
      fail(edit(BLOCK, 15, '        min_seconds: -1')).message,
      'playhead.yaml:15: pairs[0].features.progress.min_seconds: must be a whole number ≥ 0 (got -1)',
    );
    assert.equal(only(fail(edit(BLOCK, 15, '        delta_seconds: 1.5'))).message, 'must be a whole number ≥ 0 (got 1.5)');
    assert.equal(only(fail(edit(BLOCK, 15, '        timestamp_tolerance_seconds: 301'))).message, 'must be a whole number 0..300 (got 301)');
  });

  it('wrong types say what they got', () => {
    assert.equal(fail(edit(BLOCK, 15, '        replay: yes')).message, 'playhead.yaml:15: pairs[0].features.progress.replay: must be true or false (got text)');
    assert.equal(only(fail(edit(BLOCK, 15, '        max_percent: "90"'))).message, 'must be 1..100 (got text)');
  });

  it('unknown key, with a guess', () => {
    assert.equal(
      fail(edit(BLOCK, 15, '        max_percnt: 90')).message,
      'playhead.yaml:15: pairs[0].features.progress.max_percnt: unknown key (allowed: enable, add, remove, min_seconds, ' +
        'delta_seconds, max_percent, timestamp_tolerance_seconds, replay, finish, finish_lookback_days); did you mean "max_percent"?',
    );
  });

  it('finish and finish_lookback_days: read, and errors name the field', () => {
    const p = parseConfig(
      edit(BLOCK, 15, '        { finish: clear, finish_lookback_days: 3 }').replace('      progress:\n        {', '      progress: {'),
      'playhead.yaml',
      ENV,
    ).pairs[0]?.features.progress;
    assert.deepEqual([p?.finish, p?.finishLookbackDays], ['clear', 3]);
    assert.equal(
      fail(edit(BLOCK, 15, '        finish: watched')).message,
      'playhead.yaml:15: pairs[0].features.progress.finish: must be one of: mark_watched, clear, off',
    );
    assert.equal(only(fail(edit(BLOCK, 15, '        finish_lookback_days: 0'))).message, 'must be a whole number ≥ 1 (got 0)');
    assert.equal(only(fail(edit(BLOCK, 15, '        finish_lookback_days: 1.5'))).message, 'must be a whole number ≥ 1 (got 1.5)');
    assert.equal(only(fail(edit(BLOCK, 15, '        finish_lookback_days: 1.5'))).path, 'pairs[0].features.progress.finish_lookback_days');
  });

  it('unknown key at the top and in a provider', () => {
    const top = only(fail(`${BLOCK}stat:\n  path: x\n`));
    assert.deepEqual(top, {
      path: 'stat',
      line: 16,
      message: 'unknown key (allowed: providers, pairs, servers, users, sync, state, settle_seconds, log_level); did you mean "state"?',
    });
    const prov = only(fail(edit(BLOCK, 3, '    kind: plex\n    tokn: x')));
    assert.equal(prov.path, 'providers.plex-home.tokn');
    assert.equal(prov.line, 4);
    assert.match(
      prov.message,
      /^unknown key \(allowed: kind, url, token, libraries, account_id, timeout_seconds, retries, client_id, max_concurrent_writes, completion_percent\); did you mean "token"\?$/,
    );
  });

  it('a Plex account_id: a whole number kept as text, else an error naming the field', () => {
    assert.equal(parseConfig(edit(BLOCK, 3, '    kind: plex\n    account_id: 1'), 'p.yaml', ENV).providers['plex-home']?.accountId, '1');
    const bad = only(fail(edit(BLOCK, 3, '    kind: plex\n    account_id: owner')));
    assert.equal(bad.path, 'providers.plex-home.account_id');
    assert.match(bad.message, /Plex account id, a whole number/);
  });

  it('bad URLs, without echoing the value', () => {
    assert.equal(fail(edit(BLOCK, 8, '    url: ftp://cabin:21')).message, 'playhead.yaml:8: providers.plex-cabin.url: must start with http:// or https://');
    assert.equal(only(fail(edit(BLOCK, 8, '    url: http://'))).message, 'is not a valid URL (expected e.g. http://127.0.0.1:32400)');
    const q = fail(edit(BLOCK, 8, '    url: http://cabin:32400/?X-Plex-Token=abcdefgh123'));
    assert.equal(only(q).message, 'must not contain a user name, password, query or fragment (the token goes in `token`)');
    assert.ok(!q.message.includes('abcdefgh123'));
  });

  it('missing required fields', () => {
    const err = fail(edit(BLOCK, 9, ''));
    assert.deepEqual(only(err), {
      path: 'providers.plex-cabin.token',
      line: 6,
      message: 'is required (must be text (quote it if it is all digits))',
    });
    const kind = only(fail(edit(BLOCK, 7, '')));
    assert.deepEqual(kind, { path: 'providers.plex-cabin.kind', line: 6, message: 'is required (supported: plex, jellyfin, emby, trakt)' });
  });

  it('unknown provider kinds list the supported ones', () => {
    assert.equal(
      fail(edit(BLOCK, 7, '    kind: kodi')).message,
      'playhead.yaml:7: providers.plex-cabin.kind: unknown provider kind "kodi" (supported: plex, jellyfin, emby, trakt)',
    );
  });

  it('Jellyfin, Emby and Trakt providers parse with their defaults', () => {
    const text = [
      'providers:',
      '  jelly: { kind: jellyfin, url: http://127.0.0.1:8096/, token: ${JF}, user: alice, libraries: [abc] }',
      '  emby: { kind: emby, url: http://127.0.0.1:8920/emby, token: ${JF} }',
      '  trakt: { kind: trakt, client_id: ${TID}, client_secret: ${TSECRET} }',
      'pairs:',
      '  - { source: jelly, target: trakt }',
      '',
    ].join('\n');
    const c = parseConfig(text, 'p.yaml', { JF: 'jf-token', TID: 'app-id', TSECRET: 'app-secret' });
    assert.deepEqual(c.providers.jelly, {
      kind: 'jellyfin',
      url: 'http://127.0.0.1:8096',
      token: 'jf-token',
      user: 'alice',
      libraries: ['abc'],
      timeoutMs: 15_000,
      retries: 3,
      maxConcurrentWrites: 4,
    });
    assert.deepEqual(c.providers.emby, {
      kind: 'emby',
      url: 'http://127.0.0.1:8920/emby',
      token: 'jf-token',
      timeoutMs: 15_000,
      retries: 3,
      maxConcurrentWrites: 4,
    });
    assert.deepEqual(c.providers.trakt, {
      kind: 'trakt',
      clientId: 'app-id',
      clientSecret: 'app-secret',
      url: 'https://api.trakt.tv',
      authUrl: 'https://api.trakt.tv',
      timeoutMs: 15_000,
      retries: 3,
      writesPerSecond: 1,
    });
    assert.equal(c.pairs[0]?.name, 'jelly-to-trakt');
  });

  it('a Trakt provider needs its client secret, and never echoes it', () => {
    const text = 'providers:\n  trakt: { kind: trakt, client_id: abc, token: s3cret-value }\npairs: []\n';
    const err = fail(text);
    assert.match(err.message, /providers\.trakt\.client_secret: is required/);
    assert.match(err.message, /providers\.trakt\.token: unknown key/);
    assert.ok(!err.message.includes('s3cret-value'));
  });

  it('a pair naming an unknown provider lists the known ones', () => {
    assert.equal(
      fail(edit(BLOCK, 12, '    target: plex-cabn')).message,
      'playhead.yaml:12: pairs[0].target: unknown provider "plex-cabn" (configured: plex-cabin, plex-home)',
    );
  });

  it('source and target must differ', () => {
    assert.deepEqual(only(fail(edit(BLOCK, 12, '    target: plex-home'))), {
      path: 'pairs[0].target',
      line: 12,
      message: 'source and target are the same provider (plex-home); a pair syncs two different providers',
    });
  });

  it('pair names must be unique, including default names', () => {
    const dup = `${BLOCK}  - source: plex-home\n    target: plex-cabin\n`;
    assert.deepEqual(only(fail(dup)), {
      path: 'pairs[1]',
      line: 16,
      message: 'duplicate pair name "plex-home-to-plex-cabin" (the default name, from source and target), also used by pairs[0]; give each pair a unique name',
    });
    const named = `${BLOCK}  - name: plex-home-to-plex-cabin\n    source: plex-cabin\n    target: plex-home\n`;
    assert.deepEqual(only(fail(named)), {
      path: 'pairs[1].name',
      line: 16,
      message: 'duplicate pair name "plex-home-to-plex-cabin", also used by pairs[0]; give each pair a unique name',
    });
  });

  it('provider names are checked', () => {
    const err = fail(BLOCK.replace('  plex-cabin:', '  Plex_Cabin:').replace('target: plex-cabin', 'target: Plex_Cabin'));
    assert.deepEqual(only(err), {
      path: 'providers.Plex_Cabin',
      line: 6,
      message: 'provider names may use lower-case letters, digits, "-" and "_", starting with a letter or digit',
    });
  });

  it('mode is one-way (default) or two-way; anything else names both', () => {
    assert.equal(parseConfig(edit(BLOCK, 12, '    target: plex-cabin\n    mode: two-way'), 'playhead.yaml', ENV).pairs[0]?.mode, 'two-way');
    assert.equal(parseConfig(BLOCK, 'playhead.yaml', ENV).pairs[0]?.mode, 'one-way');
    const err = fail(edit(BLOCK, 12, '    target: plex-cabin\n    mode: both-ways'));
    assert.deepEqual(only(err), { path: 'pairs[0].mode', line: 13, message: "must be 'one-way' or 'two-way'" });
  });

  it('missing environment variable names the variable and the field', () => {
    const err = fail(BLOCK, { PLEX_TOKEN: ENV.PLEX_TOKEN });
    assert.equal(err.message, 'playhead.yaml:9: providers.plex-cabin.token: environment variable PLEX_CABIN_TOKEN is not set');
  });

  it('an invalid PLAYHEAD_LOG_LEVEL is reported under its name', () => {
    const err = fail(BLOCK, { ...ENV, PLAYHEAD_LOG_LEVEL: 'loud' });
    assert.equal(err.message, 'playhead.yaml: PLAYHEAD_LOG_LEVEL: environment override must be one of: trace, debug, info, warn, error, fatal, silent');
  });

  it('reports every problem, in line order', () => {
    const text = edit(edit(BLOCK, 15, '        max_percent: 120'), 4, '    url: nope');
    assert.deepEqual(
      fail(text).issues.map((i) => [i.line, i.path]),
      [
        [4, 'providers.plex-home.url'],
        [15, 'pairs[0].features.progress.max_percent'],
      ],
    );
  });

  it('needs providers and pairs', () => {
    const err = fail('providers: {}\npairs: []\n');
    assert.deepEqual(err.issues, [
      { path: 'providers', line: 1, message: 'must name at least one provider' },
      { path: 'pairs', line: 2, message: 'must list at least one pair (source and target)' },
    ]);
    assert.equal(fail('').message, 'playhead.yaml:1: the file is empty; it needs `providers:` and `pairs:`');
    assert.equal(fail('- a\n').message, 'playhead.yaml:1: must be a mapping with providers and pairs (got a list)');
  });

  it('YAML syntax errors name file and line', () => {
    const err = fail(edit(BLOCK, 12, '   target: plex-cabin'), ENV, '/etc/playhead.yaml');
    assert.equal(err.file, '/etc/playhead.yaml');
    assert.equal(err.issues[0]?.line, 12);
    assert.match(err.message, /^\/etc\/playhead\.yaml:12: YAML syntax: /);
    const dup = fail(`${BLOCK}pairs: []\n`);
    assert.equal(dup.message, 'playhead.yaml:16: YAML syntax: Map keys must be unique');
  });
});

describe('parseConfig: odd YAML', () => {
  it('a provider that is not a mapping', () => {
    assert.deepEqual(only(fail(edit(edit(edit(edit(BLOCK, 6, '  plex-cabin: 5'), 7, ''), 8, ''), 9, ''))), {
      path: 'providers.plex-cabin',
      line: 6,
      message: 'must be a mapping of provider settings (kind, url, token, …) (got a number)',
    });
  });

  it('an alias that contains itself', () => {
    const err = fail('providers: &x\n  a: *x\npairs: []\n');
    assert.deepEqual(err.issues[0], {
      path: 'providers.a',
      line: 2,
      message: 'a YAML alias may not refer to a mapping or list that contains it',
    });
  });

  it('env values with YAML syntax in them stay plain text', () => {
    const env = { ...ENV, PLEX_TOKEN: 'a: b # c, {d}' };
    const home = parseConfig(BLOCK, 'playhead.yaml', env).providers['plex-home'];
    assert.ok(home?.kind === 'plex');
    assert.equal(home.token, 'a: b # c, {d}');
  });
});

describe('parseConfig: tokens never appear in messages', () => {
  it('a token that is not text', () => {
    const err = fail(edit(BLOCK, 9, '    token: 98765432'));
    assert.equal(err.message, 'playhead.yaml:9: providers.plex-cabin.token: must be text (quote it if it is all digits) (got a number)');
    assert.ok(!err.message.includes('98765432'));
  });

  it('a literal token in a broken flow mapping', () => {
    const text = FLOW.replace('token: ${PLEX_CABIN_TOKEN} }', 'token: LiteralSecretValue9 url2: }');
    const err = fail(text);
    assert.ok(!err.message.includes('LiteralSecretValue9'), err.message);
  });

  it('an interpolated token next to other errors', () => {
    const text = edit(edit(BLOCK, 9, '    token: ${PLEX_CABIN_TOKEN}'), 15, '        max_percent: 101');
    const err = fail(text);
    assert.ok(!err.message.includes(ENV.PLEX_CABIN_TOKEN));
  });
});

describe('loadConfig', () => {
  it('reads a file and reports a missing one with how to create it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'playhead-config-'));
    try {
      const file = join(dir, 'playhead.yaml');
      writeFileSync(file, BLOCK);
      assert.equal(loadConfig(file, ENV).pairs[0]?.name, 'plex-home-to-plex-cabin');
      const missing = join(dir, 'nope.yaml');
      assert.throws(
        () => loadConfig(missing, ENV),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.file === missing &&
          err.message ===
            `${missing}: config file not found. Create ${missing} with a \`providers:\` and a \`pairs:\` section (see the README), or pass --config <file>`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
