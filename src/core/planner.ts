// The planner: is a source position worth writing to a target at all?
// It looks at numbers only (positions, durations, thresholds). Whether the target's live state
// allows the write (someone is playing, the target is newer…) is the policy's job (policy.ts).
import type { PositionSnapshot } from './model.ts';
import type { ProgressSettings } from './pair.ts';

export type PlanResult =
  | { action: 'write'; percent?: number; cap?: { atPercent: number; writePercent: number } }
  | { action: 'skip'; reason: 'below_minimum' | 'near_complete' | 'unchanged'; detail: Record<string, unknown> };

/** A capped write lands this many percentage points below the target's "watched" point. */
export const CAP_MARGIN_PERCENT = 0.5;

/** Percent-only positions (Trakt) are compared with this slack, in percentage points. */
export const PERCENT_SLACK = 0.1;
/** Guards percent comparisons against binary rounding (21.1 − 21.0 = 0.10000000000000142). */
const EPSILON = 1e-9;

type Position = PositionSnapshot & { progressPct?: number };

function isNum(v: number | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Percent watched: from ms and duration when both are known, else the given percent. */
export function percentOf(p: Position): number | undefined {
  if (isNum(p.progressMs) && isNum(p.durationMs) && p.durationMs > 0) {
    // ms×100/duration, not ms/duration×100: exact for whole-number results (5 700 000 of
    // 6 000 000 is 95, not 94.99999999999999).
    return (p.progressMs * 100) / p.durationMs;
  }
  return isNum(p.progressPct) ? p.progressPct : undefined;
}

/**
 * Decides whether a source position should be written to a target. Rules, first match wins:
 *
 * 1. `below_minimum` — the source position is under `minSeconds` (exactly `minSeconds` is not
 *    under). A position of 0, or no position at all, is always below the minimum, even with
 *    `minSeconds: 0`: there is nothing to write. A percent-only source (no ms, percent > 0) is
 *    filtered only when it knows its duration (its seconds are then estimated).
 * 2. `near_complete` — the source percent (ms/duration, else its percent) is at or past
 *    `maxPercent`. Unknown percent → not near complete. Between the target's own "watched" point
 *    (`targetCompletionPercent`, Plex 90) and `maxPercent` the write is *capped*: it goes out
 *    `CAP_MARGIN_PERCENT` below that point, so a sync never makes the target mark an item watched.
 * 3. `unchanged` — the target holds a position and the difference is below `deltaSeconds`
 *    (strictly: a difference of exactly `deltaSeconds` is a change and is written); equal
 *    positions are unchanged whatever the delta. When either side is percent-only, the
 *    percents are compared instead: unchanged when they differ by less than 0.1 points. Not
 *    applied when the target is watched and `replay` is on: then the write is the point.
 * 4. otherwise `write`, with the source percent when it is known.
 *
 * Explicit 0 settings mean what they say: `minSeconds: 0` has no minimum, `deltaSeconds: 0`
 * writes any difference. There is no "clear" outcome: a source without a position never
 * clears the target.
 */
export function planProgress(
  source: Position,
  target: Position | undefined,
  settings: ProgressSettings,
  targetCompletionPercent?: number,
): PlanResult {
  const sourceMs = isNum(source.progressMs) ? source.progressMs : undefined;
  const sourcePct = percentOf(source);

  // 1. below_minimum
  const thresholdMs = settings.minSeconds * 1000;
  if (sourceMs !== undefined) {
    if (sourceMs <= 0 || sourceMs < thresholdMs) {
      return { action: 'skip', reason: 'below_minimum', detail: { sourceMs, thresholdMs } };
    }
  } else if (!isNum(source.progressPct) || source.progressPct <= 0) {
    return { action: 'skip', reason: 'below_minimum', detail: { sourceMs: null, thresholdMs, note: 'no position' } };
  } else if (isNum(source.durationMs) && source.durationMs > 0) {
    // A percent-only source that knows its runtime (Trakt): its seconds can be estimated.
    const estimatedMs = Math.round((source.progressPct * source.durationMs) / 100);
    if (estimatedMs < thresholdMs) return { action: 'skip', reason: 'below_minimum', detail: { sourceMs: estimatedMs, thresholdMs, estimated: true } };
  }

  // 2. near_complete: finished enough that watched-state sync, not resume sync, owns it.
  const maxPercent = settings.maxPercent;
  if (sourcePct !== undefined && sourcePct >= maxPercent) {
    const detail: Record<string, unknown> = { percent: round3(sourcePct), maxPercent };
    if (sourceMs !== undefined) detail.sourceMs = sourceMs;
    if (isNum(source.durationMs)) detail.durationMs = source.durationMs;
    return { action: 'skip', reason: 'near_complete', detail };
  }

  // Past the target's own "watched" point but not finished: written just below that point
  // (`capped`), so the target keeps it in Continue Watching instead of flagging it watched.
  const capAt = isNum(targetCompletionPercent) && targetCompletionPercent > 0 && targetCompletionPercent < maxPercent ? targetCompletionPercent : undefined;
  const cap = capAt !== undefined && sourcePct !== undefined && sourcePct >= capAt ? { atPercent: capAt, writePercent: round3(capAt - CAP_MARGIN_PERCENT) } : undefined;

  // 3. unchanged (against what would be written: the capped position when capped)
  if (target !== undefined && !(target.watched === true && settings.replay)) {
    const durationMs = isNum(target.durationMs) ? target.durationMs : source.durationMs;
    const wouldWriteMs = cap ? (isNum(durationMs) ? Math.round((cap.writePercent * durationMs) / 100) : undefined) : sourceMs;
    const unchanged = compareToTarget(wouldWriteMs, cap ? cap.writePercent : sourcePct, target, settings.deltaSeconds * 1000);
    if (unchanged !== undefined) return { action: 'skip', reason: 'unchanged', detail: unchanged };
  }

  if (cap) return { action: 'write', percent: cap.writePercent, cap };
  // 4. write
  return sourcePct === undefined ? { action: 'write' } : { action: 'write', percent: round3(sourcePct) };
}

/** The detail of an `unchanged` skip, or `undefined` when the target differs enough (or holds
 * no position to compare with). */
function compareToTarget(
  sourceMs: number | undefined,
  sourcePct: number | undefined,
  target: Position,
  deltaMs: number,
): Record<string, unknown> | undefined {
  const targetMs = isNum(target.progressMs) && target.progressMs > 0 ? target.progressMs : undefined;
  if (sourceMs !== undefined && targetMs !== undefined) {
    const diff = Math.abs(sourceMs - targetMs);
    if (diff < deltaMs || diff === 0) return { sourceMs, targetMs, deltaMs: diff, thresholdMs: deltaMs };
    return undefined;
  }
  // One side is percent-only: compare percents, if both are known.
  const targetPct = targetMs !== undefined || (isNum(target.progressPct) && target.progressPct > 0) ? percentOf(target) : undefined;
  if (sourcePct === undefined || targetPct === undefined) return undefined;
  const diff = Math.abs(sourcePct - targetPct);
  if (diff < PERCENT_SLACK - EPSILON) {
    return { sourcePercent: round3(sourcePct), targetPercent: round3(targetPct), deltaPercent: round3(diff), thresholdPercent: PERCENT_SLACK };
  }
  return undefined;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
