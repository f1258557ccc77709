// Item-scoped runs of two-way pairs over real HTTP: for the items an event names (on either
// side), the run reads them by id, finds each one's copy on the other side through the stored id
// index, and decides exactly what a full run decides for those items: the same direction, the
// same skips, the same conflict. Then it writes what it decided, like a full run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { TypedDecision } from '../../src/core/pipeline.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult, ScopedItem } from '../../src/engine/run-pair.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { Store } from '../../src/store/store.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES, type Kind } from '../harness/index.ts';

const LIBRARY = 'movies=30,shows=2,seasons=2,episodes=4';
const log = pino({ level: 'silent' });
const MINUTE = 60_000;

function twinIn(side: Harness, item: TestItem): TestItem {
  const key = canonicalKey(item);
  const t = [...side.movies(), ...side.episodes()].find((x) => canonicalKey(x) === key);
  assert.ok(t, `${item.title} on ${side.kind}`);
  return t;
}

/** What a decision says, for comparing two runs' verdicts on one item. */
const verdict = (d: TypedDecision) => ({ key: d.key, action: d.action, reason: d.reason, direction: d.detail?.direction });
const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);

for (const [kindA, kindB] of [
  ['plex', 'jellyfin'],
  ['emby', 'plex'],
] as [Kind, Kind][]) {
  describe(`item-scoped runs of a two-way ${kindA} ⇄ ${kindB} pair`, () => {
    let a: Harness;
    let b: Harness;
    let store: Store;
    let config: Config;
    let films: TestItem[];

    const run = async (dryRun: boolean, items?: ScopedItem[]): Promise<RunResult> => {
      const [o] = await runAll({ config, store, log, dryRun, pair: 'both', providerOptions: { minBackoffMs: 1 }, ...(items ? { items } : {}) });
      assert.ok(o?.ok, o && !o.ok ? o.error.message : 'the pair ran');
      return o.result;
    };
    /** The native id a side lists an item under (as its trigger would name it). */
    const nativeIdOn = async (side: 'a' | 'b', item: TestItem): Promise<ScopedItem> => {
      const provider = createProvider(side, config.providers[side]!, {
        state: store.providerState(side),
        installationId: 'test',
        log,
        now: Date.now,
        dryRun: true,
      });
      try {
        for await (const page of provider.listProgress()) {
          const found = page.find((r) => canonicalKey(r) === canonicalKey(item));
          if (found) return { provider: side, nativeId: found.ref.id };
        }
      } finally {
        await provider.close();
      }
      assert.fail(`${item.title} is not listed on ${side}`);
    };

    before(async () => {
      a = await HARNESSES[kindA](`twi-${kindA}-a`, LIBRARY);
      b = await HARNESSES[kindB](`twi-${kindB}-b`, LIBRARY);
      store = Store.open(':memory:');
      config = {
        providers: { a: a.config(), b: b.config() },
        pairs: [{ name: 'both', source: 'a', target: 'b', mode: 'two-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
        state: { path: ':memory:' },
        logLevel: 'silent',
      };
      films = a.movies().filter((m) => canonicalKey(m) && b.movies().some((x) => canonicalKey(x) === canonicalKey(m)));
      assert.ok(films.length >= 6);
      // Known to both sides: a full run syncs them, one each way, so it builds both id indexes.
      for (const [i, film] of films.slice(0, 4).entries()) await a.setProgress(film, 0.2 + i * 0.05, Date.now() - 60 * MINUTE);
      await b.setProgress(twinIn(b, films[4]!), 0.4, Date.now() - 60 * MINUTE);
      assert.equal((await run(false)).counts.write, 5);
    });

    after(async () => {
      store.close();
      await Promise.all([a.close(), b.close()]);
    });

    test('an item run decides what a full run decides for its items, reading only them', async () => {
      const [aMoved, bMoved, bNewer, quiet, reportedByB, fresh] = films;
      const now = Date.now();
      await a.setProgress(aMoved!, 0.5, now - 5 * MINUTE);
      await b.setProgress(twinIn(b, bMoved!), 0.6, now - 5 * MINUTE);
      // Both moved, B later: the target of A's event is newer, so nothing goes to B.
      await a.setProgress(bNewer!, 0.3, now - 10 * MINUTE);
      await b.setProgress(twinIn(b, bNewer!), 0.7, now - 2 * MINUTE);
      // Moved on A, but B's trigger is the one that reported it.
      await a.setProgress(reportedByB!, 0.45, now - 3 * MINUTE);
      // New on B: A has never had it.
      await b.setProgress(twinIn(b, fresh!), 0.35, now - 4 * MINUTE);
      const scope = [
        await nativeIdOn('a', aMoved!),
        await nativeIdOn('b', bMoved!),
        await nativeIdOn('a', bNewer!),
        await nativeIdOn('a', quiet!),
        await nativeIdOn('b', reportedByB!),
        await nativeIdOn('b', fresh!),
      ];
      const requests = () => a.requestCount('/') + b.requestCount('/');
      const plex = kindA === 'plex' ? a : b;
      const before = { all: requests(), plexListings: plex.requestCount(plex.listingPath) };
      const scoped = await run(true, scope);
      // Per side: the reported items by id, their copies by id, the live states, who is playing.
      assert.ok(requests() - before.all <= 8, `${requests() - before.all} requests`);
      assert.equal(plex.requestCount(plex.listingPath), before.plexListings, 'Plex is not listed');
      const keys = new Set(scoped.decisions.map((d) => d.key));
      assert.equal(keys.size, 7, `six items and one conflict: ${JSON.stringify(scoped.decisions.map(verdict))}`);
      const full = (await run(true)).decisions.filter((d) => keys.has(d.key));
      assert.deepEqual(scoped.decisions.map(verdict).sort(byKey), full.map(verdict).sort(byKey));
      const of = (item: TestItem) => scoped.decisions.find((d) => d.key === canonicalKey(item));
      assert.equal(of(aMoved!)?.detail?.direction, 'a → b');
      assert.equal(of(bMoved!)?.detail?.direction, 'b → a');
      assert.equal(of(bNewer!)?.detail?.direction, 'b → a', 'B is newer: written to A, not to B');
      assert.equal(scoped.decisions.find((d) => d.key === `${canonicalKey(bNewer!)}#conflict`)?.reason, 'conflict_lost');
      assert.equal(of(quiet!)?.action, 'skip');
      assert.equal(of(reportedByB!)?.detail?.direction, 'a → b');
      assert.equal(of(fresh!)?.detail?.direction, 'b → a');

      // For real: the run writes what it decided, and a full run after it has nothing left to do.
      const real = await run(false, scope);
      assert.equal(real.status, 'ok');
      assert.equal(real.stats.writes, 5, JSON.stringify(real.decisions.map(verdict)));
      const after = await run(false);
      assert.equal((after.counts.write ?? 0) + (after.counts.capped ?? 0), 0, JSON.stringify(after.decisions.filter((d) => d.action !== 'skip').map(verdict)));
    });
  });
}
