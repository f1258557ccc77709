// The planner: is a source position worth writing to a target at all?
// It looks at numbers only (positions, durations, thresholds). Whether the target's live state
// allows the write (someone is playing, the target is newer…) is the policy's job (policy.ts).
import type { PositionSnapshot, ProgressValue } from './model.ts';
import type { ProgressSettings } from './pair.ts';
import type { DetailOf } from './pipeline.ts';
import {
  cappedPercent,
  isNum,
  landingPercent,
  msFromPercent,
  PERCENT_SLACK,
  EPSILON,
  percentOf,
  round3,
  secondsToMs,
  targetDuration,
  crossesWatchedPoint,
  unknownRuntimeSafePercent,
  valueFor,
} from './position.ts';

type PlanSkipReason = 'below_minimum' | 'near_complete' | 'unchanged' | 'target_runtime_unknown';
type PlanSkip = { [R in PlanSkipReason]: { action: 'skip'; reason: R; detail: DetailOf<R> } }[PlanSkipReason];
export type PlanWrite = { action: 'write'; percent?: number; cap?: { atPercent: number; writePercent: number; targetPercent: number } };
export type PlanResult = PlanWrite | PlanSkip;
/** The target's watched point: its percent, and how the target stores a position (default 'ms'). */
export interface WatchedPoint {
  percent?: number | undefined;
  units?: 'ms' | 'pct' | undefined;
}

/** The source-only part of the plan (rules 1 and 2), which needs no target. */
export type SourcePlan = PlanResult;

type Position = PositionSnapshot & { progressPct?: number };

/**
 * Decides whether a source position should be written to a target. Rules, first match wins:
 *
 * 1. `below_minimum` — the source position is under `minSeconds` (exactly `minSeconds` is not
 *    under). A position of 0, or no position at all, is always below the minimum, even with
 *    `minSeconds: 0`: there is nothing to write. A percent-only source (no ms, percent > 0) is
 *    filtered only when it knows its duration (its seconds are then estimated).
 * 2. `near_complete` — the source percent (ms/duration, else its percent) is at or past
 *    `maxPercent`. Unknown percent → not near complete.
 *    Then, against the target (`planLanding`): a position landing at or past the target's own
 *    "watched" point (Plex 90) in the TARGET's runtime is *capped* `CAP_MARGIN_PERCENT` below it,
 *    so a sync never makes the target mark an item watched; with the target's runtime unknown it
 *    is `target_runtime_unknown` unless safely low.
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
export function planProgress(source: Position, target: Position | undefined, settings: ProgressSettings, watched: WatchedPoint = {}): PlanResult {
  const sourcePlan = planSource(source, settings);
  if (sourcePlan.action === 'skip' || target === undefined) return sourcePlan;
  const landed = planLanding(sourcePlan, valueFor(source, target), target.durationMs, watched);
  return landed.action === 'write' ? planAgainst(landed, source, target, settings) : landed;
}

/** Rules 1 and 2 of `planProgress`: what the source alone says (skip, or write). */
export function planSource(source: Position, settings: ProgressSettings): SourcePlan {
  const sourceMs = isNum(source.progressMs) ? source.progressMs : undefined;
  const sourcePct = percentOf(source);

  // 1. below_minimum
  const thresholdMs = secondsToMs(settings.minSeconds);
  if (sourceMs !== undefined) {
    if (sourceMs <= 0 || sourceMs < thresholdMs) {
      return { action: 'skip', reason: 'below_minimum', detail: { sourceMs, thresholdMs } };
    }
  } else if (!isNum(source.progressPct) || source.progressPct <= 0) {
    return { action: 'skip', reason: 'below_minimum', detail: { sourceMs: null, thresholdMs, note: 'no position' } };
  } else {
    // A percent-only source that knows its runtime (Trakt): its seconds can be estimated.
    const estimatedMs = msFromPercent(source.progressPct, source.durationMs);
    if (estimatedMs !== undefined && estimatedMs < thresholdMs)
      return { action: 'skip', reason: 'below_minimum', detail: { sourceMs: estimatedMs, thresholdMs, estimated: true } };
  }

  // 2. near_complete: finished enough that watched-state sync, not resume sync, owns it.
  const maxPercent = settings.maxPercent;
  if (sourcePct !== undefined && sourcePct >= maxPercent) {
    const detail: DetailOf<'near_complete'> = { percent: round3(sourcePct), maxPercent };
    if (sourceMs !== undefined) detail.sourceMs = sourceMs;
    if (isNum(source.durationMs)) detail.durationMs = source.durationMs;
    return { action: 'skip', reason: 'near_complete', detail };
  }
  return sourcePct === undefined ? { action: 'write' } : { action: 'write', percent: round3(sourcePct) };
}

/**
 * The watched point, against the target: where `value` (the uncapped value to write) lands in the
 * TARGET's own runtime decides, never the source's percent (the target's copy may be a shorter
 * cut, or the source may have no runtime at all).
 * - landing at or past the watched point: *capped*, written `CAP_MARGIN_PERCENT` below it in the
 *   target's runtime, so the target keeps it in Continue Watching instead of flagging it watched;
 * - landing unknown (an ms target without a runtime): written as is only when safely low
 *   (`crossesWatchedPoint`: under `unknownRuntimeSafePercent` of the source's runtime), else
 *   `target_runtime_unknown`;
 * - no watched point (none known, or not above 0): the plan as it is.
 */
export function planLanding(plan: PlanWrite, value: ProgressValue, targetDurationMs: number | undefined, watched: WatchedPoint): PlanWrite | PlanSkip {
  if (!crossesWatchedPoint(value, targetDurationMs, watched.percent, watched.units)) return plan;
  // Only a watched point above 0 can be crossed.
  const atPercent = watched.percent as number;
  const landed = landingPercent(value, targetDurationMs, watched.units);
  if (landed === undefined) {
    const detail: DetailOf<'target_runtime_unknown'> = { safeBelowPercent: unknownRuntimeSafePercent(atPercent), watchedAtPercent: atPercent };
    if (value.progressPct !== undefined) detail.sourcePercent = value.progressPct;
    return { action: 'skip', reason: 'target_runtime_unknown', detail };
  }
  const writePercent = cappedPercent(atPercent);
  return { action: 'write', percent: writePercent, cap: { atPercent, writePercent, targetPercent: round3(landed) } };
}

/**
 * Rule 3 of `planProgress`, against the target: `unchanged`, or the source plan as it was. A
 * capped plan is compared at its capped position in the target's duration: `cappedValue` when the
 * caller computed the value to write already (planItem: computed once), else computed here.
 */
export function planAgainst(plan: PlanWrite, source: Position, target: Position, settings: ProgressSettings, cappedValue?: ProgressValue): PlanResult {
  if (target.watched === true && settings.replay) return plan;
  const sourceMs = isNum(source.progressMs) ? source.progressMs : undefined;
  const cappedMs = (cap: { writePercent: number }) =>
    cappedValue ? (cappedValue.durationMs ? cappedValue.progressMs : undefined) : msFromPercent(cap.writePercent, targetDuration(source, target));
  const wouldWriteMs = plan.cap ? cappedMs(plan.cap) : sourceMs;
  const unchanged = compareToTarget(wouldWriteMs, plan.cap ? plan.cap.writePercent : percentOf(source), target, secondsToMs(settings.deltaSeconds));
  return unchanged === undefined ? plan : { action: 'skip', reason: 'unchanged', detail: unchanged };
}

/** The detail of an `unchanged` skip, or `undefined` when the target differs enough (or holds
 * no position to compare with). */
function compareToTarget(sourceMs: number | undefined, sourcePct: number | undefined, target: Position, deltaMs: number): DetailOf<'unchanged'> | undefined {
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
