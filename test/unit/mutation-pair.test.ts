// The defaults a pair gets when playhead.yaml says nothing are the ones README.md documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';

const env = { PLEX_TOKEN: 'a', JELLYFIN_TOKEN: 'b', EMBY_TOKEN: 'c', TRAKT_CLIENT_ID: 'd', TRAKT_CLIENT_SECRET: 'e' };

test("the README's first pair spells out every default, and they are the defaults", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'README has a yaml block');
  const config = parseConfig(yaml, 'README.md', env);
  assert.deepEqual(DEFAULT_PROGRESS_SETTINGS, config.pairs[0]?.features.progress);
  // The second pair sets nothing, so it gets exactly those.
  assert.deepEqual(config.pairs[1]?.features.progress, config.pairs[0]?.features.progress);
});

test('the defaults, value by value', () => {
  assert.deepEqual(DEFAULT_PROGRESS_SETTINGS, {
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
  });
});

test('the defaults cannot be changed by one pair for all the others', () => {
  assert.ok(Object.isFrozen(DEFAULT_PROGRESS_SETTINGS));
  assert.throws(() => {
    (DEFAULT_PROGRESS_SETTINGS as { minSeconds: number }).minSeconds = 0;
  }, TypeError);
  assert.equal(DEFAULT_PROGRESS_SETTINGS.minSeconds, 60);
});
