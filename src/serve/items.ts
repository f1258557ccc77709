// Between a trigger's events and item-scoped runs: coalescing and settling. A player reports
// many times per play (progress every few seconds, pause, stop, the played state that follows a
// stop), so events for one item of one pair wait a short window and become one run. And an item
// is never synced while it is still playing (a half-watched snapshot must not stick): a `playing`
// report waits for the session's stop (the next event replaces it), a `paused` one for
// `settle_seconds` without news, after which the pause counts as the end of the session.
import type { Logger } from 'pino';
import type { ItemEvent } from '../providers/trigger.ts';

/** Events for one item within this window make one run. */
export const COALESCE_MS = 1_000;
/** `settle_seconds` when neither the pair nor the file says. */
export const DEFAULT_SETTLE_SECONDS = 20;
/**
 * A session reported `playing` that then goes quiet this many settle periods (players report
 * every few seconds while playing) is taken as ended without a stop we heard (a lost frame, a
 * player that died): its item is read then, rather than never.
 */
const QUIET_PLAYING_SETTLES = 3;

export interface ItemWork {
  pair: string;
  /** The provider the item's native id belongs to (either side of a two-way pair). */
  provider: string;
  nativeId: string;
  /** What reported it (`plex-websocket`, …), or `settle` for a re-read a run asked for. */
  via: string;
  /** The first event's time, for the event-to-write latency; absent for re-reads. */
  firstEventAt?: number;
}

/** One waiting item: native ids are only unique per provider (a Plex ↔ Plex pair). */
const keyOf = (pair: string, provider: string, nativeId: string): string => `${pair}\u0000${provider}\u0000${nativeId}`;

export interface ItemQueueOptions {
  /** The pair's settle time (ms). */
  settleMs: (pair: string) => number;
  run: (work: ItemWork) => void;
  log: Logger;
  now?: () => number;
  coalesceMs?: number;
}

interface Waiting {
  work: ItemWork;
  kind: ItemEvent['kind'] | 'recheck';
  timer: NodeJS.Timeout;
}

export class ItemQueue {
  private readonly waiting = new Map<string, Waiting>();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: ItemQueueOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** An event about an item of `pair`'s source: (re)starts the item's wait. */
  push(pair: string, event: ItemEvent): void {
    if (this.stopped) return;
    const key = keyOf(pair, event.provider, event.nativeId);
    const before = this.waiting.get(key);
    if (before) clearTimeout(before.timer);
    const firstEventAt = Math.min(before?.work.firstEventAt ?? event.at, event.at);
    const work: ItemWork = { pair, provider: event.provider, nativeId: event.nativeId, via: event.via, firstEventAt };
    this.arm(key, work, event.kind, this.delayFor(pair, event.kind));
  }

  /**
   * A run saw the item playing (a `playing_now` decision): read it again once the session has
   * had time to end. The re-read that still finds it playing asks again, so it is read for good
   * only after the session ended. An event already waiting for the item wins.
   */
  recheck(pair: string, provider: string, nativeId: string): void {
    if (this.stopped) return;
    const key = keyOf(pair, provider, nativeId);
    if (this.waiting.has(key)) return;
    this.arm(key, { pair, provider, nativeId, via: 'settle' }, 'recheck', this.opts.settleMs(pair));
  }

  /** Items waiting (for /api and tests). */
  size(): number {
    return this.waiting.size;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
  }

  private delayFor(pair: string, kind: ItemEvent['kind']): number {
    const settle = this.opts.settleMs(pair);
    if (kind === 'playing') return settle * QUIET_PLAYING_SETTLES;
    if (kind === 'paused') return Math.max(settle, this.opts.coalesceMs ?? COALESCE_MS);
    return this.opts.coalesceMs ?? COALESCE_MS;
  }

  private arm(key: string, work: ItemWork, kind: Waiting['kind'], delay: number): void {
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.opts.log.debug(
        { pair: work.pair, item: work.nativeId, after: kind, waitedMs: work.firstEventAt !== undefined ? this.now() - work.firstEventAt : undefined },
        'item settled',
      );
      this.opts.run(work);
    }, delay);
    timer.unref();
    this.waiting.set(key, { work, kind, timer });
  }
}
