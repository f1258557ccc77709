// One decision per item: the planner, the resolution outcome and the policy, in the order a
// user would want them explained. The engine calls `decideItem` for every source item.
import { REASONS } from './model.ts';
import type { Decision, PositionSnapshot, ProgressRecord, TargetState } from './model.ts';
import { percentOf, planProgress } from './planner.ts';
import { positionOf } from './position.ts';
import type { ProgressSettings } from './pair.ts';
import { decideWrite } from './policy.ts';

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
  settings: ProgressSettings;
  /** The target's own "mark watched" percent (Plex 90), from its capabilities. */
  targetCompletionPercent?: number;
  sameOrigin: boolean;
  /** Two-way: the target did not move since the last run (see PolicyInput.targetStill). */
  targetStill?: boolean;
}

/**
 * Decides one item. Order, first match wins:
 * 1. the planner's source-only rules: `below_minimum`, `near_complete` (an item we would not
 *    write anyway is reported as such, even when it could not be found on the target);
 * 2. `missing_ids` / `unresolved` (the item is not on the target, or we cannot look it up);
 *    a resolved item without a live target state is also `unresolved`: without it we cannot
 *    know whether someone is playing the item, so we do not write;
 * 3. the planner's `unchanged` (the target is within `deltaSeconds`);
 * 4. the policy (`playing_now`, `same_origin`, `missing_source_time`, `target_newer`,
 *    `already_watched`, `unchanged`);
 * 5. `write`, with `unwatchFirst: true` when a watched target is replayed.
 */
export function decideItem(input: DecideInput): Decision & { unwatchFirst?: boolean } {
  const { key, source, target, settings } = input;
  const base = {
    key,
    title: displayTitle(source),
    type: source.type,
    source: positionOf(source),
    ...(target === undefined ? {} : { target: positionOf(target) }),
  };
  const sourcePosition = { ...base.source, ...(source.progressPct === undefined ? {} : { progressPct: source.progressPct }) };

  const sourceOnly = planProgress(sourcePosition, undefined, settings, input.targetCompletionPercent);
  if (sourceOnly.action === 'skip') {
    return { ...base, action: 'skip', reason: sourceOnly.reason, detail: sourceOnly.detail };
  }

  if (input.resolution === 'missing_ids') {
    return { ...base, action: 'skip', reason: 'missing_ids', detail: { ref: source.ref.id, provider: source.ref.provider } };
  }
  if (input.resolution === 'unresolved' || target === undefined) {
    const why = input.resolution === 'unresolved' ? input.unresolvedDetail : 'no live state for the item on the target';
    return { ...base, action: 'skip', reason: 'unresolved', detail: why === undefined ? {} : { unresolved: why } };
  }

  const plan = planProgress(sourcePosition, positionOf(target), settings, input.targetCompletionPercent);
  if (plan.action === 'skip') return { ...base, action: 'skip', reason: plan.reason, detail: plan.detail };

  // A capped write is compared and written at its capped position, not the source's.
  const written = plan.cap ? cappedSnapshot(base.source, plan.cap.writePercent, target.durationMs ?? source.durationMs) : base.source;
  const policy = decideWrite({
    source: written,
    ...(input.targetStill ? { targetStill: true } : {}),
    target,
    sameOrigin: input.sameOrigin,
    toleranceMs: settings.toleranceSeconds * 1000,
    replay: settings.replay,
  });
  if (policy.action === 'skip') return { ...base, action: 'skip', reason: policy.reason, detail: policy.detail };

  const detail: Record<string, unknown> = {};
  if (plan.percent !== undefined) detail.percent = plan.percent;
  if (plan.cap) Object.assign(detail, { capAtPercent: plan.cap.atPercent, writePercent: plan.cap.writePercent, sourcePercent: percentOf(base.source) });
  if (policy.unwatchFirst) detail.unwatchFirst = true;
  return { ...base, action: 'write', reason: plan.cap ? 'capped' : 'write', detail, unwatchFirst: policy.unwatchFirst };
}

/** `Show Title S01E02` for episodes whose show title and numbers are known, else the title. */
export function displayTitle(item: Pick<ProgressRecord, 'type' | 'title' | 'show' | 'season' | 'episode'>): string {
  const show = item.show?.title;
  if (item.type === 'episode' && show !== undefined && show !== '' && item.season !== undefined && item.episode !== undefined) {
    return `${show} S${String(item.season).padStart(2, '0')}E${String(item.episode).padStart(2, '0')}`;
  }
  return item.title;
}

/** The source as it will be written when capped: the same time, the capped position. */
function cappedSnapshot(source: PositionSnapshot, writePercent: number, durationMs: number | undefined): PositionSnapshot {
  const out: PositionSnapshot = { ...source, progressPct: writePercent };
  if (durationMs !== undefined && durationMs > 0) Object.assign(out, { progressMs: Math.round((writePercent * durationMs) / 100), durationMs });
  else delete out.progressMs;
  return out;
}


/**
 * Counts decisions by reason. Only reasons that occur are present; keys follow the order of
 * `REASONS` (so output is stable), and reasons outside that list come last.
 */
export function summarise(decisions: Decision[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const d of decisions) counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const reason of REASONS) {
    const n = counts.get(reason);
    if (n !== undefined) out[reason] = n;
  }
  for (const [reason, n] of counts) if (!(reason in out)) out[reason] = n;
  return out;
}
