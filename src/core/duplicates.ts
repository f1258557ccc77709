// When one source lists the same item twice (two copies of a film, two libraries), keep one; when
// two DIFFERENT items share an id (two editions that both carry one `imdb://`), keep neither.
// Neither choice may depend on the order the server listed them in.
import { ID_KINDS } from './model.ts';
import type { ProgressRecord } from './model.ts';
import { progressRatio } from './position.ts';

/** Two copies of one cut differ by seconds (another encode, a trimmed logo); different cuts or
 * editions of a film differ by minutes. */
const DIFFERENT_CUT_MS = 120_000;

/** Titles compared without case, accents, punctuation or spacing ("Heat" = "heat."). */
function titleKey(title: string): string {
  return title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * Whether two records listed under one key are copies of ONE item (same film in two libraries)
 * rather than two different items sharing an id. The data decides as far as it can: they are
 * different when any id kind both carry differs, when both years are known and differ, when the
 * titles differ (ignoring case and punctuation), when an episode's season or number differs, or
 * when both runtimes are known and differ by more than DIFFERENT_CUT_MS (another cut). Nothing
 * telling them apart: one item.
 */
export function sameItem(a: ProgressRecord, b: ProgressRecord): boolean {
  for (const kind of ID_KINDS) {
    const x = a.ids[kind];
    const y = b.ids[kind];
    if (x !== undefined && y !== undefined && x !== y) return false;
  }
  const differ = (x: number | undefined, y: number | undefined) => x !== undefined && y !== undefined && x !== y;
  if (differ(a.year, b.year) || differ(a.season, b.season) || differ(a.episode, b.episode)) return false;
  if (titleKey(a.title) !== titleKey(b.title)) return false;
  const da = a.durationMs;
  const db = b.durationMs;
  return !(da && db && Math.abs(da - db) > DIFFERENT_CUT_MS);
}

/**
 * The record that wins among copies of one item: the newest time (a time beats none), then the
 * furthest along, then the smaller native id. "Furthest along" compares shares of the runtime
 * only when EVERY copy in the contest has one, else positions in ms: deciding per pair (share
 * when both have one, ms otherwise) is not transitive with three copies when some lack a
 * duration (a beats b by ms, b beats c by ms, c beats a by share), and the winner would depend
 * on listing order.
 */
export function pickNewest(records: readonly ProgressRecord[]): ProgressRecord {
  const times = records.flatMap((r) => (r.progressAt === undefined ? [] : [r.progressAt]));
  const newest = times.length === 0 ? undefined : Math.max(...times);
  const contenders = records.filter((r) => r.progressAt === newest);
  const byShare = contenders.every((r) => progressRatio(r) !== undefined);
  let best = contenders[0] as ProgressRecord;
  for (const r of contenders.slice(1)) if (further(r, best, byShare)) best = r;
  return best;
}

/** Returns whichever of two records for the same item should win (see pickNewest). */
export function pickNewer(a: ProgressRecord, b: ProgressRecord): ProgressRecord {
  return pickNewest([a, b]);
}

/** Whether `a` beats `b` at one time: a total order, so the contest's winner is order-free. */
function further(a: ProgressRecord, b: ProgressRecord, byShare: boolean): boolean {
  if (byShare) {
    const ra = progressRatio(a) as number;
    const rb = progressRatio(b) as number;
    if (ra !== rb) return ra > rb;
  }
  const ma = a.progressMs ?? 0;
  const mb = b.progressMs ?? 0;
  if (ma !== mb) return ma > mb;
  // Deterministic last resort: the smaller native id.
  return a.ref.id.localeCompare(b.ref.id, 'en', { numeric: true }) < 0;
}
