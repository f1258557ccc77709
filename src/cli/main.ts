// `playhead` command line. Exit codes: see `EXIT` (and README, "Exit codes").
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { runAll, UnknownPairError, type PairOutcome } from '../engine/run-all.ts';
import type { RunEvent } from '../engine/run-pair.ts';
import { undoRun, UndoUsageError } from '../engine/undo.ts';
import { ProviderError } from '../providers/provider.ts';
import { providerModules } from '../providers/registry.ts';
import { LockedError } from '../store/lock.ts';
import { Store } from '../store/store.ts';
import { EXIT } from './exit.ts';
import { createLogger } from './log.ts';
import { registerWebhooksCommand } from './webhooks.ts';
import { asWriter, type WriterOutcome } from './writer.ts';
import { explainTable, pendingTable, runReport, runsToJson, statusTable, undoReport, undoToJson } from './output.ts';

export { EXIT } from './exit.ts';

interface GlobalOptions {
  config: string;
  json?: boolean;
  verbose?: boolean;
}

/**
 * Dry runs (`plan`, `--dry-run`) and read-only commands (`status`, `explain`) read an in-memory
 * copy of the state file: they create and change no file, and work in a read-only directory.
 */
function loadApp(globals: GlobalOptions, opts: { dryRun?: boolean; readOnly?: boolean } = {}): { config: Config; store: Store; log: Logger } {
  const config = loadConfig(globals.config, process.env);
  const human = globals.json !== true && process.stderr.isTTY === true;
  const log = createLogger({ ...(globals.verbose !== undefined ? { verbose: globals.verbose } : {}), level: config.logLevel, human });
  for (const note of config.notes ?? []) log.debug(note);
  // Straight to stderr, whatever the log level: a readable token is worth a line every time.
  for (const warning of config.warnings ?? []) process.stderr.write(`playhead: warning: ${warning}\n`);
  const store = opts.dryRun === true || opts.readOnly === true ? Store.openCopy(config.state.path) : Store.open(config.state.path);
  return { config, store, log };
}

/** `status` and `explain` before the first sync: there is no state file, and that is not an error. */
function noRunsYet(config: Config, json: boolean, empty: Record<string, unknown[]>): boolean {
  if (existsSync(config.state.path)) return false;
  process.stdout.write(
    json ? `${JSON.stringify(empty, null, 2)}\n` : `No runs yet: ${config.state.path} does not exist (the first \`playhead sync\` creates it).\n`,
  );
  return true;
}

/** A progress bar on stderr while scanning, only when a person is watching. */
function progressReporter(enabled: boolean): { onEvent?: (pair: string, e: RunEvent) => void; stop: () => void } {
  if (!enabled) return { stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{pair} {phase} [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEvent: (pair, e) => {
      const value = e.phase === 'read' ? e.seen : e.done;
      const total = e.phase === 'read' ? Math.max(e.total ?? value, value) : e.total;
      if (!started) {
        bar.start(total, value, { pair, phase: e.phase });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, { pair, phase: e.phase });
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export function exitCodeFor(outcomes: PairOutcome[]): number {
  const failures = outcomes.filter((o): o is Extract<PairOutcome, { ok: false }> => !o.ok);
  if (failures.some((f) => isUsageError(f.error))) return EXIT.usage;
  if (failures.length > 0) return EXIT.failure;
  if (outcomes.some((o) => o.ok && o.result.status === 'partial')) return EXIT.partial;
  return EXIT.ok;
}

function isUsageError(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof UnknownPairError || (err instanceof ProviderError && (err.kind === 'auth' || err.kind === 'config'));
}

/** Exit code of a writing command: its own, or the signal's that stopped it. */
function exitOf(outcome: WriterOutcome): number {
  if (outcome.signal === undefined) return outcome.code;
  return outcome.signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

/** Runs a command's work; a real (not dry) run holds the writer lock, recovers, and stops cleanly on a signal. */
async function maybeAsWriter(
  app: { config: Config; store: Store; log: Logger },
  opts: { dryRun: boolean; command: string; waitMs: number },
  body: (signal?: AbortSignal) => Promise<number>,
): Promise<number> {
  if (opts.dryRun) return body();
  return exitOf(await asWriter({ ...app, command: opts.command, waitMs: opts.waitMs }, body));
}

async function runCommand(globals: GlobalOptions, opts: { dryRun: boolean; pair?: string; all?: boolean; limit: number; waitMs: number }): Promise<number> {
  const { config, store, log } = loadApp(globals, { dryRun: opts.dryRun });
  // The bar is drawn on stderr, but only when a person watches stdout.
  const progress = progressReporter(!globals.json && process.stdout.isTTY === true && process.stderr.isTTY === true);
  try {
    return await maybeAsWriter({ config, store, log }, { dryRun: opts.dryRun, command: 'sync', waitMs: opts.waitMs }, async (signal) => {
      const outcomes = await runAll({
        config,
        store,
        log,
        dryRun: opts.dryRun,
        ...(opts.pair ? { pair: opts.pair } : {}),
        ...(progress.onEvent ? { onEvent: progress.onEvent } : {}),
        ...(signal ? { signal } : {}),
      });
      progress.stop();
      if (globals.json) {
        process.stdout.write(`${JSON.stringify(runsToJson(outcomes, opts.dryRun), null, 2)}\n`);
      } else {
        if (outcomes.length === 0) process.stdout.write('No enabled pairs with progress.enable and progress.add on.\n');
        for (const o of outcomes) {
          if (o.ok) process.stdout.write(`${runReport(o.result, opts.all ? Number.POSITIVE_INFINITY : opts.limit)}\n`);
          else process.stderr.write(`${o.pair}: ${o.error.message}\n`);
        }
      }
      return exitCodeFor(outcomes);
    });
  } finally {
    progress.stop();
    store.close();
  }
}

/** `--wait` alone waits for ever; `--wait <seconds>` that long; without it, no wait. */
function waitMsOf(wait: string | boolean | undefined): number {
  if (wait === undefined || wait === false) return 0;
  if (wait === true) return Number.POSITIVE_INFINITY;
  const seconds = Number(wait);
  if (!Number.isFinite(seconds) || seconds < 0) throw new CommanderError(EXIT.usage, 'playhead.wait', `--wait takes a number of seconds (got ${wait})`);
  return seconds * 1000;
}

const WAIT_HELP = 'when another Playhead holds the state file, wait for it (for ever, or this many seconds) instead of exiting 3';

export function buildProgram(): Command {
  const program = new Command('playhead')
    .description('Keeps resume positions in step across Plex, Jellyfin, Emby and Trakt.')
    .addOption(new Option('-c, --config <file>', 'config file').env('PLAYHEAD_CONFIG').default('./playhead.yaml'))
    .option('--json', 'machine-readable output on stdout (logs stay on stderr)')
    .option('-v, --verbose', 'debug logs on stderr')
    .exitOverride()
    .showHelpAfterError();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const parseLimit = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CommanderError(EXIT.usage, 'playhead.limit', `--limit must be a positive integer (got ${v})`);
    return n;
  };

  program
    .command('plan')
    .description('show what a sync would do, with a reason per item, without writing anything')
    .option('-p, --pair <name>', 'only this pair')
    .option('--all', 'list every item, not only the first --limit')
    .option('--limit <n>', 'rows to show per pair', parseLimit, 50)
    .action(async (o: { pair?: string; all?: boolean; limit: number }) => {
      process.exitCode = await runCommand(globals(), { dryRun: true, ...o, waitMs: 0 });
    });

  program
    .command('sync')
    .description('apply the plan: write resume positions to targets, confirm, record')
    .option('-p, --pair <name>', 'only this pair')
    .option('-n, --dry-run', 'same as `plan`')
    .option('--all', 'list every item, not only the first --limit')
    .option('--limit <n>', 'rows to show per pair', parseLimit, 50)
    .option('--wait [seconds]', WAIT_HELP)
    .action(async (o: { pair?: string; dryRun?: boolean; all?: boolean; limit: number; wait?: string | boolean }) => {
      const { wait, ...rest } = o;
      process.exitCode = await runCommand(globals(), { ...rest, dryRun: o.dryRun === true, waitMs: waitMsOf(wait) });
    });

  program
    .command('status')
    .description('recent runs and what they decided')
    .option('--limit <n>', 'how many runs', parseLimit, 10)
    .action((o: { limit: number }) => {
      const { config, store } = loadApp(globals(), { readOnly: true });
      try {
        if (noRunsYet(config, globals().json === true, { runs: [], pending: [] })) return;
        const runs = store.runs({ limit: o.limit });
        const pending = store.pending();
        process.stdout.write(
          globals().json
            ? `${JSON.stringify({ runs, pending }, null, 2)}\n`
            : `${statusTable(runs)}\n\nWaiting for another try:\n${pendingTable(pending, Date.now())}\n`,
        );
      } finally {
        store.close();
      }
    });

  program
    .command('explain')
    .description('every decision recorded for one item (title substring or canonical key)')
    .argument('<title-or-key>')
    .action((query: string) => {
      const { config, store } = loadApp(globals(), { readOnly: true });
      try {
        if (noRunsYet(config, globals().json === true, { decisions: [] })) return;
        const rows = store.explain(query);
        process.stdout.write(globals().json ? `${JSON.stringify({ decisions: rows }, null, 2)}\n` : `${explainTable(rows)}\n`);
        process.exitCode = EXIT.ok;
      } finally {
        store.close();
      }
    });

  program
    .command('undo')
    .description('put back what a run wrote, except where the target changed since')
    .argument('<run-id>', 'a run number from `playhead status`')
    .option('-n, --dry-run', 'show what undo would do, change nothing')
    .option('--wait [seconds]', WAIT_HELP)
    .action(async (id: string, o: { dryRun?: boolean; wait?: string | boolean }) => {
      const dryRun = o.dryRun === true;
      const waitMs = waitMsOf(o.wait);
      const { config, store, log } = loadApp(globals(), { dryRun });
      try {
        process.exitCode = await maybeAsWriter({ config, store, log }, { dryRun, command: 'undo', waitMs }, async (signal) => {
          const result = await undoRun({ config, store, log, runId: /^\d+$/.test(id) ? Number(id) : Number.NaN, dryRun, ...(signal ? { signal } : {}) });
          process.stdout.write(globals().json ? `${JSON.stringify(undoToJson(result), null, 2)}\n` : `${undoReport(result)}\n`);
          return result.status === 'partial' ? EXIT.partial : EXIT.ok;
        });
      } catch (err) {
        if (!(err instanceof UndoUsageError)) throw err;
        process.stderr.write(`playhead: ${err.message}\n`);
        process.exitCode = EXIT.usage;
      } finally {
        store.close();
      }
    });

  program
    .command('serve')
    .description('run every pair on its schedule and answer the HTTP API (see README, "playhead serve")')
    .option('--host <host>', 'address to listen on; anything but loopback needs PLAYHEAD_API_TOKEN', '127.0.0.1')
    .option('--port <n>', `port to listen on (0 = any free port)`, '8787')
    .action(async (o: { host: string; port: string }) => {
      const { runServe, serveUsageProblem } = await import('./serve.ts');
      const problem = serveUsageProblem(o, process.env);
      if (problem) {
        process.stderr.write(`playhead: ${problem}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const app = loadApp(globals());
      try {
        process.exitCode = await runServe(app, o);
      } finally {
        app.store.close();
      }
    });

  registerWebhooksCommand(program, () => ({ ...loadApp(globals()), json: globals().json === true }));

  program
    .command('auth')
    .description('sign in to a provider that needs it (Trakt: the device-code flow)')
    .argument('<provider>', 'provider name from playhead.yaml')
    .action(async (provider: string) => {
      const { config, store, log } = loadApp(globals());
      try {
        const { authProvider } = await import('./auth.ts');
        await authProvider({ config, store, log, provider, out: (line) => void process.stdout.write(`${line}\n`) });
      } finally {
        store.close();
      }
    });

  program
    .command('init')
    .description("print (or write) a starter playhead.yaml from a Plex server's accounts: one user per account")
    .requiredOption('--plex <url>', 'the Plex server to read, e.g. http://192.168.1.10:32400')
    .addOption(new Option('--token <token>', "the server owner's X-Plex-Token (prefer the PLEX_TOKEN variable: arguments show in ps)").env('PLEX_TOKEN'))
    .option('--to <target>', `a server to sync to: ${initTargetsHelp()} (repeatable)`, (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--write <file>', 'write the file (mode 600) instead of printing it')
    .option('--force', 'with --write: overwrite an existing file')
    .action(async (o: { plex: string; token?: string; to: string[]; write?: string; force?: boolean }) => {
      const { runInit } = await import('./init.ts');
      process.exitCode = await runInit({
        ...o,
        json: globals().json === true,
        out: (text) => void process.stdout.write(text),
        err: (text) => void process.stderr.write(text),
      });
    });

  program
    .command('emulate')
    .description('run a server emulator (to try Playhead without real servers)')
    .argument(
      '<kind>',
      providerModules()
        .flatMap((m) => (m.emulator ? [m.kind] : []))
        .join(', '),
    )
    .option('--port <n>', "port (0 = any free port; default: the server's usual one)")
    .option('--name <name>', 'server name; different names give different native ids')
    .option('--token <token...>', 'extra accepted tokens (Plex: owner tokens; Jellyfin/Emby: API keys)')
    .option('--data <file>', 'JSON data file with the whole server state')
    .option('--synthetic <spec>', 'generate a library: movies=N,shows=S,seasons=K,episodes=E')
    .option('--seed <seed>', 'seed for --synthetic', '1')
    .option('--version <version>', 'Jellyfin/Emby: the server version to claim (e.g. 10.8.13)')
    .option('--quiet', 'do not log each request')
    .action(
      async (
        kind: string,
        o: { port?: string; name?: string; token?: string[]; data?: string; synthetic?: string; seed: string; version?: string; quiet?: boolean },
      ) => {
        const { runEmulatorCli } = await import('./emulate.ts');
        await runEmulatorCli(kind, o);
      },
    );

  program
    .command('demo')
    .description('start Plex, Jellyfin and Trakt emulators, sync between them and narrate what happens; in a terminal, then serve the dashboard until Ctrl-C')
    .option('--no-serve', 'end when the steps are done instead of serving the dashboard (always so when stdout is not a terminal)')
    .action(async (opts: { serve: boolean }) => {
      const { keepServingFor, runDemo } = await import('./demo.ts');
      const keepServing = keepServingFor({ serve: opts.serve, tty: process.stdout.isTTY === true });
      process.exitCode = await runDemo({ json: globals().json === true, keepServing });
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
      if (err.code === 'playhead.limit' || err.code === 'playhead.wait') process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof LockedError) {
      process.stderr.write(`playhead: ${err.message}\n`);
      return EXIT.locked;
    }
    process.stderr.write(`playhead: ${err instanceof Error ? err.message : String(err)}\n`);
    return isUsageError(err) ? EXIT.usage : EXIT.failure;
  }
}

// Run when executed directly (tsx src/cli/main.ts or bin/playhead.js).
const invokedDirectly = process.argv[1] !== undefined && /(?:main\.ts|playhead(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

/** `--to` forms from the registry: `KIND=URL` for servers, the bare kind for services (Trakt). */
function initTargetsHelp(): string {
  return providerModules()
    .flatMap((m) => (m.initTarget ? [m.initTarget.takesUrl ? `${m.kind}=URL` : m.kind] : []))
    .join(', ');
}
