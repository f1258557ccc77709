// Every reason's label and place in listings, in one table: the CLI's tables and counts line, the
// run summary (`summarise`), `explain` and (later) the dashboard all read it. Rows are in the
// order of REASONS (the order counts are kept in); `order` is the order reasons are shown in:
// what happened first, then why things were left alone.
import type { Reason } from './model.ts';

export interface ReasonInfo {
  /** Short, human label for tables and legends. */
  label: string;
  /** Listing order, lowest first. */
  order: number;
}

export const REASON_TABLE: { readonly [R in Reason]: ReasonInfo } = {
  below_minimum: { label: 'below the minimum', order: 21 },
  near_complete: { label: 'nearly finished', order: 20 },
  unchanged: { label: 'unchanged', order: 22 },
  target_runtime_unknown: { label: 'target runtime unknown', order: 23 },
  missing_ids: { label: 'no external ids', order: 12 },
  unresolved: { label: 'not found on the target', order: 9 },
  ambiguous_ids: { label: 'ids shared by different items', order: 10 },
  bad_position: { label: 'impossible position', order: 11 },
  playing_now: { label: 'playing now', order: 13 },
  same_origin: { label: 'came from the target', order: 19 },
  missing_source_time: { label: 'no source time', order: 18 },
  target_newer: { label: 'target is newer', order: 15 },
  already_watched: { label: 'already watched', order: 17 },
  write: { label: 'written', order: 2 },
  capped: { label: 'written, capped', order: 3 },
  clear: { label: 'cleared', order: 4 },
  finished: { label: 'finished on the source', order: 5 },
  finished_skip: { label: 'played after the finish', order: 16 },
  conflict_lost: { label: 'lost a conflict', order: 14 },
  parked: { label: 'parked after failures', order: 7 },
  failed: { label: 'failed', order: 1 },
  changed_since: { label: 'changed since', order: 8 },
  restore: { label: 'restored', order: 6 },
};

const isReason = (reason: string): reason is Reason => Object.hasOwn(REASON_TABLE, reason);

/** Listing rank of a reason; unknown reasons (from a newer version's rows) come last. */
function reasonRank(reason: string): number {
  return isReason(reason) ? REASON_TABLE[reason].order : Number.MAX_SAFE_INTEGER;
}

/** The label of a reason; unknown reasons are shown as they are. */
export function reasonLabel(reason: string): string {
  return isReason(reason) ? REASON_TABLE[reason].label : reason;
}

/** Compares reasons for listing. */
export function byReasonOrder(a: string, b: string): number {
  return reasonRank(a) - reasonRank(b);
}
