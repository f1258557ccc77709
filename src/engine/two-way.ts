// runTwoWay: read both sides → which side moved, per item (core/two-way.ts planTwoWay) → plan and
// apply against the other side with the same rules as one-way → record both sides. Only I/O here.
import type { TypedDecision } from '../core/pipeline.ts';
import { joinKeys } from '../core/match.ts';
import { droppedWithoutClear, planTwoWay, type SideMemory } from '../core/two-way.ts';
import { identityOf } from '../core/ids.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import { applyWrites } from './apply.ts';
import { holdBack, updatePending } from './retries.ts';
import { explicitClearsOf } from './clears.ts';
import type { RunPairOptions } from './run-pair.ts';
import { withRun, type RunResult } from './run.ts';
import { matchAndPlan, readItems, readRecords } from './steps.ts';

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

export async function runTwoWay(opts: RunPairOptions): Promise<RunResult> {
  const { pair, source: a, target: b, store, log, dryRun } = opts;
  const settings = pair.features.progress;
  const stats = { read: 0, resolved: 0, writes: 0 };
  const read = opts.read ?? readRecords;
  const run = await withRun(
    store,
    { pair: pair.name, source: a.id, target: b.id, dryRun, signal: opts.signal, trigger: opts.trigger },
    opts.now,
    async (runId) => {
      const [aInfo, bInfo] = await Promise.all([a.connect(), b.connect()]);
      // Both sides are targets in a two-way pair.
      for (const side of [a, b]) if (side.capabilities.writeBlockedReason) throw new ProviderError('config', side.id, side.capabilities.writeBlockedReason);

      const aItems = await readItems(a, bInfo.serverId, stats, read, opts.onEvent);
      const bItems = joinKeys(aItems, await readItems(b, aInfo.serverId, stats, read, opts.onEvent));
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
        if (asked.length === 0) continue;
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
      const plannedB = await matchAndPlan(b, heldB.active, settings, store, stats);
      const plannedA = await matchAndPlan(a, heldA.active, settings, store, stats);
      for (const d of [...heldB.waiting, ...heldA.waiting]) decisions.set(d.key, d);
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
