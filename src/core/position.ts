// All position arithmetic, in one place: snapshots, ms ↔ ticks ↔ percent ↔ seconds, capping,
// equality and the tolerances we confirm writes with. Providers convert their wire units through
// these helpers; core and engine compare positions only through them.
import type { JournalValue, PositionSnapshot, ProgressRecord, ProgressValue, TargetState } from './model.ts';

interface HasPosition {
  progressMs?: number | undefined;
  progressPct?: number | undefined;
  durationMs?: number | undefined;
  progressAt?: number | undefined;
  watched?: boolean | undefined;
  playCount?: number | undefined;
}

// ---- units -------------------------------------------------------------------------------

/** MediaBrowser (Jellyfin, Emby) counts positions in .NET ticks: 1 ms = 10 000 ticks. */
const TICKS_PER_MS = 10_000;
const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60_000;

/** Ticks → whole ms (servers store ticks; we keep ms). */
export function ticksToMs(ticks: number): number {
  return Math.round(ticks / TICKS_PER_MS);
}

/** ms → whole ticks. */
export function msToTicks(ms: number): number {
  return Math.round(ms * TICKS_PER_MS);
}

/** Seconds (settings, Plex's server time) → ms. */
export function secondsToMs(seconds: number): number {
  return seconds * MS_PER_SECOND;
}

/** Minutes (Trakt runtimes) → ms. */
export function minutesToMs(minutes: number): number {
  return minutes * MS_PER_MINUTE;
}

export function isNum(v: number | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Percents are kept to three decimals: enough for a second of a ten-hour item. */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** ms as a percent of a duration (undefined without a positive duration). */
export function percentFromMs(ms: number, durationMs: number | undefined): number | undefined {
  // ms×100/duration, not ms/duration×100: exact for whole-number results (5 700 000 of
  // 6 000 000 is 95, not 94.99999999999999).
  return isNum(durationMs) && durationMs > 0 ? (ms * 100) / durationMs : undefined;
}

/** A percent of a duration, in whole ms (undefined without a positive duration). */
export function msFromPercent(percent: number, durationMs: number | undefined): number | undefined {
  return isNum(durationMs) && durationMs > 0 ? Math.round((percent * durationMs) / 100) : undefined;
}

/** Percent watched: from ms and duration when both are known, else the given percent. */
export function percentOf(p: HasPosition): number | undefined {
  if (isNum(p.progressMs)) {
    const pct = percentFromMs(p.progressMs, p.durationMs);
    if (pct !== undefined) return pct;
  }
  return isNum(p.progressPct) ? p.progressPct : undefined;
}

// ---- snapshots ---------------------------------------------------------------------------

/** The position fields of a record or a target state (absent ones stay absent). */
export function positionOf(p: HasPosition): PositionSnapshot {
  const s: PositionSnapshot = {};
  if (p.progressMs !== undefined) s.progressMs = p.progressMs;
  if (p.progressPct !== undefined) s.progressPct = p.progressPct;
  if (p.durationMs !== undefined) s.durationMs = p.durationMs;
  if (p.progressAt !== undefined) s.progressAt = p.progressAt;
  if (p.watched !== undefined) s.watched = p.watched;
  if (p.playCount !== undefined && p.playCount > 0) s.playCount = p.playCount;
  return s;
}

/** Whether there is a resume position at all (ms or percent above 0). */
export function hasPosition(p: HasPosition): boolean {
  return (p.progressMs ?? 0) > 0 || (p.progressPct ?? 0) > 0;
}

// ---- capping -----------------------------------------------------------------------------

/** A capped write lands this many percentage points below the target's "watched" point. */
export const CAP_MARGIN_PERCENT = 0.5;

/** The percent a write is held at when the target marks items watched at `atPercent`. */
export function cappedPercent(atPercent: number): number {
  return round3(atPercent - CAP_MARGIN_PERCENT);
}

/**
 * The lowest watched point any target kind uses by default (Trakt's 80 % stop). A server's own
 * setting may sit below the one we assume (we do not read Jellyfin's MaxResumePct), so a position
 * whose landing on the target is unknown is held under this too.
 */
export const LOWEST_WATCHED_POINT_PERCENT = 80;

/**
 * With the target's runtime unknown, a position is sent only when its percent of the source's
 * runtime is below this fraction of the watched point: to land at the watched point, the target's
 * copy would have to run under half the source's length, which no cut of the same item does.
 */
export const UNKNOWN_RUNTIME_SAFE_FRACTION = 0.5;

/** Below this percent (of the source's runtime) a position is safe on a target of unknown runtime. */
export function unknownRuntimeSafePercent(completionPercent: number): number {
  return round3(Math.min(completionPercent, LOWEST_WATCHED_POINT_PERCENT) * UNKNOWN_RUNTIME_SAFE_FRACTION);
}

/**
 * Where a value lands on the target, in percent of the TARGET's own runtime: its ms over the
 * target's duration; a percent-only target (`units` 'pct': Trakt) stores the percent itself. Undefined when
 * that is unknown (an ms target whose runtime we do not know).
 */
export function landingPercent(
  value: Pick<ProgressValue, 'progressMs' | 'progressPct'>,
  targetDurationMs: number | undefined,
  units?: 'ms' | 'pct',
): number | undefined {
  return units === 'pct' ? value.progressPct : percentFromMs(value.progressMs, targetDurationMs);
}

/**
 * Whether writing `value` could make the target mark the item watched: it lands at or past the
 * target's watched point (`completionPercent`). When the landing is unknown (no target runtime),
 * only a value with a position and a known percent under `unknownRuntimeSafePercent` is safe. No
 * watched point (undefined or not above 0): nothing to cross.
 */
export function crossesWatchedPoint(
  value: Pick<ProgressValue, 'progressMs' | 'progressPct'>,
  targetDurationMs: number | undefined,
  completionPercent: number | undefined,
  units?: 'ms' | 'pct',
): boolean {
  if (!isNum(completionPercent) || completionPercent <= 0) return false;
  const landed = landingPercent(value, targetDurationMs, units);
  // `!(landed < …)`: a NaN position crosses, it is not proved below.
  if (landed !== undefined) return !(landed < completionPercent);
  // No percent: nothing to bound it by (100 is never under the bound).
  return !(value.progressMs > 0 && (value.progressPct ?? 100) < unknownRuntimeSafePercent(completionPercent));
}

/** The duration a value for this target is computed in: the target's own, else the source's. */
export function targetDuration(source: HasPosition, target: HasPosition | undefined): number | undefined {
  return target?.durationMs ?? source.durationMs;
}

// ---- equality and tolerances -------------------------------------------------------------

/** Percent-only positions (Trakt) are compared with this slack, in percentage points. */
export const PERCENT_SLACK = 0.1;
/** Guards percent comparisons against binary rounding (21.1 − 21.0 = 0.10000000000000142). */
export const EPSILON = 1e-9;
/** Positions closer than this (percentage points of the duration) are the same value… */
const EQUAL_PERCENT = 0.1;
/** …or, when a duration is unknown, closer than this many ms. */
const EQUAL_MS = 1000;
/** Tolerance for confirming a write by re-reading: servers may round to the second… */
export const CONFIRM_TOLERANCE_MS = 1000;
/** …or, for percent-only servers, to a hundredth of a percent. */
export const CONFIRM_TOLERANCE_PCT = 0.05;

/**
 * Whether two positions are the same value for practical purposes: within 0.1 percentage points
 * when both durations are known, else within 1000 ms. Both bounds are inclusive. A side without
 * ms (Trakt) is compared in percent; positions with nothing to compare never compare equal.
 */
export function materiallyEqual(a: PositionSnapshot, b: PositionSnapshot): boolean {
  if (!isNum(a.progressMs) || !isNum(b.progressMs)) {
    const pa = percentOf(a);
    const pb = percentOf(b);
    return pa !== undefined && pb !== undefined && Math.abs(pa - pb) <= EQUAL_PERCENT + EPSILON;
  }
  const pa = percentFromMs(a.progressMs, a.durationMs);
  const pb = percentFromMs(b.progressMs, b.durationMs);
  if (pa !== undefined && pb !== undefined) return Math.abs(pa - pb) <= EQUAL_PERCENT + EPSILON;
  return Math.abs(a.progressMs - b.progressMs) <= EQUAL_MS;
}

/** Whether a re-read shows the value we wrote (servers may round to the second or the percent). */
export function holdsValue(state: Pick<TargetState, 'progressMs' | 'progressPct'>, value: ProgressValue): boolean {
  if (state.progressMs !== undefined) return Math.abs(state.progressMs - value.progressMs) <= CONFIRM_TOLERANCE_MS;
  if (state.progressPct !== undefined && value.progressPct !== undefined)
    return Math.abs(state.progressPct - value.progressPct) <= CONFIRM_TOLERANCE_PCT + EPSILON;
  return false;
}

/** Whether a re-read shows a journalled change: the value written, or no position at all after a clear (journalled as 0). */
export function holdsWritten(state: Pick<TargetState, 'progressMs' | 'progressPct'>, value: ProgressValue): boolean {
  return hasPosition(value) ? holdsValue(state, value) : !hasPosition(state);
}

/** Whether the target shows a journalled change: `holdsWritten`, and watched when the change marked
 * it watched — on a target with a watched flag; one that logs plays instead (Trakt) never reads
 * watched, so there the position's absence is the whole proof. */
export function holdsJournalled(
  state: Pick<TargetState, 'progressMs' | 'progressPct' | 'watched'>,
  value: JournalValue,
  target: { logsPlays: boolean } = { logsPlays: false },
): boolean {
  return holdsWritten(state, value) && (value.watched !== true || target.logsPlays || state.watched);
}

// ---- values to write ---------------------------------------------------------------------

/**
 * The value to store: the source position, with the target's own duration when it has one. A
 * percent-only source (Trakt) becomes milliseconds through that duration; every value also
 * carries its percent when a duration is known, for percent-only targets. A capped value is held
 * at `capPercent` of the TARGET's duration (the source's when the target has none).
 */
export function valueFor(src: HasPosition, target: HasPosition | undefined, capPercent?: number): ProgressValue {
  const durationMs = targetDuration(src, target);
  const at = src.progressAt !== undefined ? { progressAt: src.progressAt } : {};
  const duration = durationMs !== undefined ? { durationMs } : {};
  if (capPercent !== undefined) {
    return { progressMs: msFromPercent(capPercent, durationMs) ?? src.progressMs ?? 0, progressPct: capPercent, ...duration, ...at };
  }
  const progressMs = src.progressMs ?? (src.progressPct !== undefined ? msFromPercent(src.progressPct, durationMs) : undefined) ?? 0;
  const sourcePct = src.progressMs !== undefined ? percentFromMs(src.progressMs, src.durationMs) : undefined;
  const progressPct = sourcePct ?? src.progressPct ?? percentFromMs(progressMs, durationMs);
  return { progressMs, ...(progressPct !== undefined ? { progressPct: round3(progressPct) } : {}), ...duration, ...at };
}

/** Undo: the replaced position as a value to write, ms and (when a duration is known) percent. */
export function restoreValue(previous: PositionSnapshot, state: Pick<TargetState, 'durationMs'>): ProgressValue {
  const durationMs = previous.durationMs ?? state.durationMs;
  const progressMs = previous.progressMs ?? (previous.progressPct !== undefined ? msFromPercent(previous.progressPct, durationMs) : undefined) ?? 0;
  const fromMs = percentFromMs(progressMs, durationMs);
  const progressPct = previous.progressPct ?? (fromMs !== undefined ? round3(fromMs) : undefined);
  return {
    progressMs,
    ...(progressPct !== undefined ? { progressPct } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    // The old time, so servers that keep it (Jellyfin, Emby) order Continue Watching as before.
    ...(previous.progressAt !== undefined ? { progressAt: previous.progressAt } : {}),
  };
}

// ---- ordering ----------------------------------------------------------------------------

/**
 * Which of two positions is further along, comparing like with like: percent with percent when
 * both are known (a percent-only side is brought to ms through the other side's duration only
 * to get a percent on both sides), ms with ms when both have ms but a percent is missing. When
 * one side has only ms and no duration and the other only a percent (neither duration known),
 * they cannot be compared: 0 (a tie), so the caller's own tie rule decides.
 * Returns > 0 when `a` is further, < 0 when `b` is, 0 when equal or incomparable.
 */
export function compareProgress(a: HasPosition, b: HasPosition): number {
  const borrowDuration = (p: HasPosition, other: HasPosition): HasPosition =>
    p.durationMs === undefined && other.durationMs !== undefined ? { ...p, durationMs: other.durationMs } : p;
  const pa = percentOf(borrowDuration(a, b));
  const pb = percentOf(borrowDuration(b, a));
  if (pa !== undefined && pb !== undefined) return pa - pb;
  if (isNum(a.progressMs) && isNum(b.progressMs)) return a.progressMs - b.progressMs;
  // Only ms without any duration on one side, only a percent on the other: incomparable.
  return 0;
}

/** A record's position as a fraction of its duration (duplicates are compared by it). */
export function progressRatio(r: Pick<ProgressRecord, 'progressMs' | 'durationMs'>): number | undefined {
  return r.progressMs !== undefined && r.durationMs ? r.progressMs / r.durationMs : undefined;
}

// ---- impossible positions ----------------------------------------------------------------

export interface PositionProblem {
  field: string;
  raw: string;
  why: string;
}

/** A position may run past the stated runtime by this much (servers round both to the second). */
const RUNTIME_SLACK_MS = 1000;

/**
 * Why a record's or target state's position cannot be one, or `undefined` when it is usable: a
 * value the provider could not keep (`badPosition`: negative, not a number, over 100 %), or one
 * in range on its own but past the item's runtime. Such a position is never written, compared
 * or used to decide anything (the caller skips the item with `bad_position`).
 */
export function positionProblem(p: HasPosition & { badPosition?: { field: string; raw: string } | undefined }): PositionProblem | undefined {
  if (p.badPosition !== undefined) {
    const { raw } = p.badPosition;
    return { ...p.badPosition, why: rangeProblem(raw.trim() === '' ? Number.NaN : Number(raw)) ?? 'out of range' };
  }
  const ms = p.progressMs === undefined ? undefined : rangeProblem(p.progressMs);
  if (ms !== undefined) return { field: 'progressMs', raw: String(p.progressMs), why: ms };
  const pct = p.progressPct === undefined ? undefined : rangeProblem(p.progressPct, 100);
  if (pct !== undefined) return { field: 'progressPct', raw: String(p.progressPct), why: pct };
  if (p.progressMs !== undefined && isNum(p.durationMs) && p.durationMs > 0 && p.progressMs > p.durationMs + RUNTIME_SLACK_MS)
    return { field: 'progressMs', raw: String(p.progressMs), why: `past the runtime of ${p.durationMs} ms` };
  return undefined;
}

/** What is wrong with a number as a position (at most `max`), or `undefined`. */
function rangeProblem(n: number, max = Number.MAX_VALUE): string | undefined {
  if (Number.isNaN(n)) return 'not a number';
  if (n < 0) return 'negative';
  return n > max ? 'out of range' : undefined;
}
