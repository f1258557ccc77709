// One writer per state database: a lock row in the database itself (kv `writer_lock`), holding
// the writer's pid, host, command, start time and a heartbeat. It is taken and checked inside one
// IMMEDIATE transaction, so two processes can never both see it free. A row left by a dead
// process is taken over: on this host its pid is gone; on any host its heartbeat stopped.
// Living in the database (not a file beside it) means it moves, is backed up and is removed with
// the state, and needs no dependency; read-only commands (`plan`, `status`, `explain`) never touch it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store } from './store.ts';

const LOCK_KEY = 'writer_lock';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: number;
  heartbeatAt: number;
  /** Tells two holders apart even when a pid is reused. */
  token: string;
}

export interface LockOptions {
  /** What the holder is doing, shown to whoever finds the lock taken (`sync`, `undo`). */
  command: string;
  /** The state file, named in the message. */
  path: string;
  /** Wait this long for the lock (ms); 0 = fail at once, Infinity = wait for ever. */
  waitMs?: number;
  /** How often the holder proves it is alive (ms). */
  heartbeatMs?: number;
  /** A heartbeat older than this (ms) means the holder is gone (another host, or a reused pid). */
  staleMs?: number;
  /** How often a waiter tries again (ms). */
  pollMs?: number;
  now?: () => number;
  /** Whether a pid lives on this host (tests replace it). */
  isAlive?: (pid: number) => boolean;
  /** Called once, when the lock is found held and we start waiting for it. */
  onWait?: (holder: LockHolder) => void;
}

export interface WriterLock {
  readonly holder: LockHolder;
  /** The holder this lock replaced because it was stale (its process died), if any. */
  readonly tookOverFrom?: LockHolder;
  release(): void;
}

/** Who holds the lock, for messages: `pid 42 on nas (sync, started 2026-12-06T04:00:00.000Z)`. */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} (${holder.command}, started ${new Date(holder.startedAt).toISOString()})`;
}

/** Another live process holds the lock (the CLI exits 3 with this message). */
export class LockedError extends Error {
  constructor(
    readonly holder: LockHolder,
    readonly path: string,
    /** The wait asked for (--wait), 0 for none. */
    waitedMs: number,
  ) {
    const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
    // `serve` holds the lock for its whole life: waiting would not help, asking it would.
    super(
      holder.command === 'serve'
        ? `${path} is in use by a running \`playhead serve\`: ${describeHolder(holder)}${waited}; ask it to run a pair instead: POST /api/pairs/{name}/run on its API`
        : `${path} is locked by another Playhead: ${describeHolder(holder)}${waited}; try again later or pass --wait`,
    );
  }
}

const DEFAULT_HEARTBEAT_MS = 5_000;
const DEFAULT_STALE_MS = 60_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockHolder(store: Store): LockHolder | undefined {
  const text = store.getKv(LOCK_KEY);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LockHolder;
  } catch {
    return undefined; // an unreadable row protects nothing: treat it as free
  }
}

/** Why a holder no longer counts, or undefined while it does. */
function staleBecause(holder: LockHolder, at: number, opts: Required<Pick<LockOptions, 'staleMs' | 'isAlive'>>): string | undefined {
  if (holder.host === hostname() && holder.pid !== process.pid && !opts.isAlive(holder.pid)) return `pid ${holder.pid} is gone`;
  if (at - holder.heartbeatAt > opts.staleMs) return `no heartbeat for ${Math.round((at - holder.heartbeatAt) / 1000)} s`;
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock, waiting up to `waitMs`, or throws LockedError naming the holder. The holder
 * keeps a heartbeat while it holds the lock; `release()` removes the row only if it is still ours.
 */
export async function acquireWriterLock(store: Store, opts: LockOptions): Promise<WriterLock> {
  const now = opts.now ?? Date.now;
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const isAlive = opts.isAlive ?? pidAlive;
  const waitMs = opts.waitMs ?? 0;
  const firstTry = now();
  const mine: LockHolder = { pid: process.pid, host: hostname(), command: opts.command, startedAt: firstTry, heartbeatAt: firstTry, token: randomUUID() };

  const tryTake = store.db.transaction((): { took: true; stale?: LockHolder } | { took: false; holder: LockHolder } => {
    const holder = readLockHolder(store);
    const at = now();
    if (holder && staleBecause(holder, at, { staleMs, isAlive }) === undefined) return { took: false, holder };
    store.setKv(LOCK_KEY, JSON.stringify({ ...mine, startedAt: at, heartbeatAt: at }));
    return holder ? { took: true, stale: holder } : { took: true };
  });

  let announced = false;
  for (;;) {
    const attempt = tryTake.immediate();
    if (attempt.took) return holdLock(store, { ...mine, ...readLockHolder(store) }, attempt.stale, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, now);
    const waited = now() - firstTry;
    if (waited >= waitMs) throw new LockedError(attempt.holder, opts.path, waitMs);
    if (!announced) opts.onWait?.(attempt.holder);
    announced = true;
    await sleep(Math.min(opts.pollMs ?? 250, waitMs - waited));
  }
}

function holdLock(store: Store, holder: LockHolder, stale: LockHolder | undefined, heartbeatMs: number, now: () => number): WriterLock {
  const ours = (): boolean => readLockHolder(store)?.token === holder.token;
  const beat = store.db.transaction(() => {
    if (ours()) store.setKv(LOCK_KEY, JSON.stringify({ ...holder, heartbeatAt: now() }));
  });
  // The heartbeat must not keep the process alive, and a busy database only delays one beat.
  const timer = setInterval(() => {
    try {
      beat.immediate();
    } catch {
      // the next beat tries again
    }
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    holder,
    ...(stale ? { tookOverFrom: stale } : {}),
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      store.db
        .transaction(() => {
          if (ours()) store.deleteKv(LOCK_KEY);
        })
        .immediate();
    },
  };
}
