// The benchmark's scenarios and the code that runs one of them (in its own process, started by
// bench/plex-sync.ts through bench/run-scenario.ts, so each scenario's peak RSS is its own).
//
// A scenario: two emulators (source, target) as child processes with the same synthetic library
// under different native ids, N items given a resume position on the source, a fixed latency per
// request on both, then runAll() twice (first, no-change), measured by bench/measure.ts.
// A two-way scenario: the two emulators are sides A and B of a `mode: two-way` pair, each gets N
// positions (disjoint items), and runAll() runs three times (first, no-change, no-change-2).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.ts';
import { runAll } from '../src/engine/run-all.ts';
import { Store } from '../src/store/store.ts';
import { createLogger } from '../src/cli/log.ts';
import { saveTokens } from '../src/providers/trakt/oauth.ts';
import { moduleFor } from '../src/providers/registry.ts';
import type { Config } from '../src/config/types.ts';
import { BenchError, ROOT, control, guardChildren, runChild, startEmulator, stopAll, type Emulator, type EmulatorKind } from './children.ts';
import { BUDGET_SLACK, QUIET_REASONS, TWO_WAY_BUDGET_SLACK, TWO_WAY_QUIET_REASONS, boundOf, forceGc, measure, type RunRecord } from './measure.ts';
import { KIND_LABEL, fmt, summary } from './report.ts';
import type { SeedSummary } from './seed-progress.ts';
import { runPeerJob, type PeerJobOptions } from './peer.ts';

export const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DEFAULT_SYNTHETIC = 'movies=5000,shows=150,seasons=5,episodes=20';
export const SEED = 'playhead-bench';
/** The Jellyfin/Emby user whose positions are synced (a user token: no `user:` needed on Jellyfin). */
export const MB_USER = 'alice';
const TRAKT_USER = 'alice';

// ---- scenarios -----------------------------------------------------------------------------

export interface Args {
  scenarios: string[];
  latencyMs: number;
  changed: number;
  traktChanged: number;
  /** Items finished on the source after the target's play (the target holds a position), Plex/Jellyfin scenarios. */
  finished: number;
  /** The same for plex-to-trakt (each finish is a Trakt write: one per second). */
  traktFinished: number;
  synthetic: string;
  /** `--items N`: the library is DEFAULT_SYNTHETIC's shape scaled to N movies + episodes. */
  items?: number;
  /** Answer the first Trakt write of the first run with one 429 (Retry-After: 1). */
  trakt429: boolean;
  /** One-way Plex/Jellyfin scenarios: also run the peer strategy (bench/peer.ts) on fresh emulators. */
  peer: boolean;
}

/**
 * Scenarios that are not a pair: the emulators' own page times (bench/emulator-pages.ts) and the
 * pure core's planning time (bench/core-plan.ts). Each runs as its own child, before the pairs.
 */
export const EXTRA_SCENARIOS = ['emulator-pages', 'core-plan', 'realtime', 'dashboard'] as const;

export interface ScenarioDef {
  name: string;
  /** Two-way: side A. */
  source: EmulatorKind;
  /** Two-way: side B. */
  target: EmulatorKind;
  /** Items given a resume position on the source (two-way: on each side, disjoint items). */
  changed(args: Args): number;
  /**
   * Items finished on the source (two-way: on side A) that the target (B) holds a position on,
   * played before the finish: the first run finishes them on the target.
   */
  finished(args: Args): number;
  /** A `mode: two-way` pair (default one-way). */
  twoWay?: true;
}

export const SCENARIOS: ScenarioDef[] = [
  { name: 'plex-to-plex', source: 'plex', target: 'plex', changed: (a) => a.changed, finished: (a) => a.finished },
  { name: 'plex-to-jellyfin', source: 'plex', target: 'jellyfin', changed: (a) => a.changed, finished: (a) => a.finished },
  { name: 'jellyfin-to-plex', source: 'jellyfin', target: 'plex', changed: (a) => a.changed, finished: (a) => a.finished },
  { name: 'plex-to-trakt', source: 'plex', target: 'trakt', changed: (a) => a.traktChanged, finished: (a) => a.traktFinished },
  { name: 'plex-jellyfin-two-way', source: 'plex', target: 'jellyfin', changed: (a) => a.changed, finished: (a) => a.finished, twoWay: true },
];

/** What a scenario's emulators are called: roles (keys of the request counts), server names, provider ids. */
function sidesOf(def: ScenarioDef): { role: string; name: string }[] {
  return def.twoWay
    ? [
        { role: 'a', name: 'bench-a' },
        { role: 'b', name: 'bench-b' },
      ]
    : [
        { role: 'source', name: 'bench-source' },
        { role: 'target', name: 'bench-target' },
      ];
}

/** The runs of a scenario, in order: every run after the first must write nothing. */
function runNamesOf(def: ScenarioDef): string[] {
  return def.twoWay ? ['first', 'no-change', 'no-change-2'] : ['first', 'no-change'];
}

export const USAGE = `usage: npm run bench -- [--scenario NAME[,NAME…]]… [--items N | --synthetic SPEC] [--latency-ms N] [--changed N] [--trakt-changed N] [--finished N] [--trakt-finished N]
scenarios: ${[...EXTRA_SCENARIOS, ...SCENARIOS.map((s) => s.name)].join(', ')} (default: all)
  emulator-pages      each emulator's answer time for the page requests Playhead sends (bench/emulator-pages.ts)
  core-plan           match, plan and policy for --items items in the pure core (bench/core-plan.ts)
  realtime            playhead serve, Plex → Jellyfin: 200 stop events on Plex, stop → write latency and
                      requests per event, next to one full run of the same positions (bench/realtime.ts)
  dashboard           each dashboard page's answer time (median, p95) over a state database of 100 000
                      decisions (bench/dashboard.ts)
  --items N           library of N movies + episodes, the default library's shape scaled
                      (a quarter movies, the rest episodes of 5 × 20-episode shows)
  --latency-ms N      per-request latency on every emulator (default 5; 20 with --items)
  --changed N         items with a position on the source, Plex/Jellyfin scenarios (default 1000);
                      plex-jellyfin-two-way: on each side (disjoint items)
  --trakt-changed N   the same for plex-to-trakt (default 20; Trakt takes 1 write per second)
  --finished N        items finished on the source (two-way: on A) in the last 3 days that the target
                      (B) holds a position on, played 4–7 days ago: the first run finishes them there
                      (default 300; other items than the --changed ones)
  --trakt-finished N  the same for plex-to-trakt (default 5)
  --synthetic SPEC    the library on every emulator (default ${DEFAULT_SYNTHETIC})
  --trakt-429         plex-to-trakt: answer the first write with one injected 429 (Retry-After: 1),
                      to see how the client's pacing recovers (off by default)
  --peer / --no-peer  plex-to-plex, plex-to-jellyfin, jellyfin-to-plex: also run a sequential
                      per-item peer job (bench/peer.ts) on fresh emulators, for comparison
                      (default: on with --items, off otherwise)
`;

/** Parses the command line (the parent's, and the scenario child's: the same flags). */
export function readArgs(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true, default: [] },
      'latency-ms': { type: 'string' },
      changed: { type: 'string', default: '1000' },
      'trakt-changed': { type: 'string', default: '20' },
      finished: { type: 'string', default: '300' },
      'trakt-finished': { type: 'string', default: '5' },
      synthetic: { type: 'string' },
      items: { type: 'string' },
      'trakt-429': { type: 'boolean', default: false },
      peer: { type: 'boolean' },
      'no-peer': { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const whole = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new BenchError(`--${name} must be a whole number ≥ 0 (got ${text})`);
    return n;
  };
  const order = [...EXTRA_SCENARIOS, ...SCENARIOS.map((s) => s.name)];
  const known = new Set(order);
  const asked = values.scenario
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of asked) if (!known.has(name)) throw new BenchError(`unknown scenario "${name}"; known: ${[...known].join(', ')}`);
  // In the order they are defined, each once.
  const scenarios = asked.length === 0 ? order : order.filter((n) => asked.includes(n));
  if (values.peer && values['no-peer']) throw new BenchError('give --peer or --no-peer, not both');
  if (values.items !== undefined && values.synthetic !== undefined) throw new BenchError('give --items or --synthetic, not both');
  const items = values.items === undefined ? undefined : whole('items', values.items);
  return {
    scenarios,
    // The scale benchmark (issue #11) is measured at 20 ms; the default library at 5.
    latencyMs: whole('latency-ms', values['latency-ms'] ?? (items === undefined ? '5' : '20')),
    changed: whole('changed', values.changed),
    traktChanged: whole('trakt-changed', values['trakt-changed']),
    finished: whole('finished', values.finished),
    traktFinished: whole('trakt-finished', values['trakt-finished']),
    synthetic: items === undefined ? (values.synthetic ?? DEFAULT_SYNTHETIC) : syntheticFor(items),
    ...(items === undefined ? {} : { items }),
    trakt429: values['trakt-429'],
    peer: values.peer ?? (values['no-peer'] ? false : items !== undefined),
  };
}

/** Episodes per show in the scaled library (DEFAULT_SYNTHETIC's 5 seasons of 20). */
const SEASONS = 5;
const EPISODES = 20;

/**
 * The default library's shape (a quarter movies, three quarters episodes of 5 × 20-episode
 * shows) at `items` movies + episodes exactly: whole shows, the remainder as movies.
 */
export function syntheticFor(items: number): string {
  const perShow = SEASONS * EPISODES;
  const shows = Math.floor((items * 3) / 4 / perShow);
  return `movies=${items - shows * perShow},shows=${shows},seasons=${SEASONS},episodes=${EPISODES}`;
}

/** The flags that reproduce `args` for one scenario (what the parent passes to each child). */
export function argsFor(scenario: string, args: Args): string[] {
  return [
    '--scenario',
    scenario,
    '--latency-ms',
    String(args.latencyMs),
    '--changed',
    String(args.changed),
    '--trakt-changed',
    String(args.traktChanged),
    '--finished',
    String(args.finished),
    '--trakt-finished',
    String(args.traktFinished),
    '--synthetic',
    args.synthetic,
    ...(args.trakt429 ? ['--trakt-429'] : []),
    args.peer ? '--peer' : '--no-peer',
  ];
}

/** movies + episodes of a synthetic spec (shows and seasons are not playable). */
export function playableItems(spec: string): number {
  const n: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) n[k.trim()] = Number(v);
  }
  return (n.movies ?? 0) + (n.shows ?? 0) * (n.seasons ?? 0) * (n.episodes ?? 0);
}

export function resultFile(scenario: string): string {
  return join(RESULTS_DIR, `${scenario}.json`);
}

// ---- providers -----------------------------------------------------------------------------

/** The `providers:` entry for an emulator, with its secrets in `env` (interpolated by parseConfig). */
export function providerYaml(id: string, e: Emulator, env: Record<string, string>): string {
  const prefix = id.replace(/[^a-z0-9]/gi, '_').toUpperCase();
  if (e.kind === 'plex') {
    env[`${prefix}_TOKEN`] = e.plexToken ?? '';
    return `  ${id}: { kind: plex, url: ${e.url}, token: \${${prefix}_TOKEN} }`;
  }
  if (e.kind === 'trakt') {
    if (!e.trakt) throw new BenchError(`${e.name}: no Trakt details`);
    env[`${prefix}_CLIENT_ID`] = e.trakt.clientId;
    env[`${prefix}_CLIENT_SECRET`] = e.trakt.clientSecret;
    return `  ${id}: { kind: trakt, client_id: \${${prefix}_CLIENT_ID}, client_secret: \${${prefix}_CLIENT_SECRET}, url: ${e.url}, auth_url: ${e.url} }`;
  }
  const user = e.mediaBrowser?.users.find((u) => u.name === MB_USER);
  if (!user) throw new BenchError(`${e.name}: the ${e.kind} emulator has no user ${MB_USER}`);
  env[`${prefix}_TOKEN`] = user.token;
  // Emby cannot tell whose token it is: name the user (by id).
  return `  ${id}: { kind: ${e.kind}, url: ${e.url}, token: \${${prefix}_TOKEN}${e.kind === 'emby' ? `, user: ${user.id}` : ''} }`;
}

/** What a signed-in Trakt account leaves in the state db (`playhead auth`), for the emulator's user. */
export function signIn(store: Store, id: string, e: Emulator): void {
  if (e.kind !== 'trakt') return;
  const user = e.trakt?.users.find((u) => u.username === TRAKT_USER);
  if (!user) throw new BenchError(`${e.name}: the Trakt emulator has no user ${TRAKT_USER}`);
  saveTokens(store.providerState(id), { accessToken: user.accessToken, refreshToken: user.refreshToken, expiresAt: user.expiresAt });
}

/**
 * Writes the engine sends to a provider at once: targets that stamp their own time on a write
 * (Plex, Trakt) take one at a time, so Continue Watching keeps the source's order (engine/apply.ts).
 */
function writeConcurrencyOf(config: Config, id: string): number {
  const provider = config.providers[id];
  if (!provider) throw new BenchError(`provider ${id} is not configured`);
  const caps = moduleFor(provider.kind).capabilities(provider);
  return caps.setsProgressTime ? caps.maxConcurrentWrites : 1;
}

// ---- the peer strategy --------------------------------------------------------------------

/** What the peer job did, counted as Playhead's runs are: requests from the emulators' logs. */
export interface PeerRecord {
  wallMs: number;
  /** Requests both servers saw. */
  requests: number;
  /** Requests the job says it made (its own count). */
  requestsCounted: number;
  items: number;
  found: number;
  written: number;
  notFound: number;
}

/** The peer job knows Plex and Jellyfin, one way. */
function peerCanRun(def: ScenarioDef): boolean {
  const known = (k: EmulatorKind) => k === 'plex' || k === 'jellyfin';
  return !def.twoWay && known(def.source) && known(def.target);
}

function peerEndpoint(e: Emulator): PeerJobOptions['source'] {
  if (e.kind === 'plex') return { kind: 'plex', url: e.url, token: e.plexToken ?? '' };
  const user = e.mediaBrowser?.users.find((u) => u.name === MB_USER);
  if (!user) throw new BenchError(`${e.name}: no user ${MB_USER}`);
  return { kind: 'jellyfin', url: e.url, token: user.token };
}

async function runPeer(source: Emulator, target: Emulator, latencyMs: number): Promise<PeerRecord> {
  for (const e of [source, target]) {
    await control(e, 'POST', '/__emulator/faults', { latencyMs, rules: [] });
    await control(e, 'DELETE', '/__emulator/requests');
  }
  const started = performance.now();
  const result = await runPeerJob({ source: peerEndpoint(source), target: peerEndpoint(target) });
  const wallMs = performance.now() - started;
  let requests = 0;
  for (const e of [source, target]) requests += ((await control(e, 'GET', '/__emulator/requests')) as unknown[]).length;
  return {
    wallMs: Math.round(wallMs * 10) / 10,
    requests,
    requestsCounted: result.requests,
    items: result.items,
    found: result.found,
    written: result.written,
    notFound: result.notFound.length,
  };
}

// ---- one scenario --------------------------------------------------------------------------

/** Runs one scenario in this process: prints its summary, writes its JSON; returns the exit code. */
export async function runScenario(def: ScenarioDef, args: Args): Promise<number> {
  guardChildren();
  const items = playableItems(args.synthetic);
  const changed = def.changed(args);
  const workDir = mkdtempSync(join(tmpdir(), `playhead-bench-${def.name}-`));
  const emulators: Emulator[] = [];
  const say = (line: string) => process.stderr.write(`[${def.name}] ${line}\n`);
  const load = loadavg();
  const [sideA, sideB] = sidesOf(def) as [{ role: string; name: string }, { role: string; name: string }];
  try {
    const roles = def.twoWay ? ['side A', 'side B'] : ['source', 'target'];
    say(`starting ${KIND_LABEL[def.source]} (${roles[0]}) and ${KIND_LABEL[def.target]} (${roles[1]}) emulators (${args.synthetic}) as child processes…`);
    const startedAt = performance.now();
    const common = { synthetic: args.synthetic, seed: SEED, workDir };
    const [source, target] = await Promise.all([
      startEmulator({ role: sideA.role, kind: def.source, name: sideA.name, ...common }),
      startEmulator({ role: sideB.role, kind: def.target, name: sideB.name, ...common }),
    ]);
    emulators.push(source, target);
    say(`  ${roles[0]} ${source.url}, ${roles[1]} ${target.url} (${Math.round(performance.now() - startedAt)} ms)`);

    const whoOn = (kind: EmulatorKind) => (kind === 'plex' ? 'the owner' : MB_USER);
    const seed = async (e: Emulator, what: string, count: number, seedText: string, extra: string[]): Promise<SeedSummary> => {
      say(`${what} for ${whoOn(e.kind)} on ${e.name}…`);
      const seedArgs = ['--import', 'tsx', 'bench/seed-progress.ts', e.url, String(count), seedText, e.kind, MB_USER, ...extra];
      return JSON.parse(await runChild(seedArgs, `seeding ${e.name}`)) as SeedSummary;
    };
    const described = (s: SeedSummary) => `${fmt(s.movies)} movies + ${fmt(s.episodes)} episodes`;
    const pickedFile = join(workDir, 'picked-a.json');
    const pickedBFile = join(workDir, 'picked-b.json');
    const finishedFile = join(workDir, 'finished.json');
    const seeded = await seed(source, `${fmt(changed)} resume positions`, changed, SEED, ['--picked', pickedFile]);
    let seededText = described(seeded);
    let seededB: SeedSummary | undefined;
    if (def.twoWay) {
      // Side B: other items (none of A's, by title/year or show/season/episode), other positions and times.
      seededB = await seed(target, `${fmt(changed)} resume positions`, changed, `${SEED}:b`, ['--avoid', pickedFile, '--picked', pickedBFile]);
      seededText = `A (${KIND_LABEL[def.source]}, ${whoOn(def.source)}): ${described(seeded)}; B (${KIND_LABEL[def.target]}, ${whoOn(def.target)}): ${described(seededB)}`;
      if (seededB.movies + seededB.episodes !== changed || seeded.movies + seeded.episodes !== changed) {
        throw new BenchError(
          `seeding gave ${seeded.movies + seeded.episodes} positions on A and ${seededB.movies + seededB.episodes} on B, not ${changed} each`,
        );
      }
    }
    // Finished items: other items than the positions above, finished on the source after the
    // target's (older) position on them, so the first run takes them out of the target's Continue Watching.
    const finishedCount = def.finished(args);
    let finished: SeedSummary | undefined;
    if (finishedCount > 0) {
      const avoid = ['--avoid', pickedFile, ...(def.twoWay ? ['--avoid', pickedBFile] : [])];
      finished = await seed(source, `${fmt(finishedCount)} finished items`, finishedCount, `${SEED}:finished`, [
        ...avoid,
        '--finish',
        '--picked',
        finishedFile,
      ]);
      await seed(target, `positions behind those ${fmt(finishedCount)} finishes`, 0, `${SEED}:behind`, ['--behind', finishedFile]);
      seededText += `; finished on ${def.twoWay ? 'A' : 'the source'} after ${def.twoWay ? "B's" : "the target's"} position: ${described(finished)}`;
    }
    const injected = args.trakt429 && target.kind === 'trakt';
    for (const e of emulators) {
      // The optional injected 429: one, on the first write (a rule counts down; the re-run never sees it).
      const rules = injected && e === target ? [{ path: '/scrobble/pause', method: 'POST', status: 429, count: 1 }] : [];
      await control(e, 'POST', '/__emulator/faults', { latencyMs: args.latencyMs, rules });
      await control(e, 'DELETE', '/__emulator/requests');
    }
    if (injected) say('the first Trakt write will be answered 429 (--trakt-429)');

    const env: Record<string, string> = {};
    const yaml = [
      'providers:',
      providerYaml(sideA.name, source, env),
      providerYaml(sideB.name, target, env),
      'pairs:',
      `  - { name: bench, source: ${sideA.name}, target: ${sideB.name}${def.twoWay ? ', mode: two-way' : ''} }`,
      `state: { path: ${join(workDir, 'playhead.db')} }`,
      '',
    ].join('\n');
    const config = parseConfig(yaml, join(workDir, 'playhead.yaml'), env);
    const store = Store.open(config.state.path);
    signIn(store, sideA.name, source);
    signIn(store, sideB.name, target);
    const log = createLogger({ level: 'error' });
    const budgetSlack = def.twoWay ? TWO_WAY_BUDGET_SLACK : BUDGET_SLACK;
    const quietReasons = def.twoWay ? TWO_WAY_QUIET_REASONS : QUIET_REASONS;
    const runs: RunRecord[] = [];
    const writeConcurrency = { [sideA.role]: writeConcurrencyOf(config, sideA.name), [sideB.role]: writeConcurrencyOf(config, sideB.name) };
    forceGc();
    const baselineRssKiB = process.resourceUsage().maxRSS;
    try {
      for (const name of runNamesOf(def)) {
        say(name === 'first' ? 'first run…' : `${name} re-run…`);
        const measured = await measure(name, emulators, () => runAll({ config, store, log, dryRun: false }), { budgetSlack, quietReasons });
        const run = { ...measured, bound: boundOf(measured, args.latencyMs, writeConcurrency) };
        runs.push(run);
        say(
          `  ${fmt(Math.round(run.wallMs))} ms (bound ${fmt(Math.round(run.bound.ms))} ms, ×${run.bound.ratio.toFixed(2)}), ${fmt(run.requests.total)} requests, ${fmt(run.writes)} writes, peak RSS ${fmt(Math.round(run.peakRssKiB / 1024))} MiB${run.ok ? '' : `, FAILED: ${run.error ?? ''}`}`,
        );
      }
    } finally {
      store.close();
    }

    let peer: PeerRecord | undefined;
    if (args.peer && peerCanRun(def)) {
      // Fresh emulators (the first pair's target now holds Playhead's writes), the same library,
      // seeding and latency: the peer job starts where Playhead's first run started.
      await stopAll(emulators.splice(0));
      say('peer strategy (bench/peer.ts): fresh emulators, the same library and positions…');
      const [peerSource, peerTarget] = await Promise.all([
        startEmulator({ role: sideA.role, kind: def.source, name: sideA.name, ...common }),
        startEmulator({ role: sideB.role, kind: def.target, name: sideB.name, ...common }),
      ]);
      emulators.push(peerSource, peerTarget);
      await seed(peerSource, `${fmt(changed)} resume positions`, changed, SEED, []);
      peer = await runPeer(peerSource, peerTarget, args.latencyMs);
      const first = runs[0];
      say(
        `  peer: ${fmt(Math.round(peer.wallMs))} ms, ${fmt(peer.requests)} requests, ${fmt(peer.written)} of ${fmt(peer.items)} written${first ? ` → Playhead ×${(peer.wallMs / first.wallMs).toFixed(1)} faster, ×${(peer.requests / first.requests.total).toFixed(1)} fewer requests` : ''}`,
      );
    }

    const servers = emulators.map((e) => ({ role: e.role, kind: e.kind }));
    const ctx = {
      scenario: def.name,
      servers,
      items,
      changed,
      finished: finishedCount,
      latencyMs: args.latencyMs,
      synthetic: args.synthetic,
      seeded: seededText,
      baselineRssKiB,
      load,
      injected429: injected,
      ...(def.twoWay ? { twoWay: true } : {}),
    };
    process.stdout.write(`${summary(runs, ctx)}\n`);
    const result = {
      scenario: def.name,
      mode: def.twoWay ? 'two-way' : 'one-way',
      source: def.source,
      target: def.target,
      when: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalmem: totalmem(), loadavgAtStart: load },
      library: {
        items,
        changed,
        synthetic: args.synthetic,
        changedMovies: seeded.movies,
        changedEpisodes: seeded.episodes,
        finished: finished ? { movies: finished.movies, episodes: finished.episodes } : { movies: 0, episodes: 0 },
        ...(seededB ? { changedOnB: { movies: seededB.movies, episodes: seededB.episodes, avoided: seededB.avoided } } : {}),
      },
      latencyMs: args.latencyMs,
      injected429: injected,
      budgetSlack,
      baselineRssKiB,
      runs,
      ...(peer ? { peer } : {}),
    };
    const file = resultFile(def.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${file}\n\n`);

    const problems: string[] = [];
    for (const r of runs) if (!r.ok) problems.push(`the ${r.name} run failed: ${r.error ?? 'unknown error'}`);
    for (const rerun of runs.slice(1)) {
      if (rerun.writes > 0 || rerun.engine.writes > 0) {
        problems.push(`the ${rerun.name} re-run wrote ${rerun.writes} time(s) (engine counted ${rerun.engine.writes}); it should write nothing`);
      }
    }
    for (const p of problems) process.stderr.write(`bench [${def.name}]: ${p}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await stopAll(emulators);
    rmSync(workDir, { recursive: true, force: true });
  }
}
