// One pair between two emulators of any kinds (through their harnesses), with a fresh state and
// the engine's own entry points (runAll, undoRun): the cross-kind integration tests build on it.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { undoRun, type UndoResult } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES, type Kind } from '../harness/index.ts';

const log = pino({ level: 'silent' });

/** The same item on the other server, by external ids (native ids differ per server). */
export function twinIn(side: Harness, item: TestItem): TestItem {
  const key = canonicalKey(item);
  const found = [...side.movies(), ...side.episodes()].find((x) => canonicalKey(x) === key);
  assert.ok(found, `${item.title} on ${side.kind}`);
  return found;
}

/** Movies both servers hold under the same external ids. */
export function sharedMovies(a: Harness, b: Harness): TestItem[] {
  const keys = new Set(b.movies().map((m) => canonicalKey(m)));
  return a.movies().filter((m) => canonicalKey(m) !== undefined && keys.has(canonicalKey(m)));
}

export interface KindPair {
  /** Provider `src` (two-way: side `a`). */
  source: Harness;
  /** Provider `dst` (two-way: side `b`). */
  target: Harness;
  store: Store;
  config: Config;
  /** Runs the pair; the outcome as runAll gives it (a failed run is not thrown). */
  runOutcome(): Promise<PairOutcome>;
  /** Runs the pair and returns its result (throws when the run failed). */
  run(): Promise<RunResult>;
  undo(runId: number): Promise<UndoResult>;
  close(): Promise<void>;
}

export async function startKindPair(
  from: Kind,
  to: Kind,
  opts: { name: string; library: string; mode?: 'one-way' | 'two-way'; progress?: Partial<ProgressSettings> },
): Promise<KindPair> {
  const [source, target] = await Promise.all([HARNESSES[from](`${opts.name}-src`, opts.library), HARNESSES[to](`${opts.name}-dst`, opts.library)]);
  const store = Store.open(':memory:');
  source.prepareStore?.(store, 'src', true);
  target.prepareStore?.(store, 'dst', true);
  const config: Config = {
    providers: { src: source.config(), dst: target.config() },
    pairs: [
      {
        name: opts.name,
        source: 'src',
        target: 'dst',
        mode: opts.mode ?? 'one-way',
        features: { progress: { ...DEFAULT_PROGRESS_SETTINGS, ...opts.progress } },
      },
    ],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
  const providerOptions = { minBackoffMs: 1 };
  const runOutcome = async (): Promise<PairOutcome> => {
    const [outcome] = await runAll({ config, store, log, dryRun: false, providerOptions });
    assert.ok(outcome, 'the pair ran');
    return outcome;
  };
  return {
    source,
    target,
    store,
    config,
    runOutcome,
    async run() {
      const outcome = await runOutcome();
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    },
    undo: (runId) => undoRun({ config, store, log, runId, dryRun: false, providerOptions }),
    async close() {
      store.close();
      await Promise.all([source.close(), target.close()]);
    },
  };
}
