// The I/O steps of a run, shared by one-way and two-way pairs: read a source, match items on a
// target and read its live state, then plan each item once (the rules live in core/).
import type { ProgressRecord, ProgressValue, TargetState } from '../core/model.ts';
import type { ProgressSettings } from '../core/pair.ts';
import { identityOf } from '../core/ids.ts';
import { planItem, planSourceOf } from '../core/decide.ts';
import { planClear } from '../core/clears.ts';
import { itemsOf, sharedTargets } from '../core/match.ts';
import type { MatchedItem, PlannedItem, PlannedWrite, SourceItem } from '../core/pipeline.ts';
import { holdsValue, secondsToMs } from '../core/position.ts';
import type { Provider, ResolveOptions, ResolveOutcome, ResolveRequest } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import type { RunEvent } from './run.ts';

/** Reads every resumable record of a provider (one listing, all pages). */
export async function readRecords(source: Provider, onEvent?: (e: RunEvent) => void): Promise<ProgressRecord[]> {
  const records: ProgressRecord[] = [];
  for await (const page of source.listProgress({ onPage: (seen, total) => onEvent?.({ phase: 'read', seen, total }) })) records.push(...page);
  return records;
}

/** Reads a source's records (or takes them from `records`, when another pair read them already). */
export type SourceReader = (source: Provider, onEvent?: (e: RunEvent) => void) => Promise<ProgressRecord[]>;

/** Every resumable item of a provider, by key, duplicates collapsed (newest wins). */
export async function readItems(
  source: Provider,
  otherServerId: string,
  stats: { read: number },
  read: SourceReader,
  onEvent?: (e: RunEvent) => void,
): Promise<Map<string, SourceItem>> {
  const records = await read(source, onEvent);
  stats.read += records.length;
  return itemsOf(records, otherServerId);
}

/**
 * Matches items on the target, reads its live state in one batch, and plans each item — once:
 * the source-only plan that picks the items needing the target is the one planItem goes on with.
 */
export async function matchAndPlan(
  target: Provider,
  items: SourceItem[],
  settings: ProgressSettings,
  store: Store,
  stats: { resolved: number },
  resolveOpts: ResolveOptions = {},
): Promise<Map<string, PlannedItem>> {
  const { completionPercent: completion, units } = target.capabilities;
  const matched: MatchedItem[] = items.map((i) => ({ ...i }));
  const sourcePlans = new Map(matched.filter((i) => !i.clear).map((i) => [i.key, planSourceOf(i.record, settings)]));
  // Only items that pass the source-only checks need the target at all.
  const needTarget = matched.filter((i) => i.resolution === 'resolved' && !i.ambiguous && (i.clear || sourcePlans.get(i.key)?.action === 'write'));
  const requests: ResolveRequest[] = needTarget.map((i) => ({ ...identityOf(i.record), key: i.key, ref: i.record.ref }));
  const resolved: Map<string, ResolveOutcome> = needTarget.length > 0 ? await target.resolve(requests, resolveOpts) : new Map();
  for (const item of needTarget) {
    const outcome = resolved.get(item.key);
    if (outcome && 'ref' in outcome) item.ref = outcome.ref;
    else if (outcome?.ambiguous) item.ambiguous = { side: 'target', items: outcome.ambiguous.map(({ provider, id }) => ({ provider, id })) };
    else {
      item.resolution = 'unresolved';
      item.unresolvedDetail = outcome?.unresolved ?? 'not found';
    }
  }
  // Different source items found as one target item: none of them is written (nor read).
  const shared = sharedTargets(needTarget);
  for (const item of needTarget) {
    const detail = shared.get(item.key);
    if (detail === undefined) continue;
    item.ambiguous = detail;
    delete item.ref;
  }
  const refs = needTarget.flatMap((i) => (i.ref ? [i.ref] : []));
  stats.resolved += refs.length;

  // Live target state, batched.
  const states = await target.targetState(refs);
  for (const item of needTarget) {
    if (!item.ref) continue;
    const state = states.get(item.ref.id);
    if (state) item.target = withOurTime(state, store.lastConfirmedWrite(target.id, item.key));
    else {
      item.resolution = 'unresolved';
      item.unresolvedDetail = `item ${item.ref.id} no longer exists on ${target.id}`;
    }
  }

  const planned = new Map<string, PlannedItem>();
  for (const item of matched) {
    if (item.clear) {
      const source = { watched: false, ...(item.record.progressAt !== undefined ? { progressAt: item.record.progressAt } : {}) };
      const cleared = planClear({ key: item.key, item: item.record, source, target: item.target, toleranceMs: secondsToMs(settings.toleranceSeconds) });
      planned.set(item.key, item.target ? { ...cleared, targetRead: item.target } : cleared);
      continue;
    }
    const sourcePlan = sourcePlans.get(item.key);
    const read = item.target ? { targetRead: item.target } : {};
    planned.set(item.key, {
      ...read,
      ...planItem({
        key: item.key,
        source: item.record,
        target: item.target,
        resolution: item.resolution,
        ...(item.unresolvedDetail ? { unresolvedDetail: item.unresolvedDetail } : {}),
        ...(item.ambiguous ? { ambiguous: item.ambiguous } : {}),
        settings,
        ...(completion !== undefined ? { targetCompletionPercent: completion } : {}),
        targetUnits: units,
        sameOrigin: item.record.ref.provider === target.id,
        ...(item.targetStill ? { targetStill: true } : {}),
        ...(sourcePlan ? { sourcePlan } : {}),
      }),
    });
  }
  return planned;
}

/**
 * What a run last read of its target's items, by key: the live state each was planned with, or
 * for a confirmed write the re-read that confirmed it (timed as above: the value's source time).
 * A write that failed or may have landed keeps the state read before it.
 */
export function targetReads(
  planned: Map<string, PlannedItem>,
  confirmed: Map<string, { write: PlannedWrite; state: TargetState }>,
): { key: string; state: TargetState }[] {
  const reads = new Map<string, TargetState>();
  for (const [key, p] of planned) if (p.targetRead) reads.set(key, p.targetRead);
  for (const [key, { write, state }] of confirmed) reads.set(key, confirmedRead(write, state));
  return [...reads].map(([key, state]) => ({ key, state }));
}

/** The re-read that confirmed a write, timed with the written value's source time (see withOurTime). */
export function confirmedRead(write: PlannedWrite, state: TargetState): TargetState {
  return write.change.kind === 'write' ? withOurTime(state, { value: write.change.value }) : state;
}

/**
 * A target that still holds the value we wrote carries that value's source time, not the time
 * the server stamped when we wrote it (Plex and Trakt stamp "now"): our own write must never
 * look like newer activity on the target.
 */
export function withOurTime(state: TargetState, ours: { value: ProgressValue } | undefined): TargetState {
  if (!ours || ours.value.progressAt === undefined || ours.value.progressMs <= 0 || !holdsValue(state, ours.value)) return state;
  return { ...state, progressAt: ours.value.progressAt };
}
