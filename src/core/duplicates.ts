// When one source lists the same item twice (two copies of a film, two libraries), keep one.
// The choice must not depend on the order the server listed them in.
import type { ProgressRecord } from './model.ts';
import { progressRatio } from './position.ts';

/** Returns whichever of two records for the same item should win: newest time, then furthest along. */
export function pickNewer(a: ProgressRecord, b: ProgressRecord): ProgressRecord {
  if (a.progressAt !== undefined || b.progressAt !== undefined) {
    if (a.progressAt === undefined) return b;
    if (b.progressAt === undefined) return a;
    if (a.progressAt !== b.progressAt) return a.progressAt > b.progressAt ? a : b;
  }
  const ra = progressRatio(a);
  const rb = progressRatio(b);
  if (ra !== undefined && rb !== undefined && ra !== rb) return ra > rb ? a : b;
  const ma = a.progressMs ?? 0;
  const mb = b.progressMs ?? 0;
  if (ma !== mb) return ma > mb ? a : b;
  // Deterministic last resort: the smaller native id.
  return a.ref.id.localeCompare(b.ref.id, 'en', { numeric: true }) <= 0 ? a : b;
}
