// runPair: read → match → plan → policy → write → confirm → record, for one one-way pair.
// The engine owns the order of operations and the bookkeeping; every rule lives in core/.
import type { Logger } from 'pino';
import type { PairConfig } from '../core/pair.ts';
import type { ProgressRecord, TargetState } from '../core/model.ts';
import type { PlannedWrite, SourceItem, TypedDecision } from '../core/pipeline.ts';
import { findExplicitClears } from './clears.ts';
import { holdBack, updatePending } from './retries.ts';
import type { Provider } from '../providers/provider.ts';
import { ProviderError } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import { applyWrites } from './apply.ts';
import { withRun, type RunEvent, type RunResult } from './run.ts';
import { matchAndPlan, readItems, readRecords, targetReads, type SourceReader } from './steps.ts';
import { advanceFinishCursor, type FinishedReader, finishSince, planFinishes, readFinishedRecords, readsFinished } from './finish.ts';

export type { RunEvent, RunResult } from './run.ts';

/** One item an item-scoped run is about: its native id on the provider that reported it. */
export interface ScopedItem {
  provider: string;
  nativeId: string;
}

export interface RunPairOptions {
  pair: PairConfig;
  source: Provider;
  target: Provider;
  store: Store;
  log: Logger;
  now: () => number;
  dryRun: boolean;
  onEvent?: (event: RunEvent) => void;
  /** How sources are read; `runAll` shares one read among the pairs of a source. */
  read?: SourceReader;
  /** How the source's finished items are read (run-all shares one read among a source's pairs). */
  readFinished?: FinishedReader;
  /** SIGINT/SIGTERM: finish the writes in flight, start no more, close the run as interrupted. */
  signal?: AbortSignal;
  /** What started the run, kept on its row (see RunMeta). */
  trigger?: string;
  /**
   * An item-scoped run (serve's triggers): only these source items (native ids), read by id
   * instead of listed, found on the target through the stored id index. Everything after the
   * read is the full run's: the same plan, policy, pending rules, applyWrites and records.
   * Explicit clears are left to full runs: they are inferred from what a whole listing lacks.
   */
  items?: string[];
}

export async function runPair(opts: RunPairOptions): Promise<RunResult> {
  const { pair, source, target, store, log, dryRun } = opts;
  const settings = pair.features.progress;
  const stats = { read: 0, resolved: 0, writes: 0 };
  const run = await withRun(
    store,
    { pair: pair.name, source: source.id, target: target.id, dryRun, signal: opts.signal, trigger: opts.trigger },
    opts.now,
    async (runId) => {
      const startedAt = opts.now();
      const [sourceInfo, targetInfo] = await Promise.all([source.connect(), target.connect()]);
      // A target that cannot take writes (e.g. Jellyfin before 10.9) fails the pair up front, in the
      // plan as in the sync, instead of skipping every item quietly.
      if (target.capabilities.writeBlockedReason) throw new ProviderError('config', target.id, target.capabilities.writeBlockedReason);

      // 1. Read every resumable item on the source, collapsing duplicates by key.
      const only = opts.items;
      const read: SourceReader = only ? (s) => s.readItems(only) : (opts.read ?? readRecords);
      const byKey = await readItems(source, targetInfo.serverId, stats, read, opts.onEvent);
      const listed = [...byKey.values()];

      // 1b. Explicit clears (`remove: true`), never inferred from absence alone.
      const clears: SourceItem[] = [];
      if (settings.remove && target.capabilities.clear && !only) {
        for (const c of await findExplicitClears(source, sourceInfo.serverId, store, new Set(byKey.keys()), log)) {
          clears.push({ key: c.key, record: c.record, resolution: 'resolved', clear: true });
        }
      }
      // A pair with `add: false` only clears: positions are read (for the clear signals), none is written.
      const items = [...(settings.add ? listed : []), ...clears];

      // Items still waiting for their next try (unresolved, or parked after failing) are left alone.
      const { active, waiting } = holdBack(items, store.pendingFor(pair.name), opts.now());

      // 2–4. Match, read the target's live state, plan and apply the policy: once per item.
      const resolveOpts = only ? { storedFirst: true } : {};
      const planned = await matchAndPlan(target, active, settings, store, stats, resolveOpts);

      // Finished on the source (`finish`): what it finished since the last run (item-scoped: these
      // ids), planned against the target. A finish replaces the item's position plan.
      const finishing = readsFinished(settings, source);
      let holdFrom: number | undefined;
      let finishedItems: { key: string; record: ProgressRecord }[] = [];
      if (finishing) {
        const since = finishSince(store, pair.name, source.id, settings, startedAt);
        const resumable = new Set(listed.map((i) => i.record.ref.id));
        const records = await readFinishedRecords(source, since, only ? { items: only, resumable } : undefined, opts.readFinished);
        stats.read += records.length;
        const finishes = await planFinishes(target, records, { settings, store, stats, targetServerId: targetInfo.serverId, resolveOpts, resumed: byKey });
        for (const [key, p] of finishes.planned) planned.set(key, p);
        holdFrom = finishes.holdFrom;
        finishedItems = finishes.items;
      }
      const decisions = new Map<string, TypedDecision>([...planned].map(([key, p]) => [key, p.decision]));
      for (const d of waiting) decisions.set(d.key, d);

      // 5–6. Write, confirm.
      const writes = [...planned.values()].flatMap((p) => (p.write ? [p.write] : []));
      const confirmed = new Map<string, { write: PlannedWrite; state: TargetState }>();
      if (runId !== undefined && writes.length > 0) {
        const onConfirmed = (write: PlannedWrite, state: TargetState) => confirmed.set(write.key, { write, state });
        for (const [key, d] of await applyWrites(target, writes, { store, runId, now: opts.now, onEvent: opts.onEvent, signal: opts.signal, onConfirmed }))
          decisions.set(key, d);
        stats.writes = writes.length;
      }

      // 7. Record.
      return {
        decisions: [...decisions.values()],
        record: (runId, finishedAt) => {
          updatePending(store, pair.name, active, decisions, finishedAt);
          if (finishing && !only) advanceFinishCursor(store, pair.name, source.id, settings, { startedAt, holdFrom }, decisions.values());
          // A clear that did not happen (failed, or the target is playing) stays pending: its old
          // observation is kept so the next run asks again.
          const retryClear = (i: SourceItem) => i.clear === true && ['failed', 'playing_now'].includes(decisions.get(i.key)?.reason ?? '');
          store.recordObservations(
            runId,
            source.id,
            [...listed, ...clears.filter((i) => !retryClear(i))].map((i) => ({ key: i.key, record: i.record })),
          );
          store.recordItems(finishedItems);
          // What the target held, for the dashboard only (see store.recordTargetReads).
          store.recordTargetReads(runId, target.id, targetReads(planned, confirmed));
        },
      };
    },
  );
  log.info({ pair: pair.name, dryRun, counts: run.counts }, 'pair run finished');
  return { ...run, pair: pair.name, source: source.id, target: target.id, dryRun, stats };
}
