// Benchmark of the pure core at scale: match, plan and policy for N items, no I/O.
//
//   node --import tsx bench/core-plan.ts [--items 100000] [--repeat 3]
//   npm run bench -- --scenario core-plan --items 100000
//
// Builds N synthetic source records (a quarter movies, the rest episodes; ids, positions, times
// spread as a real library's would be) and as many target states, then times what the engine does
// per item between reading and writing: `itemsOf` (keys, duplicates), the source-only plan that
// picks the items needing the target, `sharedTargets` (several source items found as one target
// item), and `planItem` (planner + policy) for every item. Prints each step's best time over the
// repeats and writes bench/results/core-plan.json. It never asserts on time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { planItem, planSourceOf } from '../src/core/decide.ts';
import { itemsOf, sharedTargets } from '../src/core/match.ts';
import type { ProgressRecord, TargetState } from '../src/core/model.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../src/core/pair.ts';
import { BenchError, ROOT, runMain } from './children.ts';
import { prng } from './seed-progress.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const WEEK_MS = 7 * 86_400_000;

/** N source records and, for each, the target's live state (varied so every rule is exercised). */
function library(n: number): { records: ProgressRecord[]; targets: TargetState[] } {
  const random = prng(`core-plan:${n}`);
  const records: ProgressRecord[] = [];
  const targets: TargetState[] = [];
  for (let i = 0; i < n; i++) {
    const movie = i % 4 === 0;
    const durationMs = (movie ? 90 + Math.floor(random() * 60) : 20 + Math.floor(random() * 40)) * 60_000;
    const progressMs = Math.floor(random() * durationMs);
    const progressAt = NOW - Math.floor(random() * WEEK_MS);
    const ref = { provider: 'source', server: 'source-server', id: String(100_000 + i) };
    const show = Math.floor(i / 100);
    records.push(
      movie
        ? {
            type: 'movie',
            ids: { imdb: `tt${String(i).padStart(7, '0')}`, tmdb: String(i) },
            title: `Film ${i}`,
            year: 1950 + (i % 70),
            ref,
            progressMs,
            durationMs,
            progressAt,
            watched: false,
            playCount: 0,
          }
        : {
            type: 'episode',
            ids: { tvdb: String(5_000_000 + i) },
            title: `Episode ${i}`,
            show: { ids: { tvdb: String(show), imdb: `tt9${String(show).padStart(6, '0')}` }, title: `Show ${show}` },
            season: 1 + Math.floor((i % 100) / 20),
            episode: 1 + (i % 20),
            ref,
            progressMs,
            durationMs,
            progressAt,
            watched: false,
            playCount: 0,
          },
    );
    // The target: mostly behind (a write), some within delta (unchanged), newer, watched or playing.
    const roll = random();
    const targetMs = roll < 0.6 ? Math.floor(progressMs / 2) : roll < 0.8 ? progressMs + 5_000 : Math.floor(random() * durationMs);
    targets.push({
      ref: { provider: 'target', server: 'target-server', id: `t${i}` },
      progressMs: targetMs,
      durationMs: durationMs + (roll < 0.5 ? 0 : 30_000),
      progressAt: roll > 0.9 ? NOW : progressAt - 86_400_000,
      watched: roll > 0.95,
      playCount: roll > 0.95 ? 1 : 0,
      playingNow: roll > 0.99,
    });
  }
  return { records, targets };
}

interface Step {
  name: string;
  ms: number;
}

function plan(records: ProgressRecord[], targets: TargetState[]): { steps: Step[]; decisions: Record<string, number> } {
  const steps: Step[] = [];
  const time = <T>(name: string, f: () => T): T => {
    const started = performance.now();
    const out = f();
    steps.push({ name, ms: performance.now() - started });
    return out;
  };
  const settings = DEFAULT_PROGRESS_SETTINGS;
  const items = time('match (itemsOf)', () => [...itemsOf(records, 'target-server').values()]);
  const targetOf = new Map(records.map((r, i) => [r.ref.id, targets[i] as TargetState]));
  const sourcePlans = time('source-only plan (planSourceOf)', () => new Map(items.map((i) => [i.key, planSourceOf(i.record, settings)])));
  const found = items.map((i) => ({ ...i, ref: targetOf.get(i.record.ref.id)?.ref }));
  const shared = time('shared targets (sharedTargets)', () => sharedTargets(found));
  const decisions: Record<string, number> = {};
  time('plan + policy (planItem)', () => {
    for (const item of items) {
      const ambiguous = shared.get(item.key) ?? item.ambiguous;
      const sourcePlan = sourcePlans.get(item.key);
      const planned = planItem({
        key: item.key,
        source: item.record,
        target: targetOf.get(item.record.ref.id),
        resolution: item.resolution,
        ...(ambiguous ? { ambiguous } : {}),
        settings,
        targetCompletionPercent: 90,
        targetUnits: 'ms',
        sameOrigin: false,
        ...(sourcePlan ? { sourcePlan } : {}),
      });
      const reason = planned.decision.reason;
      decisions[reason] = (decisions[reason] ?? 0) + 1;
    }
  });
  return { steps, decisions };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { items: { type: 'string', default: '100000' }, repeat: { type: 'string', default: '3' } },
    strict: false,
  });
  const items = Number(values.items);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(items) || items < 1) throw new BenchError(`--items must be a whole number ≥ 1 (got ${values.items})`);
  if (!Number.isInteger(repeat) || repeat < 1) throw new BenchError(`--repeat must be a whole number ≥ 1 (got ${values.repeat})`);
  const load = loadavg();
  const { records, targets } = library(items);
  const runs: { steps: Step[]; totalMs: number }[] = [];
  let decisions: Record<string, number> = {};
  for (let r = 0; r < repeat; r++) {
    const out = plan(records, targets);
    decisions = out.decisions;
    runs.push({ steps: out.steps, totalMs: out.steps.reduce((n, s) => n + s.ms, 0) });
  }
  const best = runs.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
  const lines = [
    `=== core-plan ===`,
    `Match, plan and policy for ${items.toLocaleString('en-US')} items (pure core, no I/O), best of ${repeat}; Node ${process.version}, ${cpus().length} CPUs, load average ${load.map((l) => l.toFixed(2)).join(' ')}.`,
    ...best.steps.map((s) => `  ${s.name.padEnd(34)} ${s.ms.toFixed(0).padStart(6)} ms`),
    `  ${'total'.padEnd(34)} ${best.totalMs.toFixed(0).padStart(6)} ms (every run: ${runs.map((r) => r.totalMs.toFixed(0)).join(', ')} ms)`,
    `  decisions: ${Object.entries(decisions)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'core-plan.json');
  writeFileSync(
    file,
    `${JSON.stringify({ when: new Date().toISOString(), node: process.version, loadavgAtStart: load, items, repeat, best, runs, decisions }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

runMain(main);
