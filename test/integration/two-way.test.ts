// Two-way pairs over real HTTP: each side's new positions reach the other, our own writes are
// never sent back (10 quiet runs, 0 writes), the newer side wins a conflict and the loser is
// reported, and a skewed server clock does not block a real change.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { canonicalKey } from '../../src/core/ids.ts';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { Store } from '../../src/store/store.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES, type Kind } from '../harness/index.ts';
import { twinIn } from '../support/kind-pair.ts';

const LIBRARY = 'movies=30,shows=2,seasons=2,episodes=4';
// Every unordered pair of kinds.
const COMBINATIONS: [Kind, Kind][] = [
  ['plex', 'jellyfin'],
  ['jellyfin', 'emby'],
  ['plex', 'trakt'],
  ['emby', 'plex'],
  ['jellyfin', 'trakt'],
  ['trakt', 'emby'],
];

async function fraction(side: Harness, item: TestItem): Promise<number | undefined> {
  const p = await side.progressOf(item);
  if (!p) return undefined;
  return p.ms !== undefined ? p.ms / item.durationMs : (p.pct ?? 0) / 100;
}

/** Two emulators of the given kinds in one two-way pair, a fresh state, and a run function. */
async function twoWayPair(kindA: Kind, kindB: Kind, name: string, progress: Partial<ProgressSettings> = {}) {
  const a = await HARNESSES[kindA](`${name}-a`, LIBRARY);
  const b = await HARNESSES[kindB](`${name}-b`, LIBRARY);
  const store = Store.open(':memory:');
  a.prepareStore?.(store, 'a', true);
  b.prepareStore?.(store, 'b', true);
  const config: Config = {
    providers: { a: a.config(), b: b.config() },
    pairs: [{ name: 'both', source: 'a', target: 'b', mode: 'two-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS, ...progress } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
  const run = async (): Promise<RunResult> => {
    const [o] = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
    assert.ok(o, 'the pair ran');
    if (!o.ok) throw o.error;
    return o.result;
  };
  const close = async () => {
    store.close();
    await Promise.all([a.close(), b.close()]);
  };
  return { a, b, store, run, close };
}

for (const [kindA, kindB] of COMBINATIONS) {
  describe(`two-way ${kindA} ⇄ ${kindB}`, () => {
    let a: Harness;
    let b: Harness;
    let shared: TestItem[];
    let run: () => Promise<RunResult>;
    let close: () => Promise<void>;
    const writes = (r: RunResult) => (r.counts.write ?? 0) + (r.counts.capped ?? 0);
    const now = () => Date.now();

    before(async () => {
      ({ a, b, run, close } = await twoWayPair(kindA, kindB, `tw-${kindA}-${kindB}`));
      shared = a.movies().filter((m) => canonicalKey(m) && [...b.movies()].some((x) => canonicalKey(x) === canonicalKey(m)));
      assert.ok(shared.length >= 4);
    });
    after(async () => close());

    test('each side’s positions reach the other', async () => {
      await a.setProgress(shared[0]!, 0.3, now() - 3_600_000);
      await b.setProgress(twinIn(b, shared[1]!), 0.5, now() - 3_000_000);
      const first = await run();
      assert.equal(first.status, 'ok', JSON.stringify(first.decisions));
      assert.equal(writes(first), 2);
      assert.ok(Math.abs((await fraction(b, twinIn(b, shared[0]!)))! - 0.3) < 0.002);
      assert.ok(Math.abs((await fraction(a, shared[1]!))! - 0.5) < 0.002);
    });

    test('no echo: 10 runs without changes write nothing', async () => {
      for (let i = 0; i < 10; i++) {
        const r = await run();
        assert.equal(writes(r), 0, `run ${i + 2}: ${JSON.stringify(r.counts)}`);
      }
    });

    test('a later play on one side is written to the other, and only there', async () => {
      await b.setProgress(twinIn(b, shared[0]!), 0.6, now() - 60_000);
      const r = await run();
      assert.equal(writes(r), 1, JSON.stringify(r.counts));
      const d = r.decisions.find((x) => x.key === canonicalKey(shared[0]!));
      assert.equal(d?.detail?.direction, 'b → a');
      assert.ok(Math.abs((await fraction(a, shared[0]!))! - 0.6) < 0.002);
      assert.equal(writes(await run()), 0, 'and then it is quiet again');
    });

    test('both sides moved: the newer wins and the other is reported as conflict_lost', async () => {
      await a.setProgress(shared[2]!, 0.4, now() - 600_000);
      await b.setProgress(twinIn(b, shared[2]!), 0.7, now() - 120_000);
      // First run: both are new to us, so both "moved".
      const r = await run();
      const key = canonicalKey(shared[2]!);
      const lost = r.decisions.find((x) => x.key === `${key}#conflict`);
      assert.equal(lost?.reason, 'conflict_lost');
      assert.equal(lost?.detail?.lost, 'a');
      assert.ok(Math.abs((await fraction(a, shared[2]!))! - 0.7) < 0.002);
    });

    test('a rewind on one side is written even though the other side is further along', async () => {
      await a.setProgress(shared[1]!, 0.2, now() - 30_000);
      const r = await run();
      assert.equal(writes(r), 1, JSON.stringify(r.decisions.filter((d) => d.action !== 'skip' || d.reason !== 'unchanged')));
      assert.ok(Math.abs((await fraction(b, twinIn(b, shared[1]!)))! - 0.2) < 0.002);
    });
  });
}

describe('two-way with a skewed clock', () => {
  for (const skewMinutes of [5, -5]) {
    test(`a server whose clock is ${Math.abs(skewMinutes)} minutes ${skewMinutes > 0 ? 'fast' : 'slow'} does not decide who is newer`, async () => {
      const { a, b, run, close } = await twoWayPair('plex', 'jellyfin', `skew${skewMinutes}`);
      try {
        const skew = skewMinutes * 60_000;
        const movie = a.movies()[0]!;
        const onB = twinIn(b, movie);
        // B's clock is off: it reports its times shifted by the skew.
        await b.setProgress(onB, 0.5, Date.now() - 600_000 + skew);
        await run();
        // A person then watches on A (right clock): the real newest event, written to B.
        await a.setProgress(movie, 0.25, Date.now() - 5_000);
        const toB = await run();
        assert.equal(toB.counts.write, 1, JSON.stringify(toB.decisions));
        assert.ok(Math.abs((await fraction(b, onB))! - 0.25) < 0.002);
        // Later someone watches on B (skewed clock again): written to A.
        await b.setProgress(onB, 0.45, Date.now() + skew);
        const toA = await run();
        assert.equal(toA.counts.write, 1, JSON.stringify(toA.decisions));
        assert.ok(Math.abs((await fraction(a, movie))! - 0.45) < 0.002);
      } finally {
        await close();
      }
    });
  }
});

describe('two-way with items known by different ids on each side', () => {
  test('an item with only a tmdb id on one side is the same item as its imdb+tmdb twin: synced once, and a position removed on one side is not written back', async () => {
    const { a, b, run, close } = await twoWayPair('plex', 'jellyfin', 'ids');
    try {
      const movie = a.movies().find((m) => m.ids.imdb && m.ids.tmdb)!;
      const onB = twinIn(b, movie);
      // Jellyfin only knows the tmdb id of this film.
      assert.ok(b.setIds && b.clearProgress);
      await b.setIds(onB, { Tmdb: movie.ids.tmdb! });
      await b.setProgress(onB, 0.4, Date.now() - 600_000);
      const first = await run();
      assert.equal(first.counts.write, 1, JSON.stringify(first.decisions));
      assert.ok(Math.abs((await fraction(a, movie))! - 0.4) < 0.002, 'reached Plex under its imdb+tmdb identity');
      const second = await run();
      assert.deepEqual(second.counts, { same_origin: 1 }, 'one item, not two: our own write is recognised, no echo, no conflict');
      // The person removes it from Continue Watching on Jellyfin: not written back.
      await b.clearProgress(onB);
      const after = await run();
      assert.equal(after.counts.write ?? 0, 0, JSON.stringify(after.decisions));
      assert.equal(await b.progressOf(onB), undefined);
    } finally {
      await close();
    }
  });
});

describe('two-way clears (remove: true)', () => {
  test('a position cleared explicitly on one side is cleared on the other; dropped without a signal it stays', async () => {
    const { a, b, run, close } = await twoWayPair('plex', 'jellyfin', 'clr', { remove: true });
    try {
      const [cleared, quiet] = a.movies();
      await b.setProgress(twinIn(b, cleared!), 0.4, Date.now() - 3_600_000);
      await b.setProgress(twinIn(b, quiet!), 0.5, Date.now() - 3_600_000);
      assert.equal((await run()).counts.write, 2);
      assert.ok(await a.progressOf(cleared!));
      // On Jellyfin: one removed explicitly (a newer time, no position), one just gone from the list.
      assert.ok(b.clearProgress);
      await b.setProgress(twinIn(b, cleared!), 0, Date.now() - 60_000);
      await b.clearProgress(twinIn(b, quiet!));
      const r = await run();
      const d = r.decisions.find((x) => x.key === canonicalKey(cleared!));
      assert.equal(d?.action, 'clear', JSON.stringify(r.decisions));
      assert.equal(d?.detail?.confirmed, true);
      assert.equal(await a.progressOf(cleared!), undefined, 'cleared on Plex');
      assert.ok(await a.progressOf(quiet!), 'no signal: Plex keeps it');
      assert.equal((await run()).counts.write ?? 0, 0, 'and then quiet');
    } finally {
      await close();
    }
  });
});
