// Positions as snapshots: the one place that copies a record's or a target's position fields.
import type { PositionSnapshot } from './model.ts';

interface HasPosition {
  progressMs?: number | undefined;
  progressPct?: number | undefined;
  durationMs?: number | undefined;
  progressAt?: number | undefined;
  watched?: boolean | undefined;
  playCount?: number | undefined;
}

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
