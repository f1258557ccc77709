// Every ordered pair of provider kinds, one-way, over real HTTP against two emulators holding the
// same catalogue under their own native ids: the same decisions and reasons as Plex → Plex, and
// items matched across kinds by external ids only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { canonicalKey } from '../../src/core/ids.ts';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { Store } from '../../src/store/store.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES, type Kind } from '../harness/index.ts';

const LIBRARY = 'movies=30,shows=2,seasons=2,episodes=4';
const KINDS = Object.keys(HARNESSES) as Kind[];

interface Played {
  item: TestItem;
  fraction: number;
}

/** The same item on the other server, by external ids (native ids differ per server). */
function twinIn(target: Harness, item: TestItem): TestItem | undefined {
  const key = canonicalKey(item);
  return [...target.movies(), ...target.episodes()].find((t) => canonicalKey(t) === key);
}

for (const from of KINDS) {
  for (const to of KINDS) {
    if (from === to) continue;
    describe(`${from} → ${to}`, () => {
      let source: Harness;
      let target: Harness;
      let store: Store;
      let config: Config;
      const written: Played[] = [];
      const skipped: Record<string, TestItem> = {};
      let first: RunResult;

      const run = async (): Promise<RunResult> => {
        const [outcome] = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
        assert.ok(outcome, 'the pair ran');
        if (!outcome.ok) throw outcome.error;
        return outcome.result;
      };

      before(async () => {
        source = await HARNESSES[from](`dir-${from}-to-${to}-src`, LIBRARY);
        target = await HARNESSES[to](`dir-${from}-to-${to}-dst`, LIBRARY);
        store = Store.open(':memory:');
        source.prepareStore?.(store, 'src', true);
        target.prepareStore?.(store, 'dst', true);
        config = {
          providers: { src: source.config(), dst: target.config() },
          pairs: [{ name: 'direction', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
          state: { path: ':memory:' },
          logLevel: 'silent',
        };
        // Items both servers have, by external ids.
        const shared = (list: TestItem[]) => list.filter((i) => canonicalKey(i) !== undefined && twinIn(target, i) !== undefined);
        const movies = shared(source.movies());
        const episodes = shared(source.episodes());
        assert.ok(movies.length >= 5 && episodes.length >= 2, 'enough shared items');
        const at = Date.now() - 3_600_000;
        for (const [item, fraction] of [
          [movies[0]!, 0.3],
          [movies[1]!, 0.55],
          [episodes[0]!, 0.4],
          [episodes[1]!, 0.7],
        ] as const) {
          await source.setProgress(item, fraction, at);
          written.push({ item, fraction });
        }
        // 30 s into a film: a peek, never written.
        skipped.below_minimum = movies[2]!;
        await source.setProgress(movies[2]!, 30_000 / movies[2]!.durationMs, at);
        // 97 %: nearly finished, left to watched-state sync.
        skipped.near_complete = movies[3]!;
        await source.setProgress(movies[3]!, 0.97, at);
        first = await run();
      });
      after(async () => {
        store.close();
        await Promise.all([source.close(), target.close()]);
      });

      test('writes the positions, matched by external ids, and confirms them', async () => {
        assert.equal(first.status, 'ok', JSON.stringify(first.decisions.filter((d) => d.reason !== 'write')));
        assert.equal(first.counts.write, written.length, JSON.stringify(first.counts));
        for (const { item, fraction } of written) {
          const twin = twinIn(target, item);
          assert.ok(twin);
          const held = await target.progressOf(twin);
          assert.ok(held, `${item.title} has a position on ${to}`);
          if (held.ms !== undefined)
            assert.ok(Math.abs(held.ms - fraction * twin.durationMs) <= 1000, `${item.title}: ${held.ms} vs ${fraction * twin.durationMs}`);
          else assert.ok(Math.abs((held.pct ?? -1) - fraction * 100) <= 0.1, `${item.title}: ${held.pct}% vs ${fraction * 100}%`);
        }
        for (const d of first.decisions.filter((x) => x.reason === 'write')) assert.equal(d.detail?.confirmed, true);
      });

      test('skips what Plex → Plex skips, with the same reasons', () => {
        for (const [reason, item] of Object.entries(skipped)) {
          const d = first.decisions.find((x) => x.key === canonicalKey(item));
          assert.equal(d?.reason, reason, `${item.title}`);
        }
      });

      test('a second run writes nothing', async () => {
        const again = await run();
        assert.equal(again.counts.write ?? 0, 0, JSON.stringify(again.counts));
        assert.equal(again.counts.unchanged, written.length);
      });
    });
  }
}
