// `playhead init` without a server: names from Plex account names, targets, the file it builds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InitError, parseTarget, slug, starterConfig, type PlexDiscovery } from '../../src/cli/init.ts';
import { parseConfig } from '../../src/config/load.ts';

const DISCOVERY: PlexDiscovery = {
  url: 'http://192.168.1.10:32400',
  friendlyName: 'Living Room\n# injected: true',
  machineIdentifier: 'abc123',
  version: '1.43.0',
  libraries: [
    { id: '1', type: 'movie', title: 'Films' },
    { id: '2', type: 'show', title: 'TV' },
    { id: '3', type: 'artist', title: 'Music' },
  ],
  accounts: [
    { id: 1, name: 'Sam Owner', owner: true },
    { id: 24_311_111, name: 'Jürgen', owner: false },
    { id: 24_311_112, name: 'jurgen', owner: false },
    { id: 24_311_113, name: '日本', owner: false },
    { id: 24_311_114, name: 'kid.one@example.com', owner: false },
  ],
};

describe('init: names', () => {
  it('turns account names into config names', () => {
    assert.equal(slug('Sam Owner'), 'sam-owner');
    assert.equal(slug('Jürgen'), 'jurgen');
    assert.equal(slug('kid.one@example.com'), 'kid-one-example-com');
    assert.equal(slug('  --Kids!! '), 'kids');
    assert.equal(slug('日本'), '');
  });

  it('keeps names unique and gives each non-owner a PLEX_TOKEN_<NAME> variable', () => {
    const starter = starterConfig(DISCOVERY);
    assert.deepEqual(
      starter.users.map((u) => [u.name, u.tokenVariable]),
      [
        ['sam-owner', 'PLEX_TOKEN'],
        ['jurgen', 'PLEX_TOKEN_JURGEN'],
        ['jurgen-24311112', 'PLEX_TOKEN_JURGEN_24311112'],
        ['user-24311113', 'PLEX_TOKEN_USER_24311113'],
        ['kid-one-example-com', 'PLEX_TOKEN_KID_ONE_EXAMPLE_COM'],
      ],
    );
    assert.equal(starter.server, 'living-room-injected-true');
  });
});

describe('init: targets and the file', () => {
  it('parses --to', () => {
    assert.deepEqual(parseTarget('jellyfin=http://10.0.0.2:8096/'), { kind: 'jellyfin', url: 'http://10.0.0.2:8096' });
    assert.deepEqual(parseTarget('Trakt'), { kind: 'trakt' });
    assert.throws(
      () => parseTarget('kodi=http://x'),
      (e: unknown) => e instanceof InitError && e.exitCode === 2 && /unknown kind/.test(e.message),
    );
    assert.throws(() => parseTarget('emby'), InitError);
    assert.throws(() => parseTarget('plex=ftp://x'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseTarget('trakt=http://x'), /takes no URL/);
  });

  it('builds a file that parses once its variables are set, with server names kept out of the YAML structure', () => {
    const starter = starterConfig(DISCOVERY, [
      { kind: 'jellyfin', url: 'http://10.0.0.2:8096' },
      { kind: 'trakt' },
      { kind: 'plex', url: 'http://10.0.0.3:32400' },
    ]);
    const env = Object.fromEntries(starter.variables.map((v, i) => [v, `value-${i}`]));
    const c = parseConfig(starter.yaml, 'playhead.yaml', env);
    assert.deepEqual(
      Object.keys(c.users ?? {}),
      starter.users.map((u) => u.name),
    );
    // The Jellyfin user is the Plex account's own name; Trakt only for the owner (others commented out).
    // Each account's id on the discovered server, for serve's routing of its events.
    const plexJurgen = c.providers['living-room-injected-true@jurgen'];
    assert.ok(plexJurgen?.kind === 'plex' && plexJurgen.accountId === '24311111', JSON.stringify(plexJurgen));
    const plexOwner = c.providers['living-room-injected-true@sam-owner'];
    assert.ok(plexOwner?.kind === 'plex' && plexOwner.accountId === '1');
    const jf = c.providers['jellyfin@jurgen'];
    assert.ok(jf?.kind === 'jellyfin' && jf.user === 'Jürgen' && jf.token === env.JELLYFIN_API_KEY);
    assert.deepEqual(
      Object.keys(c.providers).filter((p) => p.startsWith('trakt@')),
      ['trakt@sam-owner'],
    );
    assert.equal(c.pairs.length, 5 * 2 + 1);
    // A line break in the server's name stays inside a comment.
    assert.match(starter.yaml.split('\n')[0] ?? '', /"Living Room # injected: true"/);
    assert.equal(starter.yaml.split('\n').filter((l) => l.includes('injected: true') && !l.startsWith('#')).length, 0);
    // Only movie and show libraries are offered.
    assert.match(starter.yaml, /# libraries: \[1, 2\]/);
    assert.doesNotMatch(starter.yaml, /Music/);
  });
});
