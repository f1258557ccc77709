// Benchmark plumbing: emulators and helpers as child processes, so the benchmark process's peak
// RSS is the engine's; every child is tracked and killed on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { ChildInfo, MediaBrowserChildInfo, TraktChildInfo } from './emulator-child.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const START_TIMEOUT_MS = 180_000;

/** Something broke in the benchmark itself (not a number we measure). */
export class BenchError extends Error {}

/** Runs a script's main and turns its result or error into the exit code. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

export type EmulatorKind = 'plex' | 'jellyfin' | 'emby' | 'trakt';

export interface Emulator {
  /** `source` or `target`: the role in the pair, and the key of its request counts. */
  role: string;
  kind: EmulatorKind;
  /** Server name (seeds its native ids). */
  name: string;
  url: string;
  child: ChildProcess;
  /** The child's stderr. */
  logFile: string;
  /** Plex: the owner token. */
  plexToken?: string;
  mediaBrowser?: MediaBrowserChildInfo;
  trakt?: TraktChildInfo;
}

const children = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

let guarded = false;
let stopping = false;
/** A SIGINT/SIGTERM arrived: stop starting things and write nothing more. */
export const isStopping = (): boolean => stopping;
/**
 * Never leave children running. On SIGINT/SIGTERM the children get SIGTERM first, so a scenario
 * process can stop its own emulators (SIGKILL would orphan them), and SIGKILL after 5 s; on exit,
 * whatever is left gets SIGKILL.
 */
export function guardChildren(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      killAll('SIGTERM');
      const deadline = setTimeout(() => {
        killAll('SIGKILL');
        process.exit(130);
      }, 5_000);
      const poll = setInterval(() => {
        if (children.size > 0) return;
        clearTimeout(deadline);
        clearInterval(poll);
        process.exit(130);
      }, 50);
    });
  }
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
 * Spawns a long-running child whose first stdout line says where it listens. stderr goes to a
 * file: nothing to drain, nothing that can block the child (the Plex CLI logs every request
 * there), and the tail is there to quote if the child dies.
 */
async function spawnListening(args: string[], what: string, logFile: string): Promise<{ child: ChildProcess; line: string }> {
  const errFd = openSync(logFile, 'w');
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
      reject(new BenchError(`${what} ${why}\n${tail(logFile)}`));
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
  return { child, line };
}

/**
 * Plex: `playhead emulate plex` (the CLI always logs one line per request on stderr). Jellyfin,
 * Emby, Trakt: `bench/emulator-child.ts` (quiet), which prints the credentials the bench needs as one JSON line.
 */
export async function startEmulator(opts: {
  role: string;
  kind: EmulatorKind;
  name: string;
  synthetic: string;
  seed: string;
  workDir: string;
}): Promise<Emulator> {
  const { role, kind, name, synthetic, seed, workDir } = opts;
  const logFile = join(workDir, `${name}.stderr.log`);
  const what = `${kind} emulator "${name}"`;
  if (kind === 'plex') {
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'emulate', 'plex', '--port', '0', '--name', name, '--synthetic', synthetic, '--seed', seed];
    const { child, line } = await spawnListening(args, what, logFile);
    const match = /listening on (\S+) \(machineIdentifier \S+, owner token ([^)\s]+)\)/.exec(line);
    if (!match?.[1] || !match[2]) throw new BenchError(`${what} printed an unexpected line: ${line}`);
    return { role, kind, name, url: match[1], child, logFile, plexToken: match[2] };
  }
  const args = ['--import', 'tsx', 'bench/emulator-child.ts', kind, name, synthetic, seed];
  const { child, line } = await spawnListening(args, what, logFile);
  let info: ChildInfo;
  try {
    info = JSON.parse(line) as ChildInfo;
  } catch {
    throw new BenchError(`${what} printed an unexpected line: ${line}`);
  }
  const base = { role, kind, name, url: info.url, child, logFile };
  return info.kind === 'trakt' ? { ...base, trakt: info } : { ...base, mediaBrowser: info };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(emulators: Emulator[]): Promise<void> {
  await Promise.all(emulators.map((e) => stopChild(e.child)));
  killAll('SIGKILL');
}

/** Runs a short-lived child to completion and returns its stdout. */
export function runChild(args: string[], what: string): Promise<string> {
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

/** Runs a child with our stdout and stderr (its report goes straight to the terminal); resolves with its exit code. */
export function runChildInherit(args: string[]): Promise<number> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    children.add(child);
    child.once('error', (e) => reject(new BenchError(e.message)));
    child.once('exit', (code, signal) => {
      children.delete(child);
      done(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * A `/__emulator/*` call (no auth on any emulator kind). Through undici, which the engine loads
 * anyway: Node's own fetch would load a second HTTP stack (~8 MB) into the process whose peak
 * RSS is measured as the engine's.
 */
export async function control(emulator: Pick<Emulator, 'name' | 'url'>, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${emulator.url}${path}`, {
    method: method as 'GET',
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300)
    throw new BenchError(`${emulator.name}: ${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}
