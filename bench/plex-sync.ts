// Benchmark: one Plex → Plex sync over a large library, then a no-change re-run.
//
//   npm run bench [-- --latency-ms 5 --changed 1000 --synthetic movies=5000,shows=150,seasons=5,episodes=20]
//
// Two Plex emulators run as child processes (so this process's peak RSS is the engine's, not the
// emulators'), each with the same synthetic library under different ratingKeys and a fixed
// per-request latency. Setup (giving the owner resume positions on the source) runs in another
// short-lived child. Then runAll() syncs source → target twice; for each run we report wall time,
// the requests both servers saw (by route), writes, decisions, peak RSS and heap.
//
// This is a benchmark, not a test: it prints numbers and writes bench/results/plex-sync.json.
// It exits non-zero only when something broke (a run failed, or the re-run wrote anything).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Table from 'cli-table3';
import { parseConfig } from '../src/core/config.ts';
import { runAll, type PairOutcome } from '../src/engine/run-all.ts';
import { Store } from '../src/store/store.ts';
import { createLogger } from '../src/cli/main.ts';
import type { RequestLogEntry } from '../emulators/plex/control.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'plex-sync.json');
const DEFAULT_SYNTHETIC = 'movies=5000,shows=150,seasons=5,episodes=20';
const SEED = 'playhead-bench';
/** The budget the engine aims for: every request is a page read or a write, plus this many. */
const BUDGET_SLACK = 2;
const START_TIMEOUT_MS = 180_000;
/** Decisions listed by example in the JSON (the others are the expected outcomes). */
const QUIET_REASONS = new Set(['write', 'unchanged']);

/** A full GC, so "heap after GC" is what the run retained, not garbage not yet collected. */
const forceGc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => {};
})();

class BenchError extends Error {}

// ---- arguments -----------------------------------------------------------------------------

interface Args {
  latencyMs: number;
  changed: number;
  synthetic: string;
}

function readArgs(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      'latency-ms': { type: 'string', default: '5' },
      changed: { type: 'string', default: '1000' },
      synthetic: { type: 'string', default: DEFAULT_SYNTHETIC },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--latency-ms N] [--changed N] [--synthetic movies=N,shows=S,seasons=K,episodes=E]\n');
    process.exit(0);
  }
  const whole = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new BenchError(`--${name} must be a whole number ≥ 0 (got ${text})`);
    return n;
  };
  return { latencyMs: whole('latency-ms', values['latency-ms']), changed: whole('changed', values.changed), synthetic: values.synthetic };
}

/** movies + episodes of a synthetic spec (shows and seasons are not playable). */
function playableItems(spec: string): number {
  const n: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) n[k.trim()] = Number(v);
  }
  return (n.movies ?? 0) + (n.shows ?? 0) * (n.seasons ?? 0) * (n.episodes ?? 0);
}

// ---- child processes -------------------------------------------------------------------------

interface Emulator {
  name: string;
  url: string;
  token: string;
  child: ChildProcess;
  logFile: string;
}

const children = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
// Last resort if we die unexpectedly: never leave emulators running.
process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll('SIGKILL');
    process.exit(130);
  });
}

function tail(file: string, chars = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > chars ? `…${text.slice(-chars)}` : text;
  } catch {
    return '';
  }
}

/**
 * `playhead emulate plex` as a child. The CLI has no switch for its one-line-per-request log on
 * stderr, so stderr goes to a file: nothing to drain, nothing that can block the child, and the
 * tail is there to quote if the child dies.
 */
async function startEmulator(name: string, synthetic: string, workDir: string): Promise<Emulator> {
  const logFile = join(workDir, `${name}.stderr.log`);
  const errFd = openSync(logFile, 'w');
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'emulate', 'plex', '--port', '0', '--name', name, '--synthetic', synthetic, '--seed', SEED];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', errFd] });
  closeSync(errFd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  const line = await new Promise<string>((resolveLine, reject) => {
    let buffer = '';
    const timer = setTimeout(() => fail(`did not report its address within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      reject(new BenchError(`emulator "${name}" ${why}\n${tail(logFile)}`));
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume(); // keep draining whatever else it prints
      child.removeListener('exit', onExit);
      resolveLine(buffer.slice(0, newline));
    });
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `code ${code}`}) before listening`);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not start: ${err.message}`));
  });
  const match = /listening on (\S+) \(machineIdentifier \S+, owner token ([^)\s]+)\)/.exec(line);
  if (!match?.[1] || !match[2]) throw new BenchError(`emulator "${name}" printed an unexpected line: ${line}`);
  return { name, url: match[1], token: match[2], child, logFile };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a short-lived child to completion and returns its stdout. */
function runChild(args: string[], what: string): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', (e) => reject(new BenchError(`${what}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) done(out);
      else reject(new BenchError(`${what} failed (${signal ?? `exit code ${code}`}):\n${err.trim()}`));
    });
  });
}

// ---- emulator control ----------------------------------------------------------------------

async function control(emulator: Emulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new BenchError(`${emulator.name}: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}

// ---- measuring -----------------------------------------------------------------------------

/** `GET /library/metadata/1,2,3` → `GET /library/metadata/{ids}`, `/library/sections/2/all` → `…/{id}/all`. */
export function routeOf(entry: Pick<RequestLogEntry, 'method' | 'path'>): string {
  const path = entry.path
    .replace(/^\/library\/metadata\/[^/]+/, '/library/metadata/{ids}')
    .replace(/^\/library\/sections\/[^/]+\/all$/, '/library/sections/{id}/all');
  return `${entry.method} ${path}`;
}

const PAGE_ROUTES = new Set(['GET /library/sections/{id}/all', 'GET /library/metadata/{ids}']);
const WRITE_ROUTE = 'POST /:/timeline';

interface RequestStats {
  total: number;
  byRoute: Record<string, number>;
}

interface RunRecord {
  name: 'first' | 'no-change';
  ok: boolean;
  error?: string;
  wallMs: number;
  requests: RequestStats & { byServer: Record<string, RequestStats>; failed: number };
  pagesRead: number;
  writes: number;
  fixedOverhead: number;
  fixedOverheadByRoute: Record<string, number>;
  budget: number;
  budgetMet: boolean;
  decisions: Record<string, number>;
  engine: { read: number; resolved: number; writes: number };
  /** Per server and route: when its requests ran, in ms from the start of the run (emulator clocks). */
  spans: { server: string; route: string; count: number; firstMs: number; lastMs: number }[];
  /** Up to 3 decisions per unexpected reason (not write/unchanged), with their detail. */
  examples: Record<string, { title: string; key: string; detail?: Record<string, unknown> }[]>;
  peakRssKiB: number;
  heapUsedBytes: number;
  heapUsedAfterGcBytes: number;
}

function countRoutes(entries: RequestLogEntry[]): RequestStats {
  const byRoute: Record<string, number> = {};
  for (const e of entries) {
    const route = routeOf(e);
    byRoute[route] = (byRoute[route] ?? 0) + 1;
  }
  return { total: entries.length, byRoute: sortedByCount(byRoute) };
}

function sortedByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

async function measure(
  name: RunRecord['name'],
  emulators: { source: Emulator; target: Emulator },
  run: () => Promise<PairOutcome[]>,
): Promise<RunRecord> {
  const startedEpoch = Date.now();
  const started = performance.now();
  let outcomes: PairOutcome[] = [];
  let thrown: Error | undefined;
  try {
    outcomes = await run();
  } catch (err) {
    thrown = err instanceof Error ? err : new Error(String(err));
  }
  const wallMs = performance.now() - started;
  const peakRssKiB = process.resourceUsage().maxRSS;
  const heapUsedBytes = process.memoryUsage().heapUsed;
  forceGc();
  const heapUsedAfterGcBytes = process.memoryUsage().heapUsed;

  const byServer: Record<string, RequestStats> = {};
  const all: RequestLogEntry[] = [];
  const spans: RunRecord['spans'] = [];
  for (const [role, emulator] of Object.entries(emulators)) {
    const log = (await control(emulator, 'GET', '/__emulator/requests')) as RequestLogEntry[];
    await control(emulator, 'DELETE', '/__emulator/requests');
    byServer[role] = countRoutes(log);
    all.push(...log);
    const byRoute = new Map<string, RunRecord['spans'][number]>();
    for (const e of log) {
      const route = routeOf(e);
      const at = e.at - startedEpoch;
      const span = byRoute.get(route);
      if (!span) byRoute.set(route, { server: role, route, count: 1, firstMs: at, lastMs: at });
      else {
        span.count++;
        span.firstMs = Math.min(span.firstMs, at);
        span.lastMs = Math.max(span.lastMs, at);
      }
    }
    spans.push(...byRoute.values());
  }
  spans.sort((a, b) => a.firstMs - b.firstMs);
  const requests = countRoutes(all);
  let pagesRead = 0;
  let writes = 0;
  const fixedOverheadByRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(requests.byRoute)) {
    if (PAGE_ROUTES.has(route)) pagesRead += n;
    else if (route === WRITE_ROUTE) writes += n;
    else fixedOverheadByRoute[route] = n;
  }
  const fixedOverhead = requests.total - pagesRead - writes;
  const budget = pagesRead + writes + BUDGET_SLACK;

  const decisions: Record<string, number> = {};
  const examples: RunRecord['examples'] = {};
  const engine = { read: 0, resolved: 0, writes: 0 };
  const errors: string[] = thrown ? [thrown.message] : [];
  for (const o of outcomes) {
    if (!o.ok) {
      errors.push(`${o.pair}: ${o.error.message}`);
      continue;
    }
    if (o.result.status !== 'ok') errors.push(`${o.result.pair}: run status ${o.result.status}`);
    for (const d of o.result.decisions) {
      decisions[d.reason] = (decisions[d.reason] ?? 0) + 1;
      if (QUIET_REASONS.has(d.reason)) continue;
      const list = (examples[d.reason] ??= []);
      if (list.length < 3) list.push({ title: d.title, key: d.key, ...(d.detail ? { detail: d.detail } : {}) });
    }
    engine.read += o.result.stats.read;
    engine.resolved += o.result.stats.resolved;
    engine.writes += o.result.stats.writes;
  }
  if (!thrown && outcomes.length === 0) errors.push('runAll returned no pair outcomes');

  return {
    name,
    ok: errors.length === 0,
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    wallMs: Math.round(wallMs * 10) / 10,
    requests: { ...requests, byServer, failed: all.filter((e) => e.status < 200 || e.status >= 300).length },
    pagesRead,
    writes,
    fixedOverhead,
    fixedOverheadByRoute,
    budget,
    budgetMet: requests.total <= budget,
    decisions: sortedByCount(decisions),
    engine,
    spans,
    examples,
    peakRssKiB,
    heapUsedBytes,
    heapUsedAfterGcBytes,
  };
}

// ---- reporting -----------------------------------------------------------------------------

const fmt = (n: number): string => n.toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function summary(runs: RunRecord[], ctx: { items: number; changed: number; latencyMs: number; synthetic: string; seeded: string; baselineRssKiB: number; load: number[] }): string {
  const lines: string[] = [];
  lines.push(`Playhead benchmark: Plex → Plex, ${fmt(ctx.items)} movies+episodes (${ctx.synthetic}), ${fmt(ctx.changed)} changed on the source (${ctx.seeded}), ${ctx.latencyMs} ms latency per request.`);
  lines.push(`Node ${process.version}, ${cpus().length} CPUs, load average ${ctx.load.map((l) => l.toFixed(2)).join(' ')} at start (wall times move with machine load). RSS before the first run: ${mib(ctx.baselineRssKiB * 1024)}.`);
  lines.push('');
  const head = ['', ...runs.map((r) => r.name)];
  const table = new Table({ head, style: { head: [], border: [] }, colAligns: ['left', ...runs.map(() => 'right' as const)] });
  const row = (label: string, f: (r: RunRecord) => string) => table.push([label, ...runs.map(f)]);
  row('status', (r) => (r.ok ? 'ok' : 'FAILED'));
  row('wall time', (r) => `${fmt(Math.round(r.wallMs))} ms`);
  row('requests (both servers)', (r) => fmt(r.requests.total));
  row('  to source', (r) => fmt(r.requests.byServer.source?.total ?? 0));
  row('  to target', (r) => fmt(r.requests.byServer.target?.total ?? 0));
  row('  non-2xx answers', (r) => fmt(r.requests.failed));
  row('pages read', (r) => fmt(r.pagesRead));
  row('writes (POST /:/timeline)', (r) => fmt(r.writes));
  row('fixed overhead', (r) => fmt(r.fixedOverhead));
  row(`budget (pages + writes + ${BUDGET_SLACK})`, (r) => fmt(r.budget));
  row('budget met', (r) => (r.budgetMet ? 'yes' : `NO (+${r.requests.total - r.budget})`));
  row('records read (engine)', (r) => fmt(r.engine.read));
  row('resolved on target (engine)', (r) => fmt(r.engine.resolved));
  row('peak RSS (process max)', (r) => mib(r.peakRssKiB * 1024));
  row('heap used after run', (r) => mib(r.heapUsedBytes));
  row('heap used after run + full GC', (r) => mib(r.heapUsedAfterGcBytes));
  lines.push(table.toString());

  const routes = new Set(runs.flatMap((r) => Object.keys(r.requests.byServer.source?.byRoute ?? {}).map((k) => `source ${k}`).concat(Object.keys(r.requests.byServer.target?.byRoute ?? {}).map((k) => `target ${k}`))));
  const routeTable = new Table({ head: ['server', 'route', ...runs.map((r) => r.name), 'counts as'], style: { head: [], border: [] } });
  for (const key of [...routes].sort()) {
    const [server, ...rest] = key.split(' ');
    const route = rest.join(' ');
    const kind = PAGE_ROUTES.has(route) ? 'page read' : route === WRITE_ROUTE ? 'write' : 'overhead';
    routeTable.push([server ?? '', route, ...runs.map((r) => fmt(r.requests.byServer[server ?? '']?.byRoute[route] ?? 0)), kind]);
  }
  lines.push('');
  lines.push('Requests by route:');
  lines.push(routeTable.toString());

  const reasons = [...new Set(runs.flatMap((r) => Object.keys(r.decisions)))];
  const decisionTable = new Table({ head: ['decision reason', ...runs.map((r) => r.name)], style: { head: [], border: [] } });
  for (const reason of reasons) decisionTable.push([reason, ...runs.map((r) => fmt(r.decisions[reason] ?? 0))]);
  lines.push('');
  lines.push('Decisions:');
  lines.push(decisionTable.toString());

  for (const r of runs) {
    const spanTable = new Table({ head: ['server', 'route', 'requests', 'first at', 'last at'], style: { head: [], border: [] }, colAligns: ['left', 'left', 'right', 'right', 'right'] });
    for (const s of r.spans) spanTable.push([s.server, s.route, fmt(s.count), `${fmt(s.firstMs)} ms`, `${fmt(s.lastMs)} ms`]);
    lines.push('');
    lines.push(`When the ${r.name} run's requests reached the servers (ms after runAll started; wall ${fmt(Math.round(r.wallMs))} ms):`);
    lines.push(spanTable.toString());
  }

  lines.push('');
  for (const r of runs) {
    const overhead = Object.entries(r.fixedOverheadByRoute).map(([k, v]) => `${v}× ${k}`).join(', ') || 'none';
    lines.push(
      `${r.name}: ${fmt(r.requests.total)} requests vs budget ${fmt(r.pagesRead)} pages + ${fmt(r.writes)} writes + ${BUDGET_SLACK} = ${fmt(r.budget)} → ${r.budgetMet ? 'met' : `NOT met, ${r.requests.total - r.budget} over`}. Fixed overhead ${r.fixedOverhead} (${overhead}).`,
    );
    if (r.error) lines.push(`  error: ${r.error}`);
    for (const [reason, list] of Object.entries(r.examples)) {
      for (const e of list) lines.push(`  ${reason}: ${e.title} (${e.key})${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`);
    }
  }
  lines.push('Peak RSS is the process high-water mark (getrusage maxRSS), so the no-change figure cannot be lower than the first run\'s.');
  return lines.join('\n');
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  const items = playableItems(args.synthetic);
  const workDir = mkdtempSync(join(tmpdir(), 'playhead-bench-'));
  const emulators: Emulator[] = [];
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const load = loadavg();
  try {
    say(`starting two Plex emulators (${args.synthetic}) as child processes…`);
    const startedAt = performance.now();
    const [source, target] = await Promise.all([
      startEmulator('bench-source', args.synthetic, workDir),
      startEmulator('bench-target', args.synthetic, workDir),
    ]);
    emulators.push(source, target);
    say(`  source ${source.url}, target ${target.url} (${Math.round(performance.now() - startedAt)} ms)`);

    say(`giving the owner ${args.changed} resume positions on the source…`);
    const seeded = JSON.parse(
      await runChild(['--import', 'tsx', 'bench/seed-progress.ts', source.url, String(args.changed), SEED], 'seeding the source'),
    ) as { movies: number; episodes: number };
    const seededText = `${fmt(seeded.movies)} movies + ${fmt(seeded.episodes)} episodes`;
    for (const e of emulators) {
      await control(e, 'POST', '/__emulator/faults', { latencyMs: args.latencyMs, rules: [] });
      await control(e, 'DELETE', '/__emulator/requests');
    }

    const yaml = [
      'providers:',
      `  bench-source: { kind: plex, url: ${source.url}, token: \${SOURCE_TOKEN} }`,
      `  bench-target: { kind: plex, url: ${target.url}, token: \${TARGET_TOKEN} }`,
      'pairs:',
      '  - { name: bench, source: bench-source, target: bench-target }',
      `state: { path: ${join(workDir, 'playhead.db')} }`,
      '',
    ].join('\n');
    const config = parseConfig(yaml, join(workDir, 'playhead.yaml'), { SOURCE_TOKEN: source.token, TARGET_TOKEN: target.token });
    const store = Store.open(config.state.path);
    const log = createLogger({ level: 'error' });
    const runs: RunRecord[] = [];
    forceGc();
    const baselineRssKiB = process.resourceUsage().maxRSS;
    try {
      const pair = { source, target };
      say('first run…');
      runs.push(await measure('first', pair, () => runAll({ config, store, log, dryRun: false })));
      say('no-change re-run…');
      runs.push(await measure('no-change', pair, () => runAll({ config, store, log, dryRun: false })));
    } finally {
      store.close();
    }

    const ctx = { items, changed: args.changed, latencyMs: args.latencyMs, synthetic: args.synthetic, seeded: seededText, baselineRssKiB, load };
    process.stdout.write(`${summary(runs, ctx)}\n`);
    const result = {
      when: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalmem: totalmem(), loadavgAtStart: load },
      library: { items, changed: args.changed, synthetic: args.synthetic, changedMovies: seeded.movies, changedEpisodes: seeded.episodes },
      latencyMs: args.latencyMs,
      budgetSlack: BUDGET_SLACK,
      baselineRssKiB,
      runs,
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${RESULTS}\n`);

    const problems: string[] = [];
    for (const r of runs) if (!r.ok) problems.push(`the ${r.name} run failed: ${r.error ?? 'unknown error'}`);
    const rerun = runs.find((r) => r.name === 'no-change');
    if (rerun && (rerun.writes > 0 || rerun.engine.writes > 0)) {
      problems.push(`the no-change re-run wrote ${rerun.writes} timeline(s) (engine counted ${rerun.engine.writes}); it should write nothing`);
    }
    for (const p of problems) process.stderr.write(`bench: ${p}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await Promise.all(emulators.map((e) => stopChild(e.child)));
    killAll('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
