// Issue 10, defect 1, over real HTTP against the emulators: a sync never trips the target's
// watched point, whatever the runtimes. The target's copy may be a shorter cut, the source may
// have no runtime at all: the cap is decided where the position lands in the TARGET's runtime,
// a position that cannot be placed is skipped (`target_runtime_unknown`), and undo puts back what
// the target held.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import type { Decision } from '../../src/core/model.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { undoRun } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';
import { startMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';

const log = pino({ level: 'silent' });
const LIBRARY = 'movies=16,shows=1,seasons=1,episodes=2';
const SEED = 'watched-point';
const TICKS_PER_MS = 10_000;
/** Both kinds mark an item watched at 90 % (Plex's played threshold, Jellyfin's MaxResumePct). */
const WATCHED_AT = 90;

type Kind = 'plex' | 'jellyfin';

/** One emulator, seen through the few things these tests do to a film, by its imdb id. */
interface Side {
  config: ProviderConfig;
  imdbs(): string[];
  runtime(imdb: string): number | undefined;
  setRuntime(imdb: string, ms: number | undefined): void;
  setPosition(imdb: string, ms: number, atMs: number): void;
  state(imdb: string): { ms: number; watched: boolean };
  close(): Promise<void>;
}

async function startSide(kind: Kind, name: string): Promise<Side> {
  if (kind === 'plex') {
    const emu = await startPlexEmulator({ name, synthetic: LIBRARY, seed: SEED, quiet: true });
    const item = (imdb: string) => {
      const found = emu.state.items.find((i) => i.type === 'movie' && i.guids.includes(`imdb://${imdb}`));
      assert.ok(found, `no ${imdb} on ${name}`);
      return found;
    };
    const owner = () => (emu.state.userState['1'] ??= {});
    return {
      config: { kind: 'plex', url: emu.url, token: emu.ownerToken, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
      imdbs: () =>
        emu.state.items.filter((i) => i.type === 'movie' && i.durationMs).flatMap((i) => i.guids.filter((g) => g.startsWith('imdb://')).map((g) => g.slice(7))),
      runtime: (imdb) => item(imdb).durationMs,
      setRuntime(imdb, ms) {
        const i = item(imdb);
        if (ms === undefined) delete i.durationMs;
        else i.durationMs = ms;
      },
      setPosition: (imdb, ms, at) => void (owner()[item(imdb).ratingKey] = { viewOffset: ms, lastViewedAt: Math.floor(at / 1000) }),
      state(imdb) {
        const s = owner()[item(imdb).ratingKey];
        return { ms: s?.viewOffset ?? 0, watched: (s?.viewCount ?? 0) > 0 };
      },
      close: () => emu.close(),
    };
  }
  const emu = await startMediaBrowserEmulator({ dialect: 'jellyfin', name, synthetic: LIBRARY, seed: SEED, quiet: true });
  const alice = emu.users.find((u) => u.name === 'alice');
  assert.ok(alice);
  const item = (imdb: string) => {
    const found = emu.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdb);
    assert.ok(found, `no ${imdb} on ${name}`);
    return found;
  };
  const data = () => (emu.state.userData[alice.id] ??= {});
  return {
    config: { kind: 'jellyfin', url: emu.url, token: alice.token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
    imdbs: () => emu.state.items.filter((i) => i.Type === 'Movie' && i.RunTimeTicks && i.ProviderIds.Imdb).map((i) => i.ProviderIds.Imdb as string),
    runtime: (imdb) => (item(imdb).RunTimeTicks ?? 0) / TICKS_PER_MS || undefined,
    setRuntime(imdb, ms) {
      const i = item(imdb);
      if (ms === undefined) delete i.RunTimeTicks;
      else i.RunTimeTicks = ms * TICKS_PER_MS;
    },
    setPosition: (imdb, ms, at) =>
      void (data()[item(imdb).Id] = {
        PlaybackPositionTicks: ms * TICKS_PER_MS,
        PlayCount: 0,
        Played: false,
        IsFavorite: false,
        LastPlayedDate: new Date(at).toISOString(),
      }),
    state(imdb) {
      const d = data()[item(imdb).Id];
      return { ms: (d?.PlaybackPositionTicks ?? 0) / TICKS_PER_MS, watched: d?.Played === true };
    },
    close: () => emu.close(),
  };
}

const DIRECTIONS: [Kind, Kind][] = [
  ['plex', 'plex'],
  ['plex', 'jellyfin'],
  ['jellyfin', 'plex'],
];

for (const [from, to] of DIRECTIONS) {
  describe(`the watched point, ${from} → ${to}`, () => {
    let source: Side;
    let target: Side;
    let store: Store;
    let config: Config;
    let sync: RunResult;
    // The films, by imdb id: a shorter cut on the target, no runtime on the source, no runtime
    // on either side, no runtime on the target (a low position), and the target's runtimes.
    const film = { shorter: '', noSourceRuntime: '', neither: '', lowNoTargetRuntime: '' };
    const runtimeOnTarget: Record<string, number> = {};
    const before_: Record<string, number> = {};
    const decisionOf = (imdb: string): Decision => {
      const d = sync.decisions.find((x) => x.key === `imdb:${imdb}`);
      assert.ok(d, `a decision for ${imdb}: ${sync.decisions.map((x) => x.key).join(', ')}`);
      return d;
    };

    before(async () => {
      source = await startSide(from, `wp-${from}-${to}-src`);
      target = await startSide(to, `wp-${from}-${to}-dst`);
      store = Store.open(':memory:');
      config = {
        providers: { src: source.config, dst: target.config },
        pairs: [{ name: 'wp', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
        state: { path: ':memory:' },
        logLevel: 'silent',
      };
      const shared = source.imdbs().filter((i) => target.imdbs().includes(i));
      assert.ok(shared.length >= 4, `films on both servers: ${shared.length}`);
      [film.shorter, film.noSourceRuntime, film.neither, film.lowNoTargetRuntime] = shared as [string, string, string, string];
      const hourAgo = Date.now() - 3_600_000;
      const dayAgo = Date.now() - 86_400_000;

      // 85 % of the source's cut is 96.6 % of the target's, 12 % shorter.
      const full = source.runtime(film.shorter) as number;
      runtimeOnTarget[film.shorter] = Math.round(full * 0.88);
      target.setRuntime(film.shorter, runtimeOnTarget[film.shorter]);
      source.setPosition(film.shorter, Math.round(full * 0.85), hourAgo);

      // The source knows no runtime; the position is 93 % of the target's.
      const targetRuntime = target.runtime(film.noSourceRuntime) as number;
      runtimeOnTarget[film.noSourceRuntime] = targetRuntime;
      source.setPosition(film.noSourceRuntime, Math.round(targetRuntime * 0.93), hourAgo);
      source.setRuntime(film.noSourceRuntime, undefined);

      // Neither side knows a runtime: where 60 % of the old runtime lands is anyone's guess.
      source.setPosition(film.neither, Math.round((source.runtime(film.neither) as number) * 0.6), hourAgo);
      source.setRuntime(film.neither, undefined);
      target.setRuntime(film.neither, undefined);

      // The target knows no runtime, but 30 % of the source's is safely below any watched point.
      source.setPosition(film.lowNoTargetRuntime, Math.round((source.runtime(film.lowNoTargetRuntime) as number) * 0.3), hourAgo);
      target.setRuntime(film.lowNoTargetRuntime, undefined);

      // What the target held before, so undo has something to put back.
      for (const imdb of [film.shorter, film.noSourceRuntime, film.neither]) {
        before_[imdb] = 120_000 + Object.keys(before_).length * 60_000;
        target.setPosition(imdb, before_[imdb], dayAgo);
      }

      const [outcome] = await runAll({ config, store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : 'no outcome');
      sync = outcome.result;
    });
    after(async () => {
      store.close();
      await Promise.all([source?.close(), target?.close()]);
    });

    test("a shorter cut on the target: capped below the watched point in the target's runtime, not marked watched", () => {
      const d = decisionOf(film.shorter);
      assert.deepEqual([d.reason, d.detail?.capAtPercent, d.detail?.writePercent, d.detail?.confirmed], ['capped', WATCHED_AT, 89.5, true], JSON.stringify(d));
      const held = target.state(film.shorter);
      const runtime = runtimeOnTarget[film.shorter] as number;
      assert.equal(held.watched, false, 'not watched on the target');
      assert.ok(Math.abs(held.ms - runtime * 0.895) <= 1000, `${held.ms} ms is 89.5 % of the target's ${runtime} ms`);
      assert.ok(held.ms * 100 < WATCHED_AT * runtime);
    });

    test("no runtime on the source: capped on the target's runtime, not marked watched", () => {
      const d = decisionOf(film.noSourceRuntime);
      assert.deepEqual([d.reason, d.detail?.confirmed], ['capped', true], JSON.stringify(d));
      const held = target.state(film.noSourceRuntime);
      const runtime = runtimeOnTarget[film.noSourceRuntime] as number;
      assert.equal(held.watched, false);
      assert.ok(held.ms > 0 && held.ms * 100 < WATCHED_AT * runtime, `${held.ms} of ${runtime}`);
    });

    test('no runtime on either side: skipped, target_runtime_unknown, the target untouched', () => {
      const d = decisionOf(film.neither);
      assert.equal(d.reason, 'target_runtime_unknown', JSON.stringify(d));
      assert.deepEqual(target.state(film.neither), { ms: before_[film.neither], watched: false });
    });

    test('no runtime on the target, a position safely low: written as is', () => {
      const d = decisionOf(film.lowNoTargetRuntime);
      assert.deepEqual([d.reason, d.detail?.confirmed], ['write', true], JSON.stringify(d));
      assert.equal(target.state(film.lowNoTargetRuntime).watched, false);
    });

    test('undo puts back what the target held, through the same watched-point check', async () => {
      const undone = await undoRun({ config, store, log, runId: sync.runId as number, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.equal(undone.status, 'ok', JSON.stringify(undone.decisions));
      assert.deepEqual(undone.counts, { restore: 3 });
      for (const imdb of [film.shorter, film.noSourceRuntime]) assert.deepEqual(target.state(imdb), { ms: before_[imdb], watched: false }, imdb);
      assert.deepEqual(target.state(film.lowNoTargetRuntime), { ms: 0, watched: false });
      assert.deepEqual(target.state(film.neither), { ms: before_[film.neither], watched: false });
    });
  });
}
