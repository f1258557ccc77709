// runTwoWay: read both sides → which side moved, per item (core/two-way.ts planTwoWay) → plan and
// apply against the other side with the same rules as one-way → record both sides. Only I/O here.
// An item-scoped run (serve's triggers) replaces only the read: the reported items by id on
// their side, each one's copy on the other side found through the stored id index and read by
// id too; planTwoWay then decides over those records exactly as over whole listings.
import type { ProgressRecord } from '../core/model.ts';
import type { SourceItem, TypedDecision } from '../core/pipeline.ts';
import { itemsOf, joinKeys } from '../core/match.ts';
import { droppedWithoutClear, planTwoWay, type SideMemory } from '../core/two-way.ts';
import { identityOf } from '../core/ids.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import { applyWrites } from './apply.ts';
import { holdBack, updatePending } from './retries.ts';
import { explicitClearsOf } from './clears.ts';
import type { RunPairOptions, ScopedItem } from './run-pair.ts';
import { withRun, type RunResult } from './run.ts';
import { matchAndPlan, readItems, readRecords, type SourceReader } from './steps.ts';
import { advanceFinishCursor, type FinishedReader, finishSince, planFinishes, readFinishedRecords, readsFinished, type FinishPlan } from './finish.ts';
import type { PlannedItem } from '../core/pipeline.ts';
import type { ProgressSettings } from '../core/pair.ts';

interface FinishSide {
  /** The side that finished items. */
  from: Provider;
  /** The side that leaves Continue Watching. */
  to: Provider;
  toServerId: string;
  /** Each side's plan, by key: `to`'s gets the finishes, `from`'s loses a position write a finish replaces. */
  plannedTo: Map<string, PlannedItem>;
  plannedFrom: Map<string, PlannedItem>;
  /** `from`'s resumable items of this run. */
  resumed: Map<string, SourceItem>;
}

/**
 * Finished on one side, planned against the other (two-way is symmetric: either side's finish
 * counts). A finish replaces whatever else the run decided for the item (a dropped position, a
 * write either way); a finish that is not carried out (`finished_skip`, `playing_now`) is recorded
 * beside the item's other decision, as `<key>#finish`.
 */
async function planSideFinishes(
  side: FinishSide,
  ctx: {
    pair: string;
    settings: ProgressSettings;
    store: Store;
    stats: { resolved: number; read: number };
    startedAt: number;
    scope?: ScopedItem[];
    reader?: FinishedReader;
  },
  decisions: Map<string, TypedDecision>,
): Promise<Pick<FinishPlan, 'holdFrom' | 'items'>> {
  const since = finishSince(ctx.store, ctx.pair, side.from.id, ctx.settings, ctx.startedAt);
  const scope = ctx.scope && {
    items: ctx.scope.filter((i) => i.provider === side.from.id).map((i) => i.nativeId),
    resumable: new Set([...side.resumed.values()].map((i) => i.record.ref.id)),
  };
  const records = await readFinishedRecords(side.from, since, scope, ctx.reader);
  ctx.stats.read += records.length;
  const finishes = await planFinishes(side.to, records, {
    settings: ctx.settings,
    store: ctx.store,
    stats: ctx.stats,
    targetServerId: side.toServerId,
    ...(ctx.scope ? { resolveOpts: { storedFirst: true } } : {}),
    resumed: side.resumed,
  });
  for (const [key, p] of finishes.planned) {
    if (p.decision.reason === 'finished') {
      side.plannedTo.set(key, p);
      side.plannedFrom.delete(key);
      decisions.delete(key);
    } else if (side.plannedTo.has(key) || side.plannedFrom.has(key) || decisions.has(key)) {
      const aside = `${key}#finish`;
      side.plannedTo.set(aside, { decision: { ...p.decision, key: aside } });
    } else side.plannedTo.set(key, p);
  }
  return finishes;
}

/** What the store remembers of one side, for the keys (and alias keys) of this run. */
function memoryOf(store: Store, side: Provider, keys: string[]): SideMemory {
  const memory: SideMemory = { observed: new Map(), lastWrite: new Map() };
  for (const key of keys) {
    const observed = store.observation(side.id, key);
    if (observed) memory.observed.set(key, observed);
    const write = store.lastConfirmedWrite(side.id, key)?.value;
    if (write) memory.lastWrite.set(key, write);
  }
  return memory;
}

/** Items that can be looked for on another server (as matchAndPlan picks them). */
const findable = (items: Map<string, SourceItem>): SourceItem[] => [...items.values()].filter((i) => i.resolution === 'resolved' && !i.ambiguous);

/** The native ids of `items`' copies on `side`, found through its id index as stored. */
async function copiesOn(side: Provider, items: SourceItem[]): Promise<string[]> {
  if (items.length === 0) return [];
  const found = await side.resolve(
    items.map((i) => ({ ...identityOf(i.record), key: i.key, ref: i.record.ref })),
    { storedFirst: true },
  );
  return [...found.values()].flatMap((o) => ('ref' in o ? [o.ref.id] : []));
}

/**
 * An item-scoped read of both sides: each side's reported items by native id, then each item's
 * copy on the other side (the stored id index) by native id. A side lists nothing for an item it
 * would not list (no position): the same records a full listing would hold for these items.
 */
async function readScoped(
  a: Provider,
  b: Provider,
  servers: { a: string; b: string },
  scope: ScopedItem[],
): Promise<{ a: ProgressRecord[]; b: ProgressRecord[] }> {
  const idsOn = (side: Provider) => scope.filter((i) => i.provider === side.id).map((i) => i.nativeId);
  const [aIds, bIds] = [idsOn(a), idsOn(b)];
  const [aRead, bRead] = await Promise.all([a.readItems(aIds), b.readItems(bIds)]);
  const [onB, onA] = await Promise.all([copiesOn(b, findable(itemsOf(aRead, servers.b))), copiesOn(a, findable(itemsOf(bRead, servers.a)))]);
  const unread = (ids: string[], read: string[]) => [...new Set(ids)].filter((id) => !read.includes(id));
  const [aMore, bMore] = await Promise.all([a.readItems(unread(onA, aIds)), b.readItems(unread(onB, bIds))]);
  return { a: [...aRead, ...aMore], b: [...bRead, ...bMore] };
}

export type TwoWayOptions = Omit<RunPairOptions, 'items'> & {
  /** An item-scoped run: the reported items, on either side (see readScoped). Explicit clears
   * are left to full runs, as for one-way pairs: they are asked about what a listing lacks. */
  items?: ScopedItem[];
};

export async function runTwoWay(opts: TwoWayOptions): Promise<RunResult> {
  const { pair, source: a, target: b, store, log, dryRun } = opts;
  const settings = pair.features.progress;
  const stats = { read: 0, resolved: 0, writes: 0 };
  const scope = opts.items;
  const run = await withRun(
    store,
    { pair: pair.name, source: a.id, target: b.id, dryRun, signal: opts.signal, trigger: opts.trigger },
    opts.now,
    async (runId) => {
      const startedAt = opts.now();
      const [aInfo, bInfo] = await Promise.all([a.connect(), b.connect()]);
      // Both sides are targets in a two-way pair.
      for (const side of [a, b]) if (side.capabilities.writeBlockedReason) throw new ProviderError('config', side.id, side.capabilities.writeBlockedReason);

      let readA: SourceReader = opts.read ?? readRecords;
      let readB = readA;
      if (scope) {
        const scoped = await readScoped(a, b, { a: aInfo.serverId, b: bInfo.serverId }, scope);
        readA = () => Promise.resolve(scoped.a);
        readB = () => Promise.resolve(scoped.b);
      }
      const aItems = await readItems(a, bInfo.serverId, stats, readA, opts.onEvent);
      const bItems = joinKeys(aItems, await readItems(b, aInfo.serverId, stats, readB, opts.onEvent));
      const keys = [...new Set([...aItems.keys(), ...bItems.keys(), ...[...bItems.values()].flatMap((i) => (i.aliasKey ? [i.aliasKey] : []))])];
      const plan = planTwoWay({
        a: { id: a.id, items: aItems, memory: memoryOf(store, a, keys) },
        b: { id: b.id, items: bItems, memory: memoryOf(store, b, keys) },
        settings,
      });
      const decisions = new Map<string, TypedDecision>(plan.skips.map((d) => [d.key, d]));

      // Explicit clears: ask the dropping side about the item; a clear on it is carried over.
      for (const [from, side, other, info] of [
        ['a', a, b, aInfo],
        ['b', b, a, bInfo],
      ] as const) {
        const asked = plan.dropped.filter((d) => d.from === from);
        if (asked.length === 0 || scope) continue;
        const signals = await explicitClearsOf(
          side,
          info.serverId,
          store,
          asked.map((d) => d.key),
        );
        for (const d of asked) {
          const signal = signals.get(d.key);
          const item = d.present;
          // Named as the side that still has it knows it (its own ref), timed as the clear.
          if (signal && other.capabilities.clear)
            (other === b ? plan.toB : plan.toA).push({
              key: d.key,
              record: { ...signal, ...identityOf(item.record), ref: item.record.ref },
              resolution: 'resolved',
              clear: true,
            });
          else decisions.set(d.key, droppedWithoutClear(d, side.id));
        }
      }

      // The same plan as one-way, against each side in turn; items waiting for their next try
      // (unresolved, parked) are left alone.
      const pending = store.pendingFor(pair.name);
      const heldB = holdBack(plan.toB, pending, opts.now());
      const heldA = holdBack(plan.toA, pending, opts.now());
      const resolveOpts = scope ? { storedFirst: true } : {};
      const plannedB = await matchAndPlan(b, heldB.active, settings, store, stats, resolveOpts);
      const plannedA = await matchAndPlan(a, heldA.active, settings, store, stats, resolveOpts);
      for (const d of [...heldB.waiting, ...heldA.waiting]) decisions.set(d.key, d);

      // Finished on either side: the other side leaves Continue Watching (see planSideFinishes).
      const finishCtx = {
        pair: pair.name,
        settings,
        store,
        stats,
        startedAt,
        ...(scope ? { scope } : {}),
        ...(opts.readFinished ? { reader: opts.readFinished } : {}),
      };
      const finishing = [
        { from: a, to: b, toServerId: bInfo.serverId, plannedTo: plannedB, plannedFrom: plannedA, resumed: aItems },
        { from: b, to: a, toServerId: aInfo.serverId, plannedTo: plannedA, plannedFrom: plannedB, resumed: bItems },
      ].filter((side) => readsFinished(settings, side.from));
      const finishes = new Map<string, Pick<FinishPlan, 'holdFrom' | 'items'>>();
      for (const side of finishing) finishes.set(side.from.id, await planSideFinishes(side, finishCtx, decisions));
      for (const [target, planned, direction] of [
        [b, plannedB, `${a.id} → ${b.id}`],
        [a, plannedA, `${b.id} → ${a.id}`],
      ] as const) {
        const outcomes = new Map([...planned].map(([key, p]) => [key, p.decision]));
        const writes = [...planned.values()].flatMap((p) => (p.write ? [p.write] : []));
        if (runId !== undefined && writes.length > 0) {
          for (const [key, d] of await applyWrites(target, writes, { store, runId, now: opts.now, onEvent: opts.onEvent, signal: opts.signal }))
            outcomes.set(key, d);
          stats.writes += writes.length;
        }
        for (const [key, d] of outcomes) decisions.set(key, { ...d, detail: { ...d.detail, direction } } as TypedDecision);
      }

      return {
        decisions: [...decisions.values(), ...plan.conflicts],
        record: (runId, finishedAt) => {
          updatePending(store, pair.name, [...heldB.active, ...heldA.active], decisions, finishedAt);
          if (!scope)
            for (const side of finishing)
              advanceFinishCursor(store, pair.name, side.from.id, settings, { startedAt, holdFrom: finishes.get(side.from.id)?.holdFrom }, decisions.values());
          for (const side of finishes.values()) store.recordItems(side.items);
          store.recordObservations(
            runId,
            a.id,
            [...aItems.values()].map((i) => ({ key: i.key, record: i.record })),
          );
          store.recordObservations(
            runId,
            b.id,
            [...bItems.values()].map((i) => ({ key: i.key, record: i.record })),
          );
        },
      };
    },
  );
  log.info({ pair: pair.name, dryRun, counts: run.counts }, 'two-way pair run finished');
  return { ...run, pair: pair.name, source: a.id, target: b.id, dryRun, stats };
}
