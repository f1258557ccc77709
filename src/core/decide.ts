// One decision per item: the planner, the resolution outcome and the policy, in the order a
// user would want them explained. The engine calls `planItem` once for every source item.
import { REASON_TABLE } from './reasons.ts';
import type { Decision, ProgressRecord, TargetState } from './model.ts';
import { planAgainst, planLanding, planSource } from './planner.ts';
import type { PlanResult, SourcePlan } from './planner.ts';
import type { ProgressSettings } from './pair.ts';
import { percentOf, positionOf, positionProblem, secondsToMs, valueFor } from './position.ts';
import { decideWrite } from './policy.ts';
import { decided, type DetailOf, type PlannedItem, type TypedDecision } from './pipeline.ts';

export interface DecideInput {
  /** Canonical key (or ref key) the decision is recorded under. */
  key: string;
  source: ProgressRecord;
  /** The target's live state; `undefined` when the item was not found on the target or its
   * state could not be read. */
  target: TargetState | undefined;
  /** Whether the item was found on the target: `missing_ids` = no external id to look it up by. */
  resolution: 'resolved' | 'missing_ids' | 'unresolved';
  /** Why it was not found (the provider's words), for `unresolved`. */
  unresolvedDetail?: string;
  /** The key stands for different items (on the source, on the target, or several source items
   * found as one target item): none of them is written. */
  ambiguous?: DetailOf<'ambiguous_ids'>;
  settings: ProgressSettings;
  /** The target's own "mark watched" percent (Plex 90), from its capabilities. */
  targetCompletionPercent?: number;
  /** How the target stores a position (its capabilities): a percent-only target (Trakt) lands
   * at the percent written, an ms target at the ms over its own runtime. Default 'ms'. */
  targetUnits?: 'ms' | 'pct';
  sameOrigin: boolean;
  /** Two-way: the target did not move since the last run (see PolicyInput.targetStill). */
  targetStill?: boolean;
  /** The source-only plan, when the caller already made it (to pick the items that need the
   * target): an item is planned once. */
  sourcePlan?: SourcePlan;
}

/** Rules 1–2 for a source record (see planSource); the engine uses it to pick items that need the target. */
export function planSourceOf(source: ProgressRecord, settings: ProgressSettings): SourcePlan {
  return planSource(positionOf(source), settings);
}

/**
 * Plans one item. Order, first match wins:
 * 0. `ambiguous_ids` (we cannot tell which item a position belongs to), then `bad_position` for
 *    an impossible source position (it is no position at all: never written, never compared);
 * 1. the planner's source-only rules: `below_minimum`, `near_complete` (an item we would not
 *    write anyway is reported as such, even when it could not be found on the target);
 * 2. `missing_ids` / `unresolved` (the item is not on the target, or we cannot look it up);
 *    a resolved item without a live target state is also `unresolved`: without it we cannot
 *    know whether someone is playing the item, so we do not write;
 *    a target holding an impossible position is `bad_position` too: nothing is written over a
 *    value we can neither compare with (is it newer?) nor put back faithfully on undo;
 * 3. where the position lands in the target's own runtime (planLanding): `capped` below the
 *    target's watched point, or `target_runtime_unknown`; then the planner's `unchanged` (the
 *    target is within `deltaSeconds`);
 * 4. the policy (`playing_now`, `same_origin`, `missing_source_time`, `target_newer`,
 *    `already_watched`, `unchanged`);
 * 5. `write` (or `capped`), with the value to write computed here, once: capped values in the
 *    target's duration; `unwatchFirst` when a watched target is replayed.
 */
export function planItem(input: DecideInput): PlannedItem {
  const { key, source, target, settings } = input;
  const base = {
    key,
    title: displayTitle(source),
    type: source.type,
    source: positionOf(source),
    ...(target === undefined ? {} : { target: positionOf(target) }),
  };
  if (input.ambiguous) return { decision: decided(base, 'skip', 'ambiguous_ids', input.ambiguous) };
  const badSource = positionProblem(source);
  if (badSource) return { decision: decided(base, 'skip', 'bad_position', { side: 'source', provider: source.ref.provider, id: source.ref.id, ...badSource }) };
  const sourceOnly = input.sourcePlan ?? planSourceOf(source, settings);
  if (sourceOnly.action === 'skip') return { decision: skipped(base, sourceOnly) };

  if (input.resolution === 'missing_ids') {
    return { decision: decided(base, 'skip', 'missing_ids', { ref: source.ref.id, provider: source.ref.provider }) };
  }
  if (input.resolution === 'unresolved' || target === undefined) {
    const why = input.resolution === 'unresolved' ? input.unresolvedDetail : 'no live state for the item on the target';
    return { decision: decided(base, 'skip', 'unresolved', why === undefined ? {} : { unresolved: why }) };
  }
  const badTarget = positionProblem(target);
  if (badTarget) return { decision: decided(base, 'skip', 'bad_position', { side: 'target', provider: target.ref.provider, id: target.ref.id, ...badTarget }) };

  // The value is computed once, here: capped values in the target's duration. The unchanged
  // check and the policy compare it, and the applier writes it as is.
  const watchedPoint = { percent: input.targetCompletionPercent, units: input.targetUnits };
  const landed = planLanding(sourceOnly, valueFor(source, target), target.durationMs, watchedPoint);
  if (landed.action === 'skip') return { decision: skipped(base, landed) };
  const value = landed.cap ? valueFor(source, target, landed.cap.writePercent) : valueFor(source, target);
  const plan = planAgainst(landed, base.source, positionOf(target), settings, landed.cap ? value : undefined);
  if (plan.action === 'skip') return { decision: skipped(base, plan) };

  const policy = decideWrite({
    // Without a duration a capped value has no position in ms to compare (only its percent).
    source: plan.cap ? { ...base.source, ...value, ...(value.durationMs ? {} : { progressMs: undefined }) } : base.source,
    ...(input.targetStill ? { targetStill: true } : {}),
    target,
    sameOrigin: input.sameOrigin,
    toleranceMs: secondsToMs(settings.toleranceSeconds),
    replay: settings.replay,
  });
  if (policy.action === 'skip') return { decision: { ...base, action: 'skip', reason: policy.reason, detail: policy.detail } as TypedDecision };

  const flags = policy.unwatchFirst ? { unwatchFirst: true as const } : {};
  const percent = plan.percent !== undefined ? { percent: plan.percent } : {};
  const decision = plan.cap
    ? decided(base, 'write', 'capped', {
        ...percent,
        capAtPercent: plan.cap.atPercent,
        writePercent: plan.cap.writePercent,
        sourcePercent: percentOf(base.source),
        targetPercent: plan.cap.targetPercent,
        ...flags,
      })
    : decided(base, 'write', 'write', { ...percent, ...flags });
  return {
    decision,
    write: {
      key,
      ref: target.ref,
      change: { kind: 'write', value, unwatchFirst: policy.unwatchFirst },
      previous: base.target ?? {},
      ...(target.durationMs !== undefined ? { targetDurationMs: target.durationMs } : {}),
      orderAt: source.progressAt ?? 0,
      // A write never makes an unwatched target watched (a replayed one may stay as it is).
      ...(target.watched ? {} : { expectWatched: false }),
      decision,
    },
  };
}

/** `planItem`'s decision, with `unwatchFirst` beside it for writes (tests and the conformance suite read it). */
export function decideItem(input: DecideInput): TypedDecision & { unwatchFirst?: boolean } {
  const { decision, write } = planItem(input);
  return write?.change.kind === 'write' ? { ...decision, unwatchFirst: write.change.unwatchFirst } : decision;
}

function skipped(base: Omit<TypedDecision, 'action' | 'reason' | 'detail'>, plan: Extract<PlanResult, { action: 'skip' }>): TypedDecision {
  return { ...base, action: 'skip', reason: plan.reason, detail: plan.detail } as TypedDecision;
}

/** `Show Title S01E02` for episodes whose show title and numbers are known, else the title. */
export function displayTitle(item: Pick<ProgressRecord, 'type' | 'title' | 'show' | 'season' | 'episode'>): string {
  const show = item.show?.title;
  if (item.type === 'episode' && show !== undefined && show !== '' && item.season !== undefined && item.episode !== undefined) {
    return `${show} S${String(item.season).padStart(2, '0')}E${String(item.episode).padStart(2, '0')}`;
  }
  return item.title;
}

/**
 * Counts decisions by reason. Only reasons that occur are present; keys follow the rows of the
 * reasons table (REASONS order, so output is stable), and reasons outside it come last.
 */
export function summarise(decisions: Decision[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const d of decisions) counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const reason of Object.keys(REASON_TABLE)) {
    const n = counts.get(reason);
    if (n !== undefined) out[reason] = n;
  }
  for (const [reason, n] of counts) if (!(reason in out)) out[reason] = n;
  return out;
}
