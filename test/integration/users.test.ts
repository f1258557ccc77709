// Several users over real HTTP: two Plex emulators, alice and bob each with their own positions on
// the same films, a config in the `users:` form, one sync. Each user's positions land only in
// that user's account on the target; nothing of alice's appears under bob. Then `playhead init`
// against the emulator: its file parses (placeholders filled from an env map) and syncs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { createLogger } from '../../src/cli/log.ts';
import { runInit } from '../../src/cli/init.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { items, progressOn, SYNTHETIC, twin, userState } from '../support/plex-pair.ts';
import { playhead } from '../support/cli.ts';

const OWNER = 1;
const ALICE = 2;
const BOB = 3;

interface Servers {
  source: RunningPlexEmulator;
  target: RunningPlexEmulator;
  dir: string;
  close(): Promise<void>;
}

async function startServers(): Promise<Servers> {
  const source = await startPlexEmulator({ name: 'source-server', synthetic: SYNTHETIC, seed: 'users', quiet: true });
  const target = await startPlexEmulator({ name: 'target-server', synthetic: SYNTHETIC, seed: 'users', quiet: true });
  const dir = mkdtempSync(join(tmpdir(), 'playhead-users-'));
  return {
    source,
    target,
    dir,
    async close() {
      await Promise.all([source.close(), target.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tokenOf(server: RunningPlexEmulator, accountId: number): string {
  const account = server.state.accounts.find((a) => a.id === accountId);
  assert.ok(account, `no account ${accountId}`);
  return account.token;
}

async function syncAll(config: Config, store: Store): Promise<PairOutcome[]> {
  const outcomes = await runAll({ config, store, log: createLogger({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
  for (const o of outcomes) assert.ok(o.ok, o.ok ? '' : `${o.pair}: ${o.error.message}`);
  return outcomes;
}

/** Every item this account has a state for on the server: ratingKey → viewOffset. */
function offsets(server: RunningPlexEmulator, accountId: number): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(server.state.userState[String(accountId)] ?? {}).map(([rk, s]) => [rk, s.viewOffset]));
}

function timelineWritesBy(server: RunningPlexEmulator, from = 0): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of server.requests.slice(from)) {
    if (r.path !== '/:/timeline') continue;
    const key = String(r.accountId);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('several users: two users never cross', () => {
  let s: Servers;
  let config: Config;
  let store: Store;
  let movies: PlexItem[];
  let episode: PlexItem;

  before(async () => {
    s = await startServers();
    const yaml = [
      'servers:',
      `  src: { kind: plex, url: ${s.source.url} }`,
      `  dst: { kind: plex, url: ${s.target.url} }`,
      'users:',
      '  alice: { src: { token: "${SRC_ALICE}" }, dst: { token: "${DST_ALICE}" } }',
      '  bob:   { src: { token: "${SRC_BOB}" },   dst: { token: "${DST_BOB}" } }',
      'sync:',
      '  - { source: src, target: dst }',
      `state: { path: ${join(s.dir, 'state.db')} }`,
      '',
    ].join('\n');
    config = parseConfig(yaml, join(s.dir, 'playhead.yaml'), {
      SRC_ALICE: tokenOf(s.source, ALICE),
      DST_ALICE: tokenOf(s.target, ALICE),
      SRC_BOB: tokenOf(s.source, BOB),
      DST_BOB: tokenOf(s.target, BOB),
    });
    store = Store.open(config.state.path);
    movies = items(s.source, 'movie').slice(0, 6);
    episode = items(s.source, 'episode')[1]!;
  });
  after(async () => {
    store.close();
    await s.close();
  });

  test("one sync puts each user's positions in their own account only", async () => {
    const [m0, m1, m2, m3, m4] = movies as [PlexItem, PlexItem, PlexItem, PlexItem, PlexItem];
    // The same films, different positions per user; some films only one of them started.
    progressOn(s.source, m0, 0.3, undefined, ALICE);
    progressOn(s.source, m1, 0.5, undefined, ALICE);
    progressOn(s.source, m2, 0.2, undefined, ALICE);
    progressOn(s.source, episode, 0.45, undefined, ALICE);
    progressOn(s.source, m0, 0.6, undefined, BOB);
    progressOn(s.source, m1, 0.15, undefined, BOB);
    progressOn(s.source, m3, 0.4, undefined, BOB);
    // The owner is in no mapping: their progress goes nowhere.
    progressOn(s.source, m4, 0.5, undefined, OWNER);

    const outcomes = await syncAll(config, store);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.result.pair : o.pair)),
      ['src-to-dst@alice', 'src-to-dst@bob'],
    );

    const expected = (accountId: number, played: PlexItem[]) =>
      Object.fromEntries(
        played.map((item) => [twin(s.source, s.target, item.ratingKey).ratingKey, userState(s.source, item.ratingKey, accountId)?.viewOffset]),
      );
    assert.deepEqual(offsets(s.target, ALICE), expected(ALICE, [m0, m1, m2, episode]), "alice's positions, and only hers, in alice's account");
    assert.deepEqual(offsets(s.target, BOB), expected(BOB, [m0, m1, m3]), "bob's positions, and only his, in bob's account");
    assert.deepEqual(offsets(s.target, OWNER), {}, 'nothing in the owner account');
    // Where they watched the same film, each keeps their own position.
    const t0 = twin(s.source, s.target, m0.ratingKey).ratingKey;
    assert.notEqual(userState(s.target, t0, ALICE)?.viewOffset, userState(s.target, t0, BOB)?.viewOffset);
    // Nothing alice alone started appears under bob, and the other way round.
    assert.equal(userState(s.target, twin(s.source, s.target, m2.ratingKey).ratingKey, BOB), undefined);
    assert.equal(userState(s.target, twin(s.source, s.target, episode.ratingKey).ratingKey, BOB), undefined);
    assert.equal(userState(s.target, twin(s.source, s.target, m3.ratingKey).ratingKey, ALICE), undefined);
    // Every write went out with the writing user's own token.
    assert.deepEqual(timelineWritesBy(s.target), { [String(ALICE)]: 4, [String(BOB)]: 3 });
    // The source is only read.
    assert.deepEqual(timelineWritesBy(s.source), {});
  });

  test("a second sync writes nothing; when alice moves on, only alice's account changes", async () => {
    const mark = s.target.requests.length;
    const again = await syncAll(config, store);
    for (const o of again) assert.ok(o.ok && (o.result.counts.write ?? 0) === 0, 'nothing to write');
    assert.deepEqual(timelineWritesBy(s.target, mark), {});

    const m1 = movies[1]!;
    const bobBefore = offsets(s.target, BOB);
    progressOn(s.source, m1, 0.7, undefined, ALICE);
    const mark2 = s.target.requests.length;
    await syncAll(config, store);
    const t1 = twin(s.source, s.target, m1.ratingKey).ratingKey;
    assert.equal(userState(s.target, t1, ALICE)?.viewOffset, userState(s.source, m1.ratingKey, ALICE)?.viewOffset);
    assert.deepEqual(offsets(s.target, BOB), bobBefore, "bob's account did not move");
    assert.deepEqual(timelineWritesBy(s.target, mark2), { [String(ALICE)]: 1 });
  });

  test('the state records runs per user pair', () => {
    const pairs = new Set(store.runs({ limit: 50 }).map((r) => r.pair));
    assert.deepEqual([...pairs].sort(), ['src-to-dst@alice', 'src-to-dst@bob']);
  });
});

describe('playhead init', () => {
  let s: Servers;
  before(async () => {
    s = await startServers();
  });
  after(async () => s.close());

  const allTokens = () => [...s.source.state.accounts, ...s.target.state.accounts].map((a) => a.token);

  test('prints a users: config that parses with the placeholders filled, and syncs', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runInit({
      plex: s.source.url,
      token: s.source.ownerToken,
      to: [`plex=${s.target.url}`],
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    assert.equal(code, 0, err.join(''));
    const yaml = out.join('');
    for (const token of allTokens()) assert.ok(!yaml.includes(token) && !err.join('').includes(token), 'no token printed');
    assert.match(yaml, /plex\.tv/, "says where the other users' tokens come from");
    assert.match(err.join(''), /3 users \(owner, alice, bob\)/);

    const env = {
      PLEX_TOKEN: s.source.ownerToken,
      PLEX_TOKEN_ALICE: tokenOf(s.source, ALICE),
      PLEX_TOKEN_BOB: tokenOf(s.source, BOB),
      PLEX_2_TOKEN_OWNER: tokenOf(s.target, OWNER),
      PLEX_2_TOKEN_ALICE: tokenOf(s.target, ALICE),
      PLEX_2_TOKEN_BOB: tokenOf(s.target, BOB),
      PLAYHEAD_STATE_PATH: join(s.dir, 'init.db'),
    };
    const config = parseConfig(yaml, 'playhead.yaml', env);
    assert.deepEqual(Object.keys(config.users ?? {}), ['owner', 'alice', 'bob']);
    assert.deepEqual(
      config.pairs.map((p) => p.name),
      ['source-server-to-plex-2@owner', 'source-server-to-plex-2@alice', 'source-server-to-plex-2@bob'],
    );
    const owner = config.providers['source-server@owner'];
    assert.ok(owner?.kind === 'plex' && owner.url === s.source.url && owner.token === s.source.ownerToken);

    const [m0, m1] = items(s.source, 'movie') as [PlexItem, PlexItem];
    progressOn(s.source, m0, 0.25, undefined, OWNER);
    progressOn(s.source, m0, 0.55, undefined, ALICE);
    progressOn(s.source, m1, 0.35, undefined, BOB);
    const store = Store.open(config.state.path);
    try {
      await syncAll(config, store);
    } finally {
      store.close();
    }
    const t0 = twin(s.source, s.target, m0.ratingKey).ratingKey;
    const t1 = twin(s.source, s.target, m1.ratingKey).ratingKey;
    assert.equal(userState(s.target, t0, OWNER)?.viewOffset, userState(s.source, m0.ratingKey, OWNER)?.viewOffset);
    assert.equal(userState(s.target, t0, ALICE)?.viewOffset, userState(s.source, m0.ratingKey, ALICE)?.viewOffset);
    assert.equal(userState(s.target, t1, BOB)?.viewOffset, userState(s.source, m1.ratingKey, BOB)?.viewOffset);
    assert.deepEqual(Object.keys(offsets(s.target, BOB)), [t1], 'bob has only his own film');
    assert.deepEqual(Object.keys(offsets(s.target, ALICE)), [t0]);
  });

  test('without --to the file names the server and users, and asks for a sync target', async () => {
    const out: string[] = [];
    assert.equal(await runInit({ plex: s.source.url, token: s.source.ownerToken, out: (t) => out.push(t), err: () => {} }), 0);
    const yaml = out.join('');
    assert.match(yaml, /^ {2}source-server:\n {4}kind: plex\n {4}url: /m);
    assert.match(yaml, /# libraries: \[1, 2\]/);
    assert.match(yaml, /^sync:$/m);
    assert.throws(
      () => parseConfig(yaml, 'playhead.yaml', { PLEX_TOKEN: 'a', PLEX_TOKEN_ALICE: 'b', PLEX_TOKEN_BOB: 'c' }),
      /playhead\.yaml:\d+: sync: must be a list of server pairs/,
    );
  });

  test('a non-owner token: a clear message and exit 2, through the CLI', async () => {
    const r = await playhead(['init', '--plex', s.source.url], { PLEX_TOKEN: tokenOf(s.source, ALICE) });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /only the server owner can list the accounts that use "source-server" \(GET \/accounts answered 401\)/);
    assert.ok(!r.stderr.includes(tokenOf(s.source, ALICE)));
    const unknown = await playhead(['init', '--plex', s.source.url, '--token', 'not-a-token'], {});
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /refused the token \(GET \/ answered 401\)/);
    const none = await playhead(['init', '--plex', s.source.url], {});
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs the server owner's token: set PLEX_TOKEN/);
  });

  test('--write creates a private file and refuses to overwrite one without --force', async () => {
    const file = join(s.dir, 'written.yaml');
    const env = { PLEX_TOKEN: s.source.ownerToken };
    const first = await playhead(['init', '--plex', s.source.url, '--to', `plex=${s.target.url}`, '--write', file], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Wrote .*written\.yaml \(mode 600\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    for (const token of allTokens()) assert.ok(!text.includes(token) && !first.stdout.includes(token), 'no token written or printed');

    writeFileSync(file, '# mine\n', { mode: 0o644 });
    const again = await playhead(['init', '--plex', s.source.url, '--write', file], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; pass --force to overwrite it/);
    assert.equal(readFileSync(file, 'utf8'), '# mine\n');

    const forced = await playhead(['init', '--plex', s.source.url, '--write', file, '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^users:$/m);
  });

  test('--json describes the server and users, with the file, and no token', async () => {
    const out: string[] = [];
    assert.equal(await runInit({ plex: s.source.url, token: s.source.ownerToken, json: true, out: (t) => out.push(t), err: () => {} }), 0);
    const text = out.join('');
    for (const token of allTokens()) assert.ok(!text.includes(token));
    const result = JSON.parse(text) as {
      server: { name: string; machineIdentifier: string };
      users: { name: string; accountId: number; owner: boolean; tokenVariable: string }[];
      yaml: string;
    };
    assert.deepEqual(result.server.name, 'source-server');
    assert.equal(result.server.machineIdentifier, s.source.machineIdentifier);
    assert.deepEqual(
      result.users.map((u) => [u.name, u.accountId, u.owner, u.tokenVariable]),
      [
        ['owner', 1, true, 'PLEX_TOKEN'],
        ['alice', 2, false, 'PLEX_TOKEN_ALICE'],
        ['bob', 3, false, 'PLEX_TOKEN_BOB'],
      ],
    );
    assert.match(result.yaml, /^users:$/m);
  });

  test('a URL with a token in it is refused before anything is sent', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const mark = s.source.requests.length;
    const code = await runInit({
      plex: `${s.source.url}/?X-Plex-Token=${s.source.ownerToken}`,
      token: s.source.ownerToken,
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    assert.equal(code, 2);
    assert.match(err.join(''), /must not contain a user name, password, query or fragment/);
    assert.ok(!err.join('').includes(s.source.ownerToken));
    assert.equal(s.source.requests.length, mark);
  });
});
