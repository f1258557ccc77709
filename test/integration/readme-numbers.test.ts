// Every number README.md states, checked against what the code does. Each assertion uses the
// number as README writes it (a literal, not the code's constant), so changing either one alone
// fails here: README and code move together.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startTraktEmulator } from '../../emulators/trakt/server.ts';
import { createLogger } from '../../src/cli/log.ts';
import { parseConfig } from '../../src/config/load.ts';
import { suspiciousShrink } from '../../src/core/clears.ts';
import { nextTry } from '../../src/core/retries.ts';
import { runAll } from '../../src/engine/run-all.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import { Store } from '../../src/store/store.ts';
import { playhead } from '../support/cli.ts';
import { items, progressOn, setUserState, startPlexPair, twin, userState } from '../support/plex-pair.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=3';
const SEED = 'readme-numbers';
/** Injected on the target so that writes in flight overlap visibly in its request log. */
const LATENCY_MS = 150;
const log = createLogger({ level: 'silent' });
const nowS = (): number => Math.floor(Date.now() / 1000);

async function injectLatency(url: string, latencyMs: number): Promise<void> {
  const res = await request(`${url}/__emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ latencyMs, rules: [] }),
    headers: { 'content-type': 'application/json' },
  });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
}

/**
 * The most writes answered within any span shorter than the injected latency. A write answered
 * at t was sent before t - latency, so writes answered within one such span were all in flight
 * at once: this never exceeds the real concurrency, and reaches it when writes start together.
 */
function mostAnsweredWithinLatency(times: number[], latencyMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) - (sorted[i] as number) < latencyMs * 0.9) j++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/** A Plex source (owner) with `n` films in progress, each paused at a different time, newest first in the list. */
async function plexSourceWithFilms(name: string, n: number): Promise<{ plex: RunningPlexEmulator; imdbAt: Map<string, number> }> {
  const plex = await startPlexEmulator({ name, synthetic: LIBRARY, seed: SEED, quiet: true });
  const films = plex.state.items.filter((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://'))).slice(0, n);
  assert.equal(films.length, n);
  const imdbAt = new Map<string, number>();
  // Newest first, so that writing in list order would be the wrong order.
  films.forEach((film, i) => {
    const at = nowS() - 600 - i * 60;
    plex.state.userState['1'] = { ...plex.state.userState['1'], [film.ratingKey]: { viewOffset: Math.round((film.durationMs ?? 0) * 0.4), lastViewedAt: at } };
    imdbAt.set(film.guids.find((g) => g.startsWith('imdb://'))?.slice(7) ?? '', at);
  });
  return { plex, imdbAt };
}

function oneWayYaml(source: string, target: string): string {
  return ['providers:', `  src: ${source}`, `  dst: ${target}`, 'pairs:', '  - { name: p, source: src, target: dst }', 'state: { path: ":memory:" }', ''].join(
    '\n',
  );
}

async function syncOnce(yaml: string, prepare?: (store: Store) => void) {
  const config = parseConfig(yaml, 'readme-numbers.yaml', {});
  const store = Store.open(':memory:');
  try {
    prepare?.(store);
    const [outcome] = await runAll({ config, store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
    assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : 'no pair ran');
    return outcome.result;
  } finally {
    store.close();
  }
}

describe('README: write order and concurrency', () => {
  test('Plex target: oldest source time first, one write at a time', async () => {
    const p = await startPlexPair({ synthetic: LIBRARY, seed: SEED });
    try {
      const films = items(p.source, 'movie').slice(0, 6);
      // Newest first in the list, so that list order would be the wrong order.
      const timeOf = new Map(films.map((film, i) => [film.title, nowS() - 600 - i * 60]));
      for (const film of films) progressOn(p.source, film, 0.4, timeOf.get(film.title));
      await injectLatency(p.target.url, LATENCY_MS);
      const result = await p.sync();
      assert.equal(result.counts.write, 6);
      const writes = p.target.requests.filter((r) => r.method === 'POST' && r.path === '/:/timeline');
      assert.equal(writes.length, 6);
      const titleOf = (ratingKey: string | undefined) => p.target.state.items.find((i) => i.ratingKey === ratingKey)?.title ?? '';
      const sourceTimes = writes.map((w) => timeOf.get(titleOf(w.query.ratingKey)) ?? Number.NaN);
      assert.deepEqual(
        sourceTimes,
        [...sourceTimes].sort((a, b) => a - b),
        'oldest source time first',
      );
      assert.equal(
        mostAnsweredWithinLatency(
          writes.map((w) => w.at),
          LATENCY_MS,
        ),
        1,
        'one write at a time',
      );
      for (let i = 1; i < writes.length; i++)
        assert.ok((writes[i]?.at ?? 0) - (writes[i - 1]?.at ?? 0) >= LATENCY_MS * 0.9, 'each write waits for the one before');
    } finally {
      await p.close();
    }
  });

  test('Jellyfin target: writes in parallel, at most max_concurrent_writes (default 4) at once', async () => {
    const { plex } = await plexSourceWithFilms('numbers-jf-src', 8);
    const jellyfin = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'numbers-jf', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = jellyfin.users.find((u) => u.name === 'alice');
      assert.ok(alice);
      await injectLatency(jellyfin.url, LATENCY_MS);
      const writesOf = () => jellyfin.requests.filter((r) => r.method === 'POST' && /\/UserData$/.test(r.path));
      const source = `{ kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`;

      const byDefault = await syncOnce(oneWayYaml(source, `{ kind: jellyfin, url: ${jellyfin.url}, token: ${alice.token} }`));
      assert.equal(byDefault.counts.write, 8);
      assert.equal(writesOf().length, 8);
      assert.equal(
        mostAnsweredWithinLatency(
          writesOf().map((w) => w.at),
          LATENCY_MS,
        ),
        4,
        'max_concurrent_writes defaults to 4',
      );

      // Another run with a lower limit: newer, further positions, so that all 8 are written again.
      for (const state of Object.values(plex.state.userState['1'] ?? {})) {
        state.viewOffset = Math.round((state.viewOffset ?? 0) * 1.2);
        state.lastViewedAt = (state.lastViewedAt ?? nowS()) + 60;
      }
      const before = writesOf().length;
      const limited = await syncOnce(oneWayYaml(source, `{ kind: jellyfin, url: ${jellyfin.url}, token: ${alice.token}, max_concurrent_writes: 2 }`));
      assert.equal(limited.counts.write, 8);
      assert.equal(
        mostAnsweredWithinLatency(
          writesOf()
            .slice(before)
            .map((w) => w.at),
          LATENCY_MS,
        ),
        2,
        'max_concurrent_writes: 2',
      );
    } finally {
      await Promise.all([plex.close(), jellyfin.close()]);
    }
  });

  test('Trakt target: oldest source time first, one at a time, at least a second apart', async () => {
    const { plex, imdbAt } = await plexSourceWithFilms('numbers-trakt-src', 3);
    const trakt = await startTraktEmulator({ name: 'numbers-trakt', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = trakt.users.find((u) => u.username === 'alice');
      assert.ok(alice);
      const yaml = oneWayYaml(
        `{ kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`,
        `{ kind: trakt, client_id: ${trakt.clientId}, client_secret: ${trakt.clientSecret}, url: ${trakt.url}, auth_url: ${trakt.url} }`,
      );
      const result = await syncOnce(yaml, (store) =>
        saveTokens(store.providerState('dst'), { accessToken: alice.accessToken, refreshToken: alice.refreshToken, expiresAt: Date.now() + 7 * 86_400_000 }),
      );
      assert.equal(result.counts.write, 3);
      const writes = trakt.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/scrobble/'));
      assert.equal(writes.length, 3);
      for (let i = 1; i < writes.length; i++) assert.ok((writes[i]?.at ?? 0) - (writes[i - 1]?.at ?? 0) >= 1000, 'writes at least a second apart');
      // Trakt stamps "now" on each paused position: their order is the write order.
      const imdbOf = (traktId: number) => trakt.state.movies.find((m) => m.ids.trakt === traktId)?.ids.imdb ?? '';
      const written = [...(trakt.state.playback.alice ?? [])].sort((a, b) => Date.parse(a.paused_at) - Date.parse(b.paused_at));
      const sourceTimes = written.map((entry) => imdbAt.get(imdbOf(entry.item)) ?? Number.NaN);
      assert.equal(sourceTimes.length, 3);
      assert.deepEqual(
        sourceTimes,
        [...sourceTimes].sort((a, b) => a - b),
        'oldest source time first',
      );
    } finally {
      await Promise.all([plex.close(), trakt.close()]);
    }
  });
});

describe('README: `plan` and `--dry-run` change nothing, not even the state file', () => {
  test('no state file: plan and sync --dry-run create none; an existing one keeps its bytes and mtime', async () => {
    const plex = await startPlexEmulator({ name: 'numbers-plan-src', synthetic: LIBRARY, seed: SEED, quiet: true });
    const target = await startPlexEmulator({ name: 'numbers-plan-dst', synthetic: LIBRARY, seed: SEED, quiet: true });
    const dir = mkdtempSync(join(tmpdir(), 'playhead-readme-'));
    try {
      const film = plex.state.items.find((i) => i.type === 'movie' && i.guids.length > 0);
      assert.ok(film);
      plex.state.userState['1'] = { [film.ratingKey]: { viewOffset: Math.round((film.durationMs ?? 0) * 0.4), lastViewedAt: nowS() - 600 } };
      const statePath = join(dir, 'state', 'playhead.db');
      const configPath = join(dir, 'playhead.yaml');
      const yaml = oneWayYaml(
        `{ kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`,
        `{ kind: plex, url: ${target.url}, token: ${target.ownerToken} }`,
      ).replace('state: { path: ":memory:" }', `state: { path: ${JSON.stringify(statePath)} }`);
      writeFileSync(configPath, yaml, { mode: 0o600 });
      const files = () => readdirSync(dir, { recursive: true }).map(String).sort();

      for (const args of [['plan'], ['sync', '--dry-run']]) {
        const r = await playhead(['--config', configPath, '--json', ...args], {});
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual((JSON.parse(r.stdout) as { runs: { counts: Record<string, number> }[] }).runs[0]?.counts, { write: 1 });
        assert.deepEqual(files(), ['playhead.yaml'], `${args.join(' ')} created no file (not even the state directory)`);
      }

      const synced = await playhead(['--config', configPath, 'sync'], {});
      assert.equal(synced.code, 0, synced.stderr);
      assert.ok(existsSync(statePath));
      const before = { files: files(), bytes: readFileSync(statePath), mtimeMs: statSync(statePath).mtimeMs };
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const args of [['plan'], ['sync', '--dry-run']]) {
        const r = await playhead(['--config', configPath, '--json', ...args], {});
        assert.equal(r.code, 0, r.stderr);
        // It read the stored state: the position written by the sync is now unchanged.
        assert.deepEqual((JSON.parse(r.stdout) as { runs: { counts: Record<string, number> }[] }).runs[0]?.counts, { unchanged: 1 });
        assert.deepEqual(files(), before.files, `${args.join(' ')} created no file`);
        assert.ok(readFileSync(statePath).equals(before.bytes), `${args.join(' ')} left the state file's bytes alone`);
        assert.equal(statSync(statePath).mtimeMs, before.mtimeMs, `${args.join(' ')} left the state file's mtime alone`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await Promise.all([plex.close(), target.close()]);
    }
  });
  test('a dry run while another process holds the state open sees its latest changes and adds no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'playhead-readme-'));
    const path = join(dir, 'playhead.db');
    const writer = Store.open(path);
    try {
      writer.db.pragma('wal_autocheckpoint = 0');
      writer.setKv('probe', 'in the WAL only');
      const files = readdirSync(dir).sort();
      assert.deepEqual(files, ['playhead.db', 'playhead.db-shm', 'playhead.db-wal']);
      const copy = Store.openCopy(path);
      assert.equal(copy.getKv('probe'), 'in the WAL only');
      copy.setKv('probe', 'changed in the copy');
      copy.close();
      assert.equal(writer.getKv('probe'), 'in the WAL only', 'the copy is in memory');
      assert.deepEqual(readdirSync(dir).sort(), files);
    } finally {
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README: reads', () => {
  test('Plex resumable items are read 200 a page', async () => {
    const p = await startPlexPair({ synthetic: 'movies=201,shows=1,seasons=1,episodes=1', seed: SEED });
    try {
      const films = items(p.source, 'movie');
      const pagesRead = async () => {
        const from = p.source.requests.length;
        await p.sync({ dryRun: true });
        return p.source.requests.slice(from).filter(
          // The resumable listing (`viewOffset>>=0`); the finished read (`lastViewedAt>>=`) is apart.
          (r) => /^\/library\/sections\/[^/]+\/all$/.test(r.path) && r.query.type === '1' && 'viewOffset>>' in r.query,
        ).length;
      };
      for (const film of films.slice(0, 200)) progressOn(p.source, film, 0.4);
      assert.equal(await pagesRead(), 1, '200 films in progress: one page');
      assert.equal(films.length, 201);
      progressOn(p.source, films[200]!, 0.4);
      assert.equal(await pagesRead(), 2, '201 films in progress: two pages');
    } finally {
      await p.close();
    }
  });
  test('Jellyfin target state is read in batches of 100 ids', async () => {
    const library = 'movies=101,shows=1,seasons=1,episodes=1';
    const plex = await startPlexEmulator({ name: 'numbers-batch-src', synthetic: library, seed: SEED, quiet: true });
    const jellyfin = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'numbers-batch', synthetic: library, seed: SEED, quiet: true });
    try {
      const films = plex.state.items.filter((i) => i.type === 'movie');
      plex.state.userState['1'] = Object.fromEntries(
        films.map((f) => [f.ratingKey, { viewOffset: Math.round((f.durationMs ?? 0) * 0.4), lastViewedAt: nowS() - 600 }]),
      );
      const alice = jellyfin.users.find((u) => u.name === 'alice');
      assert.ok(alice);
      const config = parseConfig(
        oneWayYaml(`{ kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`, `{ kind: jellyfin, url: ${jellyfin.url}, token: ${alice.token} }`),
        'batch.yaml',
        {},
      );
      const store = Store.open(':memory:');
      try {
        const [outcome] = await runAll({ config, store, log, dryRun: true, providerOptions: { minBackoffMs: 1 } });
        assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : 'no pair ran');
        const matched = outcome.result.decisions.filter((d) => d.reason === 'write').length;
        assert.ok(matched > 100, `more than 100 items reach the target (${matched})`);
      } finally {
        store.close();
      }
      const batches = jellyfin.requests.filter((r) => r.query.Ids !== undefined).map((r) => (r.query.Ids ?? '').split(',').length);
      assert.equal(Math.max(...batches), 100, `id batches: ${batches.join(', ')}`);
    } finally {
      await Promise.all([plex.close(), jellyfin.close()]);
    }
  });
});

describe('README: retries', () => {
  const NOW = 1_800_000_000_000;
  const MINUTE = 60_000;
  const DAY = 24 * 60 * MINUTE;

  test('an unresolved item is tried every run for 3 runs, then after 15 min doubling up to a day', () => {
    for (const attempts of [1, 2, 3]) assert.deepEqual(nextTry('unresolved', attempts, NOW), { nextAt: NOW, parked: false });
    assert.equal(nextTry('unresolved', 4, NOW).nextAt, NOW + 15 * MINUTE);
    assert.equal(nextTry('unresolved', 5, NOW).nextAt, NOW + 30 * MINUTE);
    assert.equal(nextTry('unresolved', 10, NOW).nextAt, NOW + 16 * 60 * MINUTE);
    assert.equal(nextTry('unresolved', 11, NOW).nextAt, NOW + DAY, 'capped at a day');
    assert.equal(nextTry('unresolved', 100, NOW).parked, false, 'never parked');
  });

  test('an item whose write fails 5 runs in a row is parked for a day', () => {
    for (const attempts of [1, 2, 3, 4]) assert.deepEqual(nextTry('failed', attempts, NOW), { nextAt: NOW, parked: false });
    assert.deepEqual(nextTry('failed', 5, NOW), { nextAt: NOW + DAY, parked: true });
  });
});

describe('README: configuration defaults', () => {
  test('the defaults README lists', () => {
    const yaml = [
      'providers:',
      '  plex: { kind: plex, url: "http://plex.invalid:32400", token: t }',
      '  jellyfin: { kind: jellyfin, url: "http://jellyfin.invalid:8096", token: t }',
      '  trakt: { kind: trakt, client_id: a, client_secret: b }',
      'pairs:',
      '  - { name: p, source: plex, target: jellyfin }',
      '  - { name: q, source: plex, target: trakt }',
      '',
    ].join('\n');
    const config = parseConfig(yaml, 'defaults.yaml', {});
    assert.equal(config.pairs[0]?.mode, 'one-way', 'mode: one-way');
    const progress = config.pairs[0]?.features.progress;
    assert.deepEqual([progress?.enable, progress?.add, progress?.replay, progress?.remove], [true, true, false, false], 'enable, add, replay, remove');
    assert.equal(progress?.minSeconds, 60, 'min_seconds: 60');
    assert.equal(progress?.deltaSeconds, 30, 'delta_seconds: 30');
    assert.equal(progress?.maxPercent, 95, 'max_percent: 95');
    assert.equal(progress?.toleranceSeconds, 30, 'timestamp_tolerance_seconds: 30');
    const { plex, jellyfin, trakt } = config.providers;
    assert.ok(plex?.kind === 'plex' && jellyfin?.kind === 'jellyfin' && trakt?.kind === 'trakt');
    for (const p of [plex, jellyfin, trakt]) {
      assert.equal(p.timeoutMs, 15_000, 'timeout_seconds (15)');
      assert.equal(p.retries, 3, 'retries (3)');
    }
    assert.equal(plex.maxConcurrentWrites, 4, 'max_concurrent_writes (4)');
    assert.equal(jellyfin.maxConcurrentWrites, 4, 'max_concurrent_writes (4)');
    assert.equal(trakt.writesPerSecond, 1, 'writes_per_second (default 1)');
    assert.equal(trakt.url, 'https://api.trakt.tv');
    assert.equal(trakt.authUrl, 'https://api.trakt.tv');
  });
});

describe('README: decisions', () => {
  test("exactly 60 s is written, 59 s is below_minimum; past Plex's 90 % a position is written 0.5 % below it", async () => {
    const p = await startPlexPair({ synthetic: LIBRARY, seed: SEED });
    try {
      const [sixty, fiftyNine, late] = items(p.source, 'movie');
      assert.ok(sixty && fiftyNine && late);
      setUserState(p.source, sixty.ratingKey, { viewOffset: 60_000, lastViewedAt: nowS() - 600 });
      setUserState(p.source, fiftyNine.ratingKey, { viewOffset: 59_000, lastViewedAt: nowS() - 600 });
      progressOn(p.source, late, 0.92);
      const result = await p.sync();
      const reasonOf = (title: string) => result.decisions.find((d) => d.title === title)?.reason;
      assert.equal(reasonOf(sixty.title), 'write');
      assert.equal(reasonOf(fiftyNine.title), 'below_minimum');
      assert.equal(reasonOf(late.title), 'capped');
      const written = userState(p.target, twin(p.source, p.target, late.ratingKey).ratingKey);
      const duration = late.durationMs ?? 0;
      assert.ok(Math.abs((written?.viewOffset ?? 0) - duration * 0.895) <= 1000, `capped at 89.5 % (got ${written?.viewOffset} of ${duration})`);
      assert.equal(written?.viewCount ?? 0, 0, 'not marked watched');
    } finally {
      await p.close();
    }
  });
});

describe('README: exit codes', () => {
  test('1 when a pair cannot run, 2 (winning over 1) when a token is refused', async () => {
    const plex = await startPlexEmulator({ name: 'numbers-exit', synthetic: LIBRARY, seed: SEED, quiet: true });
    const dir = mkdtempSync(join(tmpdir(), 'playhead-readme-'));
    try {
      const closed = 'http://127.0.0.1:9';
      const write = (name: string, dst: string, extra = '') => {
        const path = join(dir, name);
        const yaml = [
          'providers:',
          `  src: { kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`,
          `  dst: ${dst}`,
          extra,
          'pairs:',
          '  - { name: p, source: src, target: dst }',
          ...(extra ? ['  - { name: q, source: src, target: bad }'] : []),
          `state: { path: ${JSON.stringify(join(dir, 'state.db'))} }`,
          '',
        ].join('\n');
        writeFileSync(path, yaml, { mode: 0o600 });
        return path;
      };
      const unreachable = `{ kind: plex, url: ${closed}, token: t, retries: 0, timeout_seconds: 2 }`;
      const down = await playhead(['--config', write('down.yaml', unreachable), 'sync'], {});
      assert.equal(down.code, 1, down.stderr);
      const refused = await playhead(['--config', write('both.yaml', unreachable, `  bad: { kind: plex, url: ${plex.url}, token: not-a-token }`), 'sync'], {});
      assert.equal(refused.code, 2, refused.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await plex.close();
    }
  });
});

describe('README: clears', () => {
  test('a source list that lost more than half its items (of at least 20) signals no clears', () => {
    assert.equal(suspiciousShrink(20, 9), true, '20 → 9: more than half lost');
    assert.equal(suspiciousShrink(20, 10), false, '20 → 10: exactly half is trusted');
    assert.equal(suspiciousShrink(19, 0), false, 'under 20 items, a shrink is not judged');
  });
});

describe('README: Trakt tokens', () => {
  test('are refreshed a day before they expire, not earlier', async () => {
    const { plex } = await plexSourceWithFilms('numbers-refresh-src', 1);
    const trakt = await startTraktEmulator({ name: 'numbers-refresh', synthetic: LIBRARY, seed: SEED, quiet: true });
    try {
      const alice = trakt.users.find((u) => u.username === 'alice');
      assert.ok(alice);
      const yaml = oneWayYaml(
        `{ kind: plex, url: ${plex.url}, token: ${plex.ownerToken} }`,
        `{ kind: trakt, client_id: ${trakt.clientId}, client_secret: ${trakt.clientSecret}, url: ${trakt.url}, auth_url: ${trakt.url} }`,
      );
      const HOUR = 3_600_000;
      const refreshes = () => trakt.requests.filter((r) => r.path === '/oauth/token').length;
      const tokensExpiringIn = (ms: number) => (store: Store) =>
        saveTokens(store.providerState('dst'), { accessToken: alice.accessToken, refreshToken: alice.refreshToken, expiresAt: Date.now() + ms });
      await syncOnce(yaml, tokensExpiringIn(25 * HOUR));
      assert.equal(refreshes(), 0, 'expiring in 25 h: kept');
      await syncOnce(yaml, tokensExpiringIn(23 * HOUR));
      assert.equal(refreshes(), 1, 'expiring in 23 h: refreshed');
    } finally {
      await Promise.all([plex.close(), trakt.close()]);
    }
  });
});
