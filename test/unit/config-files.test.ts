// The config file on disk: relative paths in it are relative to its directory, and a file that
// holds a token and that others can read gets a warning (naming the fields, never the values).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/load.ts';

const TOKEN = 'literal-SECRET-token-42';

const config = (token: string, state?: string): string =>
  [
    'providers:',
    `  home: { kind: plex, url: http://127.0.0.1:32400, token: ${token} }`,
    '  cabin: { kind: plex, url: http://127.0.0.1:32401, token: ${CABIN_TOKEN} }',
    'pairs:',
    '  - { source: home, target: cabin }',
    ...(state === undefined ? [] : [`state: { path: ${state} }`]),
    '',
  ].join('\n');

const ENV = { CABIN_TOKEN: 'env-SECRET-cabin', HOME_TOKEN: 'env-SECRET-home' };

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-config-files-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('paths in the config file', () => {
  it('a relative state.path is relative to the config file, not the working directory', () => {
    withDir((dir) => {
      mkdirSync(join(dir, 'etc'));
      const file = join(dir, 'etc', 'playhead.yaml');
      writeFileSync(file, config('${HOME_TOKEN}', './data/state.db'), { mode: 0o600 });
      assert.equal(loadConfig(file, ENV).state.path, join(dir, 'etc', 'data', 'state.db'));
      // Also when the config file itself is named relative to the working directory.
      assert.equal(loadConfig(relative(process.cwd(), file), ENV).state.path, join(dir, 'etc', 'data', 'state.db'));
    });
  });

  it('the default state path sits next to the config file', () => {
    withDir((dir) => {
      const file = join(dir, 'playhead.yaml');
      writeFileSync(file, config('${HOME_TOKEN}'), { mode: 0o600 });
      assert.equal(loadConfig(file, ENV).state.path, join(dir, 'playhead.db'));
    });
  });

  it('an absolute state.path stays as written, and PLAYHEAD_STATE_PATH is taken as given (relative to the shell)', () => {
    withDir((dir) => {
      const file = join(dir, 'playhead.yaml');
      writeFileSync(file, config('${HOME_TOKEN}', '/var/lib/playhead/state.db'), { mode: 0o600 });
      assert.equal(loadConfig(file, ENV).state.path, '/var/lib/playhead/state.db');
      assert.equal(loadConfig(file, { ...ENV, PLAYHEAD_STATE_PATH: 'here.db' }).state.path, 'here.db');
    });
  });

  it('parseConfig without a base directory returns the path as written', () => {
    assert.equal(parseConfig(config('${HOME_TOKEN}', './x.db'), 'playhead.yaml', ENV).state.path, './x.db');
    assert.equal(parseConfig(config('${HOME_TOKEN}', './x.db'), 'playhead.yaml', ENV, { baseDir: '/srv/ph' }).state.path, '/srv/ph/x.db');
  });
});

describe('a readable config file that holds a token', () => {
  const load = (mode: number, token: string) => {
    let loaded: ReturnType<typeof loadConfig> | undefined;
    withDir((dir) => {
      const file = join(dir, 'playhead.yaml');
      writeFileSync(file, config(token));
      chmodSync(file, mode);
      loaded = loadConfig(file, ENV);
    });
    assert.ok(loaded);
    return loaded;
  };

  it('is warned about once, naming the file, the field and chmod 600, never the token', () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const c = load(mode, TOKEN);
      assert.equal(c.warnings?.length, 1, `mode ${mode.toString(8)}`);
      const warning = c.warnings?.[0] ?? '';
      assert.match(warning, /playhead\.yaml holds a secret \(providers\.home\.token\) and other users can read it/);
      assert.match(warning, /chmod 600 \S+playhead\.yaml/);
      assert.ok(!warning.includes(TOKEN), warning);
      assert.ok(!JSON.stringify(c.literalSecrets).includes(TOKEN));
    }
  });

  it('is not warned about when only its owner can read it', () => {
    assert.equal(load(0o600, TOKEN).warnings, undefined);
    assert.equal(load(0o400, TOKEN).warnings, undefined);
  });

  it('is not warned about when every token comes from the environment', () => {
    const c = load(0o644, '${HOME_TOKEN}');
    assert.equal(c.warnings, undefined);
    assert.equal(c.literalSecrets, undefined);
  });

  it('lists literal secrets wherever they are, by field (quoted `${VAR}` is not literal)', () => {
    const text = [
      'servers:',
      '  living-room: { kind: plex, url: http://10.0.0.1:32400/ }',
      '  upstairs: { kind: jellyfin, url: http://10.0.0.2:8096, token: "${HOME_TOKEN}" }',
      'users:',
      '  sam:',
      `    living-room: { token: ${TOKEN} }`,
      '    upstairs: { user: sam }',
      'sync:',
      '  - { source: living-room, target: upstairs }',
      '',
    ].join('\n');
    assert.deepEqual(parseConfig(text, 'p.yaml', ENV).literalSecrets, ['users.sam.living-room.token']);
  });
});
