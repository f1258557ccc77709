// The configuration example in README.md is a real, valid config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';

test('the README config example parses', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'README has a yaml block');
  const config = parseConfig(yaml, 'README.md', { PLEX_TOKEN: 'a', JELLYFIN_TOKEN: 'b', EMBY_TOKEN: 'c', TRAKT_CLIENT_ID: 'd', TRAKT_CLIENT_SECRET: 'e' });
  assert.equal(config.pairs[0]?.features.progress.minSeconds, 60);
  assert.deepEqual(
    Object.entries(config.providers).map(([name, p]) => [name, p.kind]),
    [
      ['living-room', 'plex'],
      ['upstairs', 'jellyfin'],
      ['cabin', 'emby'],
      ['trakt', 'trakt'],
    ],
  );
  assert.deepEqual(
    config.pairs.map((p) => [p.source, p.target]),
    [
      ['living-room', 'upstairs'],
      ['living-room', 'trakt'],
      ['upstairs', 'cabin'],
    ],
  );
  assert.equal(config.pairs[2]?.mode, 'two-way');
});

test('the README "Several users" example parses and keeps each user to their own providers', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Several users'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'the Several users section has a yaml block');
  const config = parseConfig(yaml, 'README.md', {
    PLEX_TOKEN_SAM: 'a',
    PLEX_TOKEN_ALICE: 'b',
    JELLYFIN_API_KEY: 'c',
    TRAKT_CLIENT_ID: 'd',
    TRAKT_CLIENT_SECRET: 'e',
  });
  assert.deepEqual(
    config.pairs.map((p) => [p.name, p.source, p.target]),
    [
      ['living-room-to-upstairs@sam', 'living-room@sam', 'upstairs@sam'],
      ['living-room-to-trakt@sam', 'living-room@sam', 'trakt@sam'],
      ['living-room-to-upstairs@alice', 'living-room@alice', 'upstairs@alice'],
    ],
  );
});
