// Items that could not be synced are tried again on later runs: one missing on the target
// (unresolved) until it appears, one whose write keeps failing until it is parked with its last
// error. A new position on the source always retries at once.
import type { PositionSnapshot } from './model.ts';

/** Unresolved items are retried on every run for this many runs, then less and less often. */
export const UNRESOLVED_EVERY_RUN = 3;
/** Consecutive failed runs after which an item is parked. */
export const PARK_AFTER_FAILURES = 5;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export type PendingKind = 'unresolved' | 'failed';

/** When to try again after `attempts` consecutive misses (epoch ms), and whether it is parked. */
export function nextTry(kind: PendingKind, attempts: number, now: number): { nextAt: number; parked: boolean } {
  if (kind === 'failed') return attempts >= PARK_AFTER_FAILURES ? { nextAt: now + DAY, parked: true } : { nextAt: now, parked: false };
  if (attempts <= UNRESOLVED_EVERY_RUN) return { nextAt: now, parked: false };
  // 15 min, 30 min, 1 h, … at most a day.
  return { nextAt: now + Math.min(DAY, 15 * MINUTE * 2 ** (attempts - UNRESOLVED_EVERY_RUN - 1)), parked: false };
}

/** What a pending entry was about: the same item with another source position is a new case. */
export function positionKey(p: PositionSnapshot): string {
  return `${p.progressMs ?? ''}|${p.progressPct ?? ''}|${p.progressAt ?? ''}`;
}
