// The I/O of finished items (the pair's `finish`, rule in core/finish.ts): read what the source
// finished since this pair's cursor (or, item-scoped, by id), find those items on the target with
// the same id index, read their live state in one batch, and plan each. Writes go through
// applyWrites with the run's other writes; the cursor moves only after a run without failures.
import type { ProgressRecord } from '../core/model.ts';
import type { ProgressSettings } from '../core/pair.ts';
import type { PlannedItem, SourceItem, TypedDecision } from '../core/pipeline.ts';
import { planFinish } from '../core/finish.ts';
import { identityOf } from '../core/ids.ts';
import { itemsOf } from '../core/match.ts';
import { secondsToMs } from '../core/position.ts';
import type { Provider, ResolveOptions } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import { withOurTime } from './steps.ts';

const DAY_MS = 86_400_000;

/** Whether this pair reads finished items from `source` at all (`finish: off` reads none). */
export function readsFinished(settings: ProgressSettings, source: Provider): boolean {
  return settings.finish !== 'off' && source.capabilities.finishedReads && source.listFinished !== undefined && source.readFinished !== undefined;
}

/** Where a pair keeps, per source, the time its finished items were read up to (epoch ms). */
function cursorName(pair: string, source: string): string {
  return `finish_cursor:${pair}:${source}`;
}

/** The time a pair reads finished items from: its cursor, else `finish_lookback_days` back. */
export function finishSince(store: Store, pair: string, source: string, settings: ProgressSettings, now: number): number {
  const stored = Number(store.getKv(cursorName(pair, source)));
  return Number.isFinite(stored) && stored > 0 ? stored : now - settings.finishLookbackDays * DAY_MS;
}

/**
 * After a run that read finished items in full and failed nowhere: the next run reads from this
 * run's start, less the tolerance (a finish stamped by a server whose clock is a little behind is
 * not missed), or from the oldest finish left for later (`holdFrom`: the target was playing it).
 * A run with a failure keeps the cursor, so its items are read (and tried) again.
 */
export function advanceFinishCursor(
  store: Store,
  pair: string,
  source: string,
  settings: ProgressSettings,
  run: { startedAt: number; holdFrom?: number | undefined },
  decisions: Iterable<TypedDecision>,
): void {
  for (const d of decisions) if (d.reason === 'failed') return;
  const next = Math.min(run.startedAt - secondsToMs(settings.toleranceSeconds), run.holdFrom ?? Number.POSITIVE_INFINITY);
  store.setKv(cursorName(pair, source), String(next));
}

/** Reads what `source` finished since a time (a listing; run-all shares one among the pairs of a source). */
export type FinishedReader = (source: Provider, since: number) => Promise<ProgressRecord[]>;

export const listFinishedSince: FinishedReader = async (source, since) => {
  const records: ProgressRecord[] = [];
  if (!source.listFinished) return records;
  for await (const page of source.listFinished(since)) records.push(...page);
  return records;
};

/**
 * The source's finished records: by native id for an item-scoped run, else since the cursor.
 * An id the run's resumable read already returned (`resumable`) is not asked about: an item
 * holding a position is in progress, not finished, so that read would cost a request for nothing.
 */
export async function readFinishedRecords(
  source: Provider,
  since: number,
  scope?: { items: string[]; resumable: ReadonlySet<string> },
  reader: FinishedReader = listFinishedSince,
): Promise<ProgressRecord[]> {
  if (!scope) return reader(source, since);
  const ids = [...new Set(scope.items)].filter((id) => !scope.resumable.has(id));
  return ids.length > 0 && source.readFinished ? source.readFinished(ids) : [];
}

export interface FinishPlanOptions {
  settings: ProgressSettings;
  store: Store;
  stats: { resolved: number };
  /** The target's server id (items without external ids can be found only on their own server). */
  targetServerId: string;
  resolveOpts?: ResolveOptions;
  /** The source's resumable items of this run, by key: an item resumed since its finish is left alone. */
  resumed: Map<string, SourceItem>;
}

export interface FinishPlan {
  planned: Map<string, PlannedItem>;
  /** The oldest finish left for later (the target was playing it): the cursor stays at or before it. */
  holdFrom?: number;
  /** The source's records of the finishes to carry out: the run records their identity, so that
   * undo finds the items again (a finished item is in no listing, which records the others). */
  items: { key: string; record: ProgressRecord }[];
}

/** Plans the finishes of `records` on `target`: items it does not hold in progress get no decision. */
export async function planFinishes(target: Provider, records: ProgressRecord[], opts: FinishPlanOptions): Promise<FinishPlan> {
  const planned = new Map<string, PlannedItem>();
  const result: FinishPlan = { planned, items: [] };
  const mode = opts.settings.finish;
  if (records.length === 0 || mode === 'off') return result;
  // Different items under one key, or items only their own server could find: nothing to say.
  const items = [...itemsOf(records, opts.targetServerId).values()].filter((i) => i.resolution === 'resolved' && !i.ambiguous);
  if (items.length === 0) return result;
  const found = await target.resolve(
    items.map((i) => ({ ...identityOf(i.record), key: i.key, ref: i.record.ref })),
    opts.resolveOpts ?? {},
  );
  const located = items.flatMap((i) => {
    const outcome = found.get(i.key);
    return outcome && 'ref' in outcome ? [{ item: i, ref: outcome.ref }] : [];
  });
  if (located.length === 0) return result;
  opts.stats.resolved += located.length;
  const states = await target.targetState(located.map((l) => l.ref));
  const { watchedState, logsPlays, clear } = target.capabilities;
  for (const { item, ref } of located) {
    const state = states.get(ref.id);
    const resumedAt = opts.resumed.get(item.key)?.record.progressAt;
    const plan = planFinish({
      key: item.key,
      source: item.record,
      target: state && withOurTime(state, opts.store.lastConfirmedWrite(target.id, item.key)),
      mode,
      toleranceMs: secondsToMs(opts.settings.toleranceSeconds),
      // A target that logs plays (Trakt) leaves Continue Watching by a logged play too.
      targetMarksWatched: (watchedState || logsPlays) && target.markWatched !== undefined,
      targetClears: clear && target.clear !== undefined,
      ...(resumedAt !== undefined ? { sourceResumedAt: resumedAt } : {}),
    });
    if (!plan) continue;
    planned.set(item.key, plan);
    if (plan.write) result.items.push({ key: item.key, record: item.record });
    const finishedAt = item.record.watchedAt;
    if (plan.decision.reason === 'playing_now' && finishedAt !== undefined) result.holdFrom = Math.min(result.holdFrom ?? finishedAt, finishedAt);
  }
  return result;
}
