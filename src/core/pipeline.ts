// The pipeline's types, one per stage: read → match → plan → policy → write → confirm → record.
//
//   SourceItem   what a read yields for one item (engine/steps.ts readItems / itemsOf)
//   MatchedItem  the item found (or not) on the target, with its live state (engine/steps.ts)
//   PlannedItem  the plan and policy's verdict (core/decide.ts planItem, core/clears.ts planClear):
//                a TypedDecision, and a PlannedWrite when something is to be written
//   PlannedWrite the one change to make on the target, value already capped (engine/apply.ts)
//   TypedDecision what is recorded (store.recordDecisions) and read back through `decisionSchema`
//
// A decision's `detail` is typed per reason; `decisionSchema` is the one schema it is stored and
// read back with.
import { z } from 'zod';
import { REASONS } from './model.ts';
import type { Action, MediaType, NativeRef, PositionSnapshot, ProgressRecord, ProgressValue, Reason, TargetState } from './model.ts';

// ---- stages ------------------------------------------------------------------------------

/** Read: one item of a source, under its canonical key (or ref key without external ids). */
export interface SourceItem {
  key: string;
  record: ProgressRecord;
  /** An explicit clear signalled by the source (see clears.ts), not a position to write. */
  clear?: true;
  /** Two-way: the target side has not moved since the last run. */
  targetStill?: true;
  /** Two-way: the key this item had on its own before it was joined to the other side's. */
  aliasKey?: string;
  /** `missing_ids`: no external id, and the item comes from another server than the target. */
  resolution: 'resolved' | 'missing_ids' | 'unresolved';
  /** Every record listed under this key, when there were several (copies of one item, folded
   * into `record`): told apart again when another item is found as the same target item. */
  copies?: ProgressRecord[];
  /** Set when this key stands for different items (see duplicates.ts sameItem): written to none. */
  ambiguous?: DetailOf<'ambiguous_ids'>;
}

/** Match: the item on the target (its ref and live state), or why it was not found. */
export interface MatchedItem extends SourceItem {
  unresolvedDetail?: string;
  ref?: NativeRef;
  target?: TargetState;
}

/**
 * The change a write makes on a target. Clears are journalled as position 0, a finish's
 * `mark_watched` as position 0 and watched. `unwatchSince`: undo of a finish that marked the item
 * watched; `markUnwatched(ref, unwatchSince)` goes first (Trakt removes the plays logged since).
 */
type Change =
  | { kind: 'write'; value: ProgressValue; unwatchFirst: boolean; markWatched?: boolean; unwatchSince?: number }
  | { kind: 'clear'; markWatched?: boolean; unwatchSince?: number }
  | { kind: 'mark_watched' };

/** Plan + policy said "write": what goes to the target, exactly as it goes. */
export interface PlannedWrite {
  key: string;
  /** The item on the target. */
  ref: NativeRef;
  /** The value, already capped and in the target's duration. */
  change: Change;
  /** What the target held before (journalled before the request, so it can be undone). */
  previous: PositionSnapshot;
  /** When the written position was recorded at its origin: writes go out oldest first. */
  orderAt: number;
  /** The target's own runtime for the item, when known: the applier checks the watched point against it. */
  targetDurationMs?: number;
  /** What the re-read must show: watched (true), not watched (false), either (undefined). */
  expectWatched?: boolean;
  /** The decision the write carries out; the applier turns it into confirmed, failed or unresolved. */
  decision: TypedDecision;
}

/** Plan + policy: the decision, and the write when there is one. */
export interface PlannedItem {
  decision: TypedDecision;
  write?: PlannedWrite;
  /** The target's live state as the run read it (engine/steps.ts): kept as the dashboard's last read there. */
  targetRead?: TargetState;
}

// ---- decisions and their details ---------------------------------------------------------

const num = z.number();
const str = z.string();
const yes = z.literal(true);

const snapshotSchema = z.object({
  progressMs: num.optional(),
  progressPct: num.optional(),
  durationMs: num.optional(),
  progressAt: num.optional(),
  watched: z.boolean().optional(),
  playCount: num.optional(),
});
const valueSchema = z.object({ progressMs: num, progressPct: num.optional(), durationMs: num.optional(), progressAt: num.optional() });

/**
 * Facts any decision may gain on its way: confirmed by re-reading, the target ref, the two-way
 * direction, how often the write was re-sent after an ambiguous failure proved it had not landed,
 * and `unknown` when nobody can tell whether it landed (a failed write that undo checks again).
 */
const outcome = { confirmed: yes.optional(), ref: str.optional(), direction: str.optional(), resent: num.optional(), unknown: yes.optional() };
/** Two-way skips say which side did what. */
const twoWay = { twoWay: str.optional(), a: str.optional(), b: str.optional() };
/** An item still waiting for its next try (see retries.ts). */
const waiting = { waiting: yes.optional(), attempts: num.optional(), retryAt: num.optional(), lastError: str.optional() };
/** Undo: the journal row a decision is about and what the undone run wrote. */
const journalled = { journalId: num, ref: str, wrote: valueSchema };

const writeShape = { percent: num.optional(), unwatchFirst: yes.optional(), ...outcome };
/** `targetPercent`: where the uncapped position would have landed on the target (its own runtime). */
const cappedShape = { ...writeShape, capAtPercent: num, writePercent: num, sourcePercent: num.optional(), targetPercent: num.optional() };
const clearShape = { clearedAt: num, ...outcome };
/** One of the items behind an `ambiguous_ids` skip: its native id and provider, and its title
 * when known (the target's id index knows ids only). */
const ambiguousItem = z.looseObject({ provider: str, id: str, title: str.optional(), durationMs: num.optional() });
/** `markUnwatched`: undo of a finish that marked the item watched (un-watched, then put back). */
const restoreShape = {
  ...journalled,
  markWatched: yes.optional(),
  unwatchFirst: yes.optional(),
  markUnwatched: yes.optional(),
  clear: yes.optional(),
  blocked: str.optional(),
  ...outcome,
};
/** A finish: how the target left Continue Watching, when the source finished the item (epoch ms)
 * and when the target was last played (when it says). */
const finishedShape = { mode: z.enum(['mark_watched', 'clear']), finishedAt: num, targetAt: num.optional(), ...outcome };

// Loose objects: a row written by an older version keeps the facts this one no longer names.
const DETAIL_SCHEMAS = {
  below_minimum: z.looseObject({ sourceMs: num.nullable(), thresholdMs: num, note: str.optional(), estimated: yes.optional(), ...outcome }),
  near_complete: z.looseObject({ percent: num, maxPercent: num, sourceMs: num.optional(), durationMs: num.optional(), ...outcome }),
  unchanged: z.looseObject({
    sourceMs: num.optional(),
    targetMs: num.optional(),
    deltaMs: num.optional(),
    thresholdMs: num.optional(),
    sourcePercent: num.optional(),
    targetPercent: num.optional(),
    deltaPercent: num.optional(),
    thresholdPercent: num.optional(),
    /** A clear that found nothing to clear. */
    clear: str.optional(),
    ...twoWay,
    ...outcome,
  }),
  target_runtime_unknown: z.looseObject({
    /** The position's percent of the source's runtime, when known. */
    sourcePercent: num.optional(),
    /** Sent only below this percent when the target's runtime is unknown. */
    safeBelowPercent: num,
    /** The target's watched point. */
    watchedAtPercent: num,
    ...outcome,
  }),
  missing_ids: z.looseObject({ ref: str, provider: str, direction: str.optional() }),
  unresolved: z
    .looseObject({ unresolved: str.optional(), error: str.optional(), ...waiting, ...journalled, ...outcome })
    .partial({ journalId: true, ref: true, wrote: true }),
  ambiguous_ids: z.looseObject({
    /** Where the ambiguity is: different source items under one key or found as one target
     * item (`source`), or one id naming several items on the target (`target`). */
    side: z.enum(['source', 'target']),
    items: z.array(ambiguousItem),
    /** `source`: the one target item several different source items were found as. */
    target: str.optional(),
    ...outcome,
  }),
  bad_position: z.looseObject({
    /** Whose position it is: the source's (never written anywhere) or the target's (nothing is
     * written over a value we could neither compare with nor restore by undo). */
    side: z.enum(['source', 'target']),
    provider: str,
    id: str,
    /** The server's field and its value as sent, or why a valid-looking number is impossible. */
    field: str,
    raw: str,
    why: str,
    ...outcome,
  }),
  playing_now: z.looseObject({ ref: str, direction: str.optional() }),
  same_origin: z.looseObject({ ...twoWay, ...outcome }),
  missing_source_time: z.looseObject({ ...outcome }),
  target_newer: z.looseObject({
    sourceAt: num.optional(),
    targetAt: num.optional(),
    aheadMs: num.optional(),
    toleranceMs: num.optional(),
    /** Without times: the target is further along. */
    reason: str.optional(),
    sourceMs: num.optional(),
    targetMs: num.optional(),
    ...outcome,
  }),
  already_watched: z.looseObject({ playCount: num, ...outcome }),
  write: z.looseObject(writeShape),
  capped: z.looseObject(cappedShape),
  clear: z.looseObject(clearShape),
  finished: z.looseObject(finishedShape),
  /** The target was played `aheadMs` after the source's finish, more than `toleranceMs`. */
  finished_skip: z.looseObject({ finishedAt: num, targetAt: num, aheadMs: num, toleranceMs: num, ...outcome }),
  conflict_lost: z.looseObject({ lost: str, won: str, why: str, ...outcome }),
  parked: z.looseObject({ ...waiting, ...outcome }),
  // A write, clear or restore that failed keeps what it was about, plus the error.
  failed: z.looseObject({ ...writeShape, ...cappedShape, ...clearShape, ...restoreShape, ...finishedShape, error: str }).partial({
    mode: true,
    finishedAt: true,
    capAtPercent: true,
    writePercent: true,
    clearedAt: true,
    journalId: true,
    ref: true,
    wrote: true,
  }),
  changed_since: z.looseObject({ ...journalled, playingNow: yes.optional(), ...outcome }),
  restore: z.looseObject(restoreShape),
} satisfies Record<Reason, z.ZodType>;

export type DetailOf<R extends Reason> = z.infer<(typeof DETAIL_SCHEMAS)[R]>;

interface DecisionBase {
  /** Canonical key (see ids.ts), or `ref:<provider>:<id>` for items without external ids. */
  key: string;
  title: string;
  type: MediaType;
  action: Action;
  source: PositionSnapshot;
  target?: PositionSnapshot;
}

/** A decision whose detail is typed by its reason. Every TypedDecision is a (JSON) `Decision`. */
export type TypedDecision = { [R in Reason]: DecisionBase & { reason: R; detail?: DetailOf<R> } }[Reason];
export type DecisionFor<R extends Reason> = Extract<TypedDecision, { reason: R }>;

const baseShape = {
  key: str,
  title: str,
  type: z.enum(['movie', 'episode']),
  action: z.enum(['write', 'clear', 'mark_watched', 'skip']),
  source: snapshotSchema,
  target: snapshotSchema.optional(),
};

/** The one schema decisions are stored with and read back through. */
export const decisionSchema = z.discriminatedUnion(
  'reason',
  REASONS.map((reason) => z.object({ ...baseShape, reason: z.literal(reason), detail: DETAIL_SCHEMAS[reason].optional() })) as unknown as [
    z.ZodObject<typeof baseShape & { reason: z.ZodLiteral<Reason>; detail: z.ZodOptional<z.ZodType> }>,
  ],
);

/** Parses a stored decision. A row whose detail does not fit (hand-edited, or from a future
 * version) is kept, without its detail, rather than failing the whole read. */
export function parseDecision(raw: unknown): TypedDecision {
  const parsed = decisionSchema.safeParse(raw);
  if (parsed.success) return parsed.data as TypedDecision;
  const { detail: _dropped, ...rest } = (raw ?? {}) as Record<string, unknown>;
  return decisionSchema.parse(rest) as TypedDecision;
}

/** Builds a decision, checking at compile time that the detail fits the reason. */
export function decided<R extends Reason>(base: Omit<DecisionBase, 'action'>, action: DecisionBase['action'], reason: R, detail?: DetailOf<R>): DecisionFor<R> {
  return { ...base, action, reason, ...(detail === undefined ? {} : { detail }) } as DecisionFor<R>;
}
