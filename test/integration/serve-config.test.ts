// `schedule:` in playhead.yaml (used by `playhead serve`): the forms README shows parse, mistakes
// fail at load with the file, line and field, and `sync:` pairs carry it to every user's pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';

const withSchedule = (schedule: string) =>
  [
    'providers:',
    '  a: { kind: plex, url: http://a.example, token: "${T}" }',
    '  b: { kind: plex, url: http://b.example, token: "${T}" }',
    'pairs:',
    `  - { source: a, target: b, schedule: ${schedule} }`,
    '',
  ].join('\n');

const scheduleOf = (schedule: string) => parseConfig(withSchedule(schedule), 'p.yaml', { T: 't' }).pairs[0]?.schedule;
const errorOf = (schedule: string): string => {
  try {
    parseConfig(withSchedule(schedule), 'p.yaml', { T: 't' });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`schedule ${schedule} was accepted`);
};

test('the schedule forms README shows parse', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.match(readme, /`schedule: "\*\/15 \* \* \* \*"`/);
  assert.match(readme, /`schedule: \{ every: 30m \}`/);
  assert.deepEqual(scheduleOf('"*/15 * * * *"'), { cron: '*/15 * * * *' });
  assert.deepEqual(scheduleOf('{ every: 30m }'), { everyMs: 30 * 60_000 });
  assert.deepEqual(scheduleOf('{ every: 45s }'), { everyMs: 45_000 });
  assert.deepEqual(scheduleOf('{ every: 2h }'), { everyMs: 2 * 3_600_000 });
  assert.deepEqual(scheduleOf('{ every: 1d }'), { everyMs: 86_400_000 });
  assert.equal(parseConfig(withSchedule('"0 * * * *"').replace(', schedule: "0 * * * *"', ''), 'p.yaml', { T: 't' }).pairs[0]?.schedule, undefined);
});

test('a bad schedule fails at load, naming the line and field', () => {
  assert.match(errorOf('"every 30 minutes"'), /^p\.yaml:5: pairs\[0\]\.schedule: is not a valid cron expression: .*\{ every: 30m \}/);
  assert.match(errorOf('{ every: 0s }'), /pairs\[0\]\.schedule: every: must be a whole number of s, m, h or d, at least 1s \(got "0s"\)/);
  assert.match(errorOf('{ every: 10 minutes }'), /every: must be a whole number/);
  assert.match(errorOf('{ every: 30m, at: 3 }'), /pairs\[0\]\.schedule: must be a cron expression/);
  assert.match(errorOf('30'), /pairs\[0\]\.schedule: must be a cron expression/);
});

test('a sync: entry passes its schedule to each user’s pair', () => {
  const yaml = [
    'servers:',
    '  home: { kind: plex, url: http://a.example }',
    '  away: { kind: plex, url: http://b.example }',
    'users:',
    '  sam: { home: { token: "${T}" }, away: { token: "${T}" } }',
    'sync:',
    '  - { source: home, target: away, schedule: { every: 5m } }',
    '',
  ].join('\n');
  const config = parseConfig(yaml, 'u.yaml', { T: 't' });
  assert.deepEqual(
    config.pairs.map((p) => [p.name, p.schedule]),
    [['home-to-away@sam', { everyMs: 300_000 }]],
  );
});

test('settle_seconds: per pair, else the file-wide value; a negative or non-number value fails at load', () => {
  const yaml = (top: string, pairExtra: string) =>
    [
      'providers:',
      '  a: { kind: plex, url: http://a.example, token: "${T}" }',
      '  b: { kind: plex, url: http://b.example, token: "${T}" }',
      'pairs:',
      `  - { name: own, source: a, target: b${pairExtra} }`,
      '  - { name: default, source: b, target: a }',
      top,
      '',
    ].join('\n');
  const config = parseConfig(yaml('settle_seconds: 45', ', settle_seconds: 5'), 'p.yaml', { T: 't' });
  assert.equal(config.settleSeconds, 45);
  assert.equal(config.pairs.find((p) => p.name === 'own')?.settleSeconds, 5);
  assert.equal(config.pairs.find((p) => p.name === 'default')?.settleSeconds, undefined);
  assert.equal(parseConfig(yaml('', ''), 'p.yaml', { T: 't' }).settleSeconds, undefined);
  assert.throws(() => parseConfig(yaml('', ', settle_seconds: -1'), 'p.yaml', { T: 't' }), /settle_seconds.*0 or more/s);
  assert.throws(() => parseConfig(yaml('settle_seconds: soon', ''), 'p.yaml', { T: 't' }), /settle_seconds.*number of seconds/s);
});
