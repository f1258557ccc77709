// Benchmark: one-way syncs over a large library, each followed by a no-change re-run, and a
// two-way pair (both sides changed) followed by two no-change re-runs.
//
//   npm run bench [-- --scenario plex-to-jellyfin,plex-to-trakt --latency-ms 5 --changed 1000 --trakt-changed 20]
//
// Scenarios (bench/scenarios.ts): plex-to-plex, plex-to-jellyfin, jellyfin-to-plex, plex-to-trakt,
// plex-jellyfin-two-way; all by default. Each runs in its own child process (bench/run-scenario.ts),
// which starts its two emulators as child processes of its own, seeds the source (two-way: both
// sides), runs runAll() twice (two-way: three times) and reports wall time, the requests both
// servers saw (by route), pages read, writes, the budget check, decisions, peak RSS and heap
// (and, with Trakt, how the writes were spaced).
//
// This is a benchmark, not a test: it prints numbers and writes bench/results/<scenario>.json and
// bench/results/summary.json. It exits non-zero only when something broke (a run failed, or a
// re-run wrote anything) — never because of a time or the budget.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { guardChildren, isStopping, runChildInherit, runMain } from './children.ts';
import type { RunRecord } from './measure.ts';
import { digestTable, peerTable, type ScenarioDigest } from './report.ts';
import { type EXTRA_SCENARIOS, RESULTS_DIR, USAGE, argsFor, playableItems, readArgs, resultFile, type PeerRecord } from './scenarios.ts';

interface ScenarioResult {
  scenario: string;
  mode?: 'one-way' | 'two-way';
  source: string;
  target: string;
  library: { items: number; changed: number };
  latencyMs: number;
  runs: RunRecord[];
  peer?: PeerRecord;
}

/** The script of each scenario that is not a pair. */
const EXTRA_SCRIPTS: Record<(typeof EXTRA_SCENARIOS)[number], string> = {
  'emulator-pages': 'bench/emulator-pages.ts',
  'core-plan': 'bench/core-plan.ts',
  realtime: 'bench/realtime.ts',
  dashboard: 'bench/dashboard.ts',
};
const isExtra = (scenario: string): scenario is (typeof EXTRA_SCENARIOS)[number] => Object.hasOwn(EXTRA_SCRIPTS, scenario);

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  guardChildren();
  const load = loadavg();
  const digests: (ScenarioDigest & { exitCode: number; file?: string; mode?: string; source?: string; target?: string; changed?: number })[] = [];
  const items = playableItems(args.synthetic);
  const extras: string[] = [];
  for (const scenario of args.scenarios) {
    if (isExtra(scenario)) {
      // Not a pair: its own script prints its table (and writes its JSON).
      process.stderr.write(`\n── ${scenario} ──\n`);
      const script = EXTRA_SCRIPTS[scenario];
      const flags =
        scenario === 'realtime'
          ? ['--synthetic', args.synthetic, '--latency-ms', String(args.latencyMs)]
          : scenario === 'dashboard'
            ? []
            : ['--items', String(items), ...(scenario === 'emulator-pages' ? ['--changed', String(args.changed)] : [])];
      const exitCode = await runChildInherit(['--import', 'tsx', script, ...flags]);
      if (isStopping()) return new Promise<number>(() => {});
      if (exitCode !== 0) extras.push(scenario);
      continue;
    }
    const file = resultFile(scenario);
    // Never report a previous run's numbers for a scenario that broke this time.
    rmSync(file, { force: true });
    process.stderr.write(`\n── scenario ${scenario} ──\n`);
    const exitCode = await runChildInherit(['--import', 'tsx', 'bench/run-scenario.ts', ...argsFor(scenario, args)]);
    // Interrupted: no summary of a half-done benchmark (the signal handler exits with 130).
    if (isStopping()) return new Promise<number>(() => {});
    if (!existsSync(file)) {
      digests.push({ scenario, ok: false, error: `no results (exit code ${exitCode}); see its output above`, runs: [], exitCode });
      continue;
    }
    const result = JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult;
    digests.push({
      scenario,
      ok: exitCode === 0 && result.runs.every((r) => r.ok),
      exitCode,
      file: `bench/results/${scenario}.json`,
      mode: result.mode ?? 'one-way',
      source: result.source,
      target: result.target,
      changed: result.library.changed,
      items: result.library.items,
      latencyMs: result.latencyMs,
      ...(result.peer ? { peer: result.peer } : {}),
      runs: result.runs.map((r) => ({
        name: r.name,
        ok: r.ok,
        wallMs: r.wallMs,
        requests: r.requests.total,
        pagesRead: r.pagesRead,
        finishReads: r.finishReads,
        writes: r.writes,
        fixedOverhead: r.fixedOverhead,
        budgetSlack: r.budgetSlack,
        budget: r.budget,
        budgetMet: r.budgetMet,
        peakRssKiB: r.peakRssKiB,
        ...(r.bound ? { bound: r.bound } : {}),
        decisions: r.decisions,
        ...(r.decisionsByWhy ? { decisionsByWhy: r.decisionsByWhy } : {}),
        ...(r.writePacing ? { writePacing: r.writePacing } : {}),
      })),
    });
  }

  process.stdout.write(
    `\nAll scenarios (${args.latencyMs} ms latency; ${args.synthetic}; --changed ${args.changed} (two-way: on each side), --trakt-changed ${args.traktChanged}, --finished ${args.finished}, --trakt-finished ${args.traktFinished}${args.trakt429 ? ', --trakt-429' : ''}):\n`,
  );
  process.stdout.write(`${digestTable(digests)}\n`);
  const compared = peerTable(digests);
  if (compared) {
    process.stdout.write(
      "\nPlayhead's first run next to a sequential per-item peer job (bench/peer.ts: one lookup and one write per item) on fresh emulators with the same library, positions and latency:\n",
    );
    process.stdout.write(`${compared}\n`);
  }
  const summaryFile = join(RESULTS_DIR, 'summary.json');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const summary = {
    when: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalmem: totalmem(), loadavgAtStart: load },
    args: { latencyMs: args.latencyMs, changed: args.changed, traktChanged: args.traktChanged, synthetic: args.synthetic, trakt429: args.trakt429 },
    scenarios: digests,
  };
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`wrote ${summaryFile}\n`);
  for (const scenario of extras) process.stderr.write(`bench: ${scenario} broke; see its output above\n`);
  const broken = digests.filter((d) => !d.ok);
  if (extras.length > 0 && broken.length === 0) return 1;
  for (const d of broken) process.stderr.write(`bench: scenario ${d.scenario} broke (exit code ${d.exitCode})${d.error ? `: ${d.error}` : ''}\n`);
  return broken.length > 0 ? 1 : 0;
}

runMain(main);
