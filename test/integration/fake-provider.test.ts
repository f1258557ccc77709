// A provider kind added from a test alone: the fake kind (test/support/fake-provider.ts) is
// registered here, with no edit under src/, and then playhead.yaml (read from disk by the real
// loader), the config's did-you-mean hints, `servers:`/`users:`/`sync:` and a real sync through
// runAll all work with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { loadConfig } from '../../src/config/load.ts';
import { canonicalKey, idsFromPlexGuids } from '../../src/core/ids.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { Store } from '../../src/store/store.ts';
import { expectConfigError, only } from '../support/config.ts';
import { providerKinds } from '../../src/providers/registry.ts';
import { registerFakeKind, type FakeItem, type FakeServer } from '../support/fake-provider.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=3';
const SEED = 'fake-kind';
const HOUR = 3_600_000;

const fake = registerFakeKind();
let dir: string;
after(() => fake.unregister());
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'playhead-fake-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes playhead.yaml to disk and loads it as `playhead` would. */
function load(name: string, yaml: string, env: Record<string, string>) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig(file, env);
}

async function sync(config: ReturnType<typeof loadConfig>): Promise<PairOutcome[]> {
  const store = Store.open(':memory:');
  try {
    return await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
  } finally {
    store.close();
  }
}

function okResult(outcome: PairOutcome | undefined) {
  assert.ok(outcome);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

/** The fake server's twin of a Plex movie, by its imdb id. */
function twinOf(server: FakeServer, item: PlexItem): FakeItem {
  const imdb = idsFromPlexGuids([item.guid, ...item.guids]).ids.imdb;
  const found = server.items.find((i) => i.type === 'movie' && i.ids.imdb === imdb);
  assert.ok(found, `${item.title} is on the fake server`);
  return found;
}

describe('a provider kind registered from a test', () => {
  let plex: RunningPlexEmulator;
  before(async () => {
    plex = await startPlexEmulator({ name: 'fake-kind-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
  });
  after(() => plex.close());

  test('kind: fake → plex: loaded from playhead.yaml, synced through runAll', async () => {
    const shelf = fake.addServer('shelf', ['shelf-secret-token']);
    shelf.addSynthetic(LIBRARY, SEED);
    const movies = plex.state.items.filter((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://')) && i.durationMs);
    const [toWrite, peek, finished] = movies.map((m) => ({ plex: m, fake: twinOf(shelf, m) }));
    assert.ok(toWrite && peek && finished);
    const at = Date.now() - HOUR;
    shelf.data.set(toWrite.fake.id, { progressMs: Math.round(toWrite.fake.durationMs * 0.4), progressAt: at, watched: false, playCount: 0 });
    shelf.data.set(peek.fake.id, { progressMs: 20_000, progressAt: at, watched: false, playCount: 0 });
    shelf.data.set(finished.fake.id, { progressMs: Math.round(finished.fake.durationMs * 0.97), progressAt: at, watched: false, playCount: 0 });

    const config = load(
      'fake-to-plex',
      [
        'providers:',
        '  shelf: { kind: fake, server: shelf, token: "${SHELF_TOKEN}", page_size: 2 }',
        `  living-room: { kind: plex, url: ${plex.url}, token: "\${PLEX_TOKEN}" }`,
        'pairs:',
        '  - { source: shelf, target: living-room }',
        '',
      ].join('\n'),
      { SHELF_TOKEN: 'shelf-secret-token', PLEX_TOKEN: plex.ownerToken },
    );
    assert.deepEqual(config.providers.shelf, { kind: 'fake', server: 'shelf', token: 'shelf-secret-token', pageSize: 2, retries: 3, maxConcurrentWrites: 4 });

    const result = okResult((await sync(config))[0]);
    assert.equal(result.pair, 'shelf-to-living-room');
    assert.deepEqual(result.counts, { write: 1, below_minimum: 1, near_complete: 1 });
    const reasons = new Map(result.decisions.map((d) => [d.key, d.reason]));
    assert.equal(reasons.get(canonicalKey(toWrite.fake) ?? ''), 'write');
    assert.equal(reasons.get(canonicalKey(peek.fake) ?? ''), 'below_minimum');
    assert.equal(reasons.get(canonicalKey(finished.fake) ?? ''), 'near_complete');
    // The position arrived on Plex, and only there.
    assert.equal(plex.state.userState['1']?.[toWrite.plex.ratingKey]?.viewOffset, Math.round(toWrite.fake.durationMs * 0.4));
    assert.equal(plex.state.userState['1']?.[peek.plex.ratingKey]?.viewOffset ?? 0, 0);
    assert.deepEqual(shelf.writes, [], 'the source is only read');
    // Three items at two per page: two pages and the empty one that ends the listing.
    assert.deepEqual(
      shelf.requests.filter((r) => r.path.startsWith('/progress')).map((r) => r.path),
      ['/progress?start=0', '/progress?start=2'],
    );

    // A second sync finds nothing to do.
    const again = okResult((await sync(config))[0]);
    assert.equal(again.counts.write ?? 0, 0);
    assert.equal(again.counts.unchanged, 1);
  });

  test('plex → fake, and fake → fake, under servers:/users:/sync:', async () => {
    const upstairs = fake.addServer('upstairs', ['sam-upstairs', 'alice-upstairs']);
    upstairs.addSynthetic(LIBRARY, SEED);
    const attic = fake.addServer('attic', ['sam-attic']);
    attic.addSynthetic(LIBRARY, SEED);
    const movie = plex.state.items.filter((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://')) && i.durationMs)[5];
    assert.ok(movie?.durationMs);
    // Only this film is in progress on Plex now.
    plex.state.userState['1'] = { [movie.ratingKey]: { viewOffset: Math.round(movie.durationMs * 0.5), lastViewedAt: Math.floor((Date.now() - HOUR) / 1000) } };
    const upTwin = twinOf(upstairs, movie);

    const config = load(
      'users',
      [
        'servers:',
        `  living-room: { kind: plex, url: ${plex.url} }`,
        '  upstairs: { kind: fake, server: upstairs }',
        '  attic: { kind: fake, server: attic, page_size: 50 }',
        'users:',
        '  sam:',
        '    living-room: { token: "${PLEX_TOKEN}" }',
        '    upstairs: { token: sam-upstairs }',
        '    attic: { token: sam-attic }',
        'sync:',
        '  - { source: living-room, target: upstairs }',
        '  - { source: upstairs, target: attic }',
        '',
      ].join('\n'),
      { PLEX_TOKEN: plex.ownerToken },
    );
    assert.deepEqual(Object.keys(config.providers).sort(), ['attic@sam', 'living-room@sam', 'upstairs@sam']);
    assert.deepEqual(
      config.pairs.map((p) => p.name),
      ['living-room-to-upstairs@sam', 'upstairs-to-attic@sam'],
    );

    const outcomes = await sync(config);
    const [first, second] = outcomes.map(okResult);
    assert.ok(first && second);
    assert.equal(first.counts.write, 1);
    assert.equal(upstairs.data.get(upTwin.id)?.progressMs, Math.round(movie.durationMs * 0.5));
    assert.deepEqual(
      upstairs.writes.map((w) => w.id),
      [upTwin.id],
    );
    // The second pair read what the first one wrote, and carried it on.
    assert.equal(second.counts.write, 1);
    const atticTwin = twinOf(attic, movie);
    assert.equal(attic.data.get(atticTwin.id)?.progressMs, Math.round(movie.durationMs * 0.5));
  });

  test("the kind's own schema: did-you-mean hints, its place in the kind list, no token in messages", () => {
    const yaml = [
      'providers:',
      '  shelf: { kind: fake, server: shelf, page_sise: 5, token: fake-secret-token }',
      '  other: { kind: fake, server: other, token: other-token }',
      'pairs:',
      '  - { source: shelf, target: other }',
      '',
    ].join('\n');
    assert.deepEqual(only(expectConfigError(yaml, {}, ['fake-secret-token'])), {
      path: 'providers.shelf.page_sise',
      line: 2,
      message: 'unknown key (allowed: kind, server, token, page_size, retries, max_concurrent_writes); did you mean "page_size"?',
    });
    const unknown = only(expectConfigError(yaml.replace('kind: fake, server: shelf, page_sise: 5', 'kind: fakes, server: shelf'), {}, []));
    assert.equal(unknown.message, 'unknown provider kind "fakes" (supported: plex, jellyfin, emby, trakt, fake)');
    const misplaced = [
      'servers:',
      '  a: { kind: fake, server: a, token: server-wide-token }',
      'users:',
      '  sam: { a: { token: t1-token } }',
      'sync:',
      '  - { source: a, target: a }',
      '',
    ].join('\n');
    const issues = expectConfigError(misplaced, {}, ['server-wide-token']).issues;
    assert.ok(issues.some((i) => i.path === 'servers.a.token' && i.message === "a fake token is one user's: put it under users.<user>.a.token"));
  });
});

// Runs last (tests in a file run in order): the kind goes away with its module.
test('without its module, the kind is unknown', () => {
  const yaml = [
    'providers:',
    '  shelf: { kind: fake, server: shelf, token: some-token }',
    '  b: { kind: fake, server: b, token: some-token }',
    'pairs:',
    '  - { source: shelf, target: b }',
    '',
  ].join('\n');
  assert.deepEqual(providerKinds(), ['plex', 'jellyfin', 'emby', 'trakt', 'fake']);
  fake.unregister();
  assert.deepEqual(providerKinds(), ['plex', 'jellyfin', 'emby', 'trakt']);
  const issues = expectConfigError(yaml, {}, []).issues;
  assert.equal(issues[0]?.message, 'unknown provider kind "fake" (supported: plex, jellyfin, emby, trakt)');
});
