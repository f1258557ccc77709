// When `playhead serve` runs each pair, and the rule that runs never collide. Every pair runs once
// at start, then on its own schedule (`schedule:` in playhead.yaml, or every 30 minutes), each
// tick pushed back by a random jitter so that many installations (or many pairs) do not hit one
// server on the same second. Runs are executed one at a time across all pairs: the engine was
// built for one run at a time per state database (the CLI runs pairs in turn), and two pairs
// often share a target. So a pair is either idle, queued or running, and a second request for a
// pair that is queued or running is refused rather than stacked: runs of one pair never overlap.
// Whatever started a run (the schedule, the API, a trigger's item-scoped run), it enters here.
// Item-scoped runs are the exception to "refused when busy": an event must not be lost because
// the pair's full run is going, so they queue behind it, and the items of one pair that arrive
// while an item run waits its turn join that run.
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { PairConfig, PairSchedule } from '../core/pair.ts';
import type { ScopedItem } from '../engine/run-pair.ts';

const DEFAULT_SCHEDULE: PairSchedule = { everyMs: 30 * 60_000 };
/** Jitter is a tenth of the gap to the next tick, at most a minute. */
const MAX_JITTER_MS = 60_000;
/** setTimeout's longest delay; a later tick is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `schedule`, `api`, or the trigger that saw an item change (`plex-websocket`, …). */
export type Trigger = string;

export interface RunRequest {
  pair: string;
  trigger: Trigger;
  dryRun: boolean;
  /** An item-scoped run: these items (native ids on the provider that reported them) only. */
  items?: ScopedItem[];
}

type PairPhase = 'idle' | 'queued' | 'running';

export interface PairTiming {
  phase: PairPhase;
  /** When the schedule runs it next (epoch ms, jitter included), while serve is running. */
  nextRunAt?: number;
  schedule: PairSchedule;
}

/** Refused: the pair is already queued or running (HTTP 409), or serve is stopping (503). */
export class RunRefusedError extends Error {
  constructor(
    message: string,
    readonly why: 'busy' | 'stopping',
  ) {
    super(message);
  }
}

export interface SchedulerOptions<Result> {
  pairs: PairConfig[];
  log: Logger;
  /** Runs one pair; resolves with whatever the caller wants back (a failed pair should resolve, but may throw). */
  execute: (request: RunRequest) => Promise<Result>;
  /** Asked at each scheduled tick (not the run at start): why this tick has nothing to find, or
   * undefined to run it (serve: the pair's sources are watched by a poll that sees every change). */
  skipTick?: (pair: string) => string | undefined;
  now?: () => number;
  random?: () => number;
}

/** The next tick of a schedule after `from` (epoch ms), without jitter. */
function nextTick(schedule: PairSchedule, from: number): number {
  if ('everyMs' in schedule) return from + schedule.everyMs;
  const next = new Cron(schedule.cron, { paused: true }).nextRun(new Date(from));
  return next ? next.getTime() : Number.POSITIVE_INFINITY;
}

/**
 * How often a pair's schedule comes round: `every`, or for a cron expression the gap between
 * its next two ticks after `from` (a poll that stands in for the schedule's reads runs at it).
 */
export function scheduleGapMs(schedule: PairSchedule | undefined, from: number): number {
  const s = schedule ?? DEFAULT_SCHEDULE;
  const next = nextTick(s, from);
  return Number.isFinite(next) ? nextTick(s, next) - next : Number.POSITIVE_INFINITY;
}

interface PairSlot<Result = unknown> {
  pair: PairConfig;
  schedule: PairSchedule;
  phase: PairPhase;
  nextRunAt?: number;
  timer?: NodeJS.Timeout;
  /** The item run waiting its turn: items join it until it starts. `full`: it runs the whole pair. */
  items?: { ids: Map<string, ScopedItem>; full: boolean; result: Promise<Result | undefined> };
}

export class Scheduler<Result = unknown> {
  private readonly slots = new Map<string, PairSlot<Result>>();
  /** The tail of the one-at-a-time chain every run is appended to. */
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: SchedulerOptions<Result>) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    for (const pair of opts.pairs) this.slots.set(pair.name, { pair, schedule: pair.schedule ?? DEFAULT_SCHEDULE, phase: 'idle' });
  }

  /** Queues every pair's first run, then arms its schedule. */
  start(): void {
    for (const slot of this.slots.values()) {
      this.tryEnqueue(slot, 'schedule');
      this.arm(slot);
    }
  }

  timing(pair: string): PairTiming | undefined {
    const slot = this.slots.get(pair);
    if (!slot) return undefined;
    return { phase: slot.phase, schedule: slot.schedule, ...(slot.nextRunAt !== undefined ? { nextRunAt: slot.nextRunAt } : {}) };
  }

  /** Queues one run of `pair` and resolves with its result once it ran; throws RunRefusedError if it cannot. */
  request(request: RunRequest): Promise<Result> {
    const slot = this.slots.get(request.pair);
    if (!slot) throw new Error(`no pair named "${request.pair}"`);
    if (this.stopping) throw new RunRefusedError('serve is stopping: no new runs', 'stopping');
    if (slot.phase !== 'idle') throw new RunRefusedError(`pair "${request.pair}" is already ${slot.phase}: runs of one pair never overlap`, 'busy');
    return this.enqueue(slot, request, false);
  }

  /**
   * Queues an item-scoped run of `pair` behind whatever is queued or running (never refused for
   * a busy pair); items for the pair arriving before it starts join it. Without `items` (a
   * catch-up: the trigger cannot say which items changed) the pair runs in full. Resolves with
   * the run's result, or undefined when serve stopped before it started.
   */
  requestItems(pair: string, trigger: Trigger, items: ScopedItem[] | undefined): Promise<Result | undefined> {
    const slot = this.slots.get(pair);
    if (!slot) throw new Error(`no pair named "${pair}"`);
    if (this.stopping) return Promise.resolve(undefined);
    const add = (ids: Map<string, ScopedItem>) => {
      for (const item of items ?? []) ids.set(`${item.provider}\u0000${item.nativeId}`, item);
    };
    if (slot.items) {
      add(slot.items.ids);
      if (!items) slot.items.full = true;
      return slot.items.result;
    }
    const waiting: NonNullable<PairSlot<Result>['items']> = { ids: new Map(), full: items === undefined, result: Promise.resolve(undefined) };
    add(waiting.ids);
    slot.items = waiting;
    waiting.result = this.chain.then(async (): Promise<Result | undefined> => {
      delete slot.items;
      if (this.stopping) return undefined;
      return this.opts.execute({ pair, trigger, dryRun: false, ...(waiting.full ? {} : { items: [...waiting.ids.values()] }) });
    });
    this.chain = waiting.result.then(
      () => {},
      () => {},
    );
    return waiting.result;
  }

  /**
   * Runs `work` alone, between pair runs (an undo writes to a target too); throws
   * RunRefusedError while stopping.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.stopping) throw new RunRefusedError('serve is stopping: no new work', 'stopping');
    const result = this.chain.then(work);
    this.chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Stops the timers and refuses new runs; resolves when the run in progress (if any) and the queue have ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      delete slot.nextRunAt;
    }
    await this.chain;
  }

  private tryEnqueue(slot: PairSlot<Result>, trigger: Trigger): void {
    if (this.stopping) return;
    if (slot.phase !== 'idle') {
      this.opts.log.info({ pair: slot.pair.name, phase: slot.phase }, 'scheduled run skipped: the previous one has not finished');
      return;
    }
    // A failed run is reported by the executor (log, events, metrics); it must not stop the schedule.
    this.enqueue(slot, { pair: slot.pair.name, trigger, dryRun: false }, true).catch(() => {});
  }

  /** A `droppable` run (a scheduled one) that has not started when serve stops never starts; a requested one still runs. */
  private enqueue(slot: PairSlot<Result>, request: RunRequest, droppable: true): Promise<Result | undefined>;
  private enqueue(slot: PairSlot<Result>, request: RunRequest, droppable: false): Promise<Result>;
  private enqueue(slot: PairSlot<Result>, request: RunRequest, droppable: boolean): Promise<Result | undefined> {
    slot.phase = 'queued';
    const result = this.chain.then(async (): Promise<Result | undefined> => {
      if (this.stopping && droppable) {
        slot.phase = 'idle';
        return undefined;
      }
      slot.phase = 'running';
      try {
        return await this.opts.execute(request);
      } finally {
        slot.phase = 'idle';
      }
    });
    this.chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  private tick(slot: PairSlot<Result>): void {
    const skip = this.opts.skipTick?.(slot.pair.name);
    if (skip === undefined) this.tryEnqueue(slot, 'schedule');
    else this.opts.log.info({ pair: slot.pair.name, why: skip }, 'scheduled run not needed');
  }

  private arm(slot: PairSlot<Result>): void {
    if (this.stopping) return;
    const now = this.now();
    const tick = nextTick(slot.schedule, now);
    if (!Number.isFinite(tick)) return; // a cron expression with no future time
    const jitter = Math.floor(this.random() * Math.min(MAX_JITTER_MS, (tick - now) / 10));
    const at = tick + jitter;
    slot.nextRunAt = at;
    const delay = at - now;
    slot.timer = setTimeout(
      () => {
        if (delay <= MAX_TIMER_MS) this.tick(slot);
        this.arm(slot);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }
}
