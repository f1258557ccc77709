// runPair: read → match → plan → policy → apply → record, for one one-way pair.
// The engine owns the order of operations and the bookkeeping; every rule lives in core/.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { Decision, NativeRef, ProgressRecord, ProgressValue, TargetState } from '../core/model.ts';
import type { PairConfig, ProgressSettings } from '../core/pair.ts';
import { canonicalKey, identityOf, refKey } from '../core/ids.ts';
import { hasPosition } from '../core/position.ts';
import { decideItem, summarise } from '../core/decide.ts';
import { planProgress } from '../core/planner.ts';
import { pickNewer } from '../core/duplicates.ts';
import { decideClear } from '../core/clears.ts';
import { findExplicitClears } from './clears.ts';
import { holdBack, updatePending } from './retries.ts';
import type { Provider, ResolveRequest } from '../providers/provider.ts';
import { ProviderError } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';

export type RunStatus = 'ok' | 'partial' | 'failed';

export interface RunResult {
  runId?: number;
  pair: string;
  source: string;
  target: string;
  dryRun: boolean;
  status: RunStatus;
  counts: Record<string, number>;
  decisions: Decision[];
  startedAt: number;
  finishedAt: number;
  /** Requests are counted by the emulators; the engine reports what it did. */
  stats: { read: number; resolved: number; writes: number };
}

export type RunEvent =
  | { phase: 'read'; seen: number; total: number | undefined }
  | { phase: 'write'; done: number; total: number };

export interface RunPairOptions {
  pair: PairConfig;
  source: Provider;
  target: Provider;
  store: Store;
  log: Logger;
  now: () => number;
  dryRun: boolean;
  onEvent?: (event: RunEvent) => void;
}

/** Tolerance for confirming a write by re-reading: servers may round to the second… */
const CONFIRM_TOLERANCE_MS = 1000;
/** …or, for percent-only servers, to a hundredth of a percent. */
const CONFIRM_TOLERANCE_PCT = 0.05;

export interface Item {
  key: string;
  record: ProgressRecord;
  /** An explicit clear signalled by the source (see clears.ts), not a position to write. */
  clear?: true;
  /** Two-way: the target side has not moved since the last run. */
  targetStill?: true;
  /** Two-way: the key this item had on its own before it was joined to the other side's. */
  aliasKey?: string;
  resolution: 'resolved' | 'missing_ids' | 'unresolved';
  unresolvedDetail?: string;
  ref?: NativeRef;
  target?: TargetState;
}

export async function runPair(opts: RunPairOptions): Promise<RunResult> {
  const { pair, source, target, store, log, dryRun } = opts;
  const settings = pair.features.progress;
  const startedAt = opts.now();
  // Dry-run leaves no trace anywhere: no run row, no decisions, no journal.
  const runId = dryRun ? undefined : store.startRun({ pair: pair.name, source: source.id, target: target.id, dryRun, startedAt });
  const stats = { read: 0, resolved: 0, writes: 0 };
  try {
    const [sourceInfo, targetInfo] = await Promise.all([source.connect(), target.connect()]);
    // A target that cannot take writes (e.g. Jellyfin before 10.9) fails the pair up front, in the
    // plan as in the sync, instead of skipping every item quietly.
    if (target.capabilities.writeBlockedReason) throw new ProviderError('config', target.id, target.capabilities.writeBlockedReason);

    // 1. Read every resumable item on the source, collapsing duplicates by key.
    const byKey = await readItems(source, targetInfo.serverId, stats, opts.onEvent);
    const listed = [...byKey.values()];

    // 1b. Explicit clears (`remove: true`), never inferred from absence alone.
    const clears: Item[] = [];
    if (settings.remove && target.capabilities.clear) {
      for (const c of await findExplicitClears(source, sourceInfo.serverId, store, new Set(byKey.keys()), log)) {
        clears.push({ key: c.key, record: c.record, resolution: 'resolved', clear: true });
      }
    }
    // A pair with `add: false` only clears: positions are read (for the clear signals), none is written.
    const items = [...(settings.add ? listed : []), ...clears];

    // Items still waiting for their next try (unresolved, or parked after failing) are left alone.
    const { active, waiting } = holdBack(items, store.pendingFor(pair.name), opts.now());

    // 2–4. Match, read the target's live state, plan and apply the policy.
    const decisions = await decideOn(target, active, settings, store, stats);
    for (const d of waiting) decisions.set(d.key, d);

    // 5. Apply.
    const toWrite = items.filter((i) => (decisions.get(i.key)?.action === 'write' || decisions.get(i.key)?.action === 'clear') && i.ref);
    if (!dryRun && runId !== undefined && toWrite.length > 0) {
      await applyWrites(toWrite, decisions, { ...opts, runId });
      stats.writes = toWrite.length;
    }

    const list = [...decisions.values()].map(stripInternal);
    const counts = summarise(list);
    const status: RunStatus = (counts.failed ?? 0) > 0 ? 'partial' : 'ok';
    const finishedAt = opts.now();
    if (runId !== undefined) {
      store.recordDecisions(runId, list);
      updatePending(store, pair.name, active, decisions, finishedAt);
      // A clear that did not happen (failed, or the target is playing) stays pending: its old
      // observation is kept so the next run asks again.
      const retryClear = (i: Item) => i.clear === true && ['failed', 'playing_now'].includes(decisions.get(i.key)?.reason ?? '');
      store.recordObservations(runId, source.id, [...listed, ...clears.filter((i) => !retryClear(i))].map((i) => ({ key: i.key, record: i.record })));
      store.finishRun(runId, { finishedAt, status, counts });
    }
    log.info({ pair: pair.name, dryRun, counts }, 'pair run finished');
    return { ...(runId !== undefined ? { runId } : {}), pair: pair.name, source: source.id, target: target.id, dryRun, status, counts, decisions: list, startedAt, finishedAt, stats };
  } catch (err) {
    if (runId !== undefined) {
      store.finishRun(runId, { finishedAt: opts.now(), status: 'failed', counts: {}, error: err instanceof Error ? err.message : String(err) });
    }
    throw err;
  }
}

type Decisions = Map<string, Decision & { unwatchFirst?: boolean }>;

/** Every resumable item of a provider, by key, duplicates collapsed (newest wins). */
export async function readItems(source: Provider, otherServerId: string, stats: { read: number }, onEvent?: (e: RunEvent) => void): Promise<Map<string, Item>> {
  const byKey = new Map<string, Item>();
  for await (const page of source.listProgress({ onPage: (seen, total) => onEvent?.({ phase: 'read', seen, total }) })) {
    for (const record of page) {
      stats.read++;
      const external = canonicalKey(record);
      const key = external ?? refKey(record.ref);
      // Without external ids an item can only be found on the server it came from.
      const usable = external !== undefined || record.ref.server === otherServerId;
      const existing = byKey.get(key);
      const item: Item = { key, record, resolution: usable ? 'resolved' : 'missing_ids' };
      byKey.set(key, existing ? (pickNewer(existing.record, record) === record ? item : existing) : item);
    }
  }
  return byKey;
}

/** Match items on the target, read its live state in batches, and decide each item. */
export async function decideOn(target: Provider, items: Item[], settings: ProgressSettings, store: Store, stats: { resolved: number }): Promise<Decisions> {
  // Only items that pass the source-only checks need the target at all.
  const completion = target.capabilities.completionPercent;
  const needTarget = items.filter((i) => i.resolution === 'resolved' && (i.clear || planProgress(i.record, undefined, settings, completion).action === 'write'));
  const requests: ResolveRequest[] = needTarget.map((i) => ({ ...identityOf(i.record), key: i.key, ref: i.record.ref }));
  const resolved = needTarget.length > 0 ? await target.resolve(requests) : new Map();
  for (const item of needTarget) {
    const outcome = resolved.get(item.key);
    if (outcome && 'ref' in outcome) item.ref = outcome.ref;
    else {
      item.resolution = 'unresolved';
      item.unresolvedDetail = outcome?.unresolved ?? 'not found';
    }
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

  // Plan and policy, per item.
  const decisions: Decisions = new Map();
  for (const item of items) {
    if (item.clear) {
      const source = { watched: false, ...(item.record.progressAt !== undefined ? { progressAt: item.record.progressAt } : {}) };
      decisions.set(item.key, decideClear({ key: item.key, item: item.record, source, target: item.target, toleranceMs: settings.toleranceSeconds * 1000 }));
      continue;
    }
    decisions.set(
      item.key,
      decideItem({
        key: item.key,
        source: item.record,
        target: item.target,
        resolution: item.resolution,
        ...(item.unresolvedDetail ? { unresolvedDetail: item.unresolvedDetail } : {}),
        settings,
        ...(completion !== undefined ? { targetCompletionPercent: completion } : {}),
        sameOrigin: item.record.ref.provider === target.id,
        ...(item.targetStill ? { targetStill: true } : {}),
      }),
    );
  }
  return decisions;
}

/** Journal intent → write → confirm by one batched re-read. One item's failure never stops the rest. */
export async function applyWrites(
  toWrite: Item[],
  decisions: Decisions,
  opts: RunPairOptions & { runId: number },
): Promise<void> {
  const { target, store } = opts;
  // Oldest first by source time: a target that stamps "now" on every write (Plex, Trakt) then
  // shows the most recent item first in Continue Watching. For those, one write at a time keeps
  // the order exact; targets that store our time (Jellyfin, Emby) can take writes in parallel.
  toWrite.sort((a, b) => (a.record.progressAt ?? 0) - (b.record.progressAt ?? 0));
  const limit = pLimit(target.capabilities.setsProgressTime ? target.capabilities.maxConcurrentWrites : 1);
  const journalIds = new Map<string, number>();
  const values = new Map<string, ProgressValue>();
  let done = 0;
  await Promise.all(
    toWrite.map((item) =>
      limit(async () => {
        const decision = decisions.get(item.key);
        const ref = item.ref;
        if (!decision || !ref) return;
        const capped = decision.reason === 'capped' && typeof decision.detail?.writePercent === 'number' ? decision.detail.writePercent : undefined;
        const value = decision.action === 'clear' ? CLEARED : valueFor(item.record, item.target, capped);
        values.set(item.key, value);
        const journalId = store.journalIntent({ runId: opts.runId, ref, key: item.key, previous: decision.target ?? {}, value, at: opts.now() });
        journalIds.set(item.key, journalId);
        try {
          if (decision.action === 'clear') await clearOn(target, ref);
          else await target.write(ref, value, { unwatchFirst: decision.unwatchFirst === true });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          store.journalOutcome(journalId, { status: 'failed', error: message, at: opts.now() });
          journalIds.delete(item.key);
          // A target that answers "no such item" (Trakt names items by ids and only then says it
          // does not know one) leaves the item unresolved, not failed: it may appear later.
          const unknown = err instanceof ProviderError && err.kind === 'not_found';
          decisions.set(
            item.key,
            unknown
              ? { ...decision, action: 'skip', reason: 'unresolved', detail: { unresolved: `${target.id} does not know this item`, error: message } }
              : { ...decision, reason: 'failed', detail: { ...decision.detail, error: message } },
          );
        }
        opts.onEvent?.({ phase: 'write', done: ++done, total: toWrite.length });
      }),
    ),
  );

  // Confirm what the server now holds, in one batched read.
  const written = toWrite.filter((i) => journalIds.has(i.key) && i.ref);
  if (written.length === 0) return;
  let after: Map<string, TargetState>;
  try {
    after = await target.targetState(written.map((i) => i.ref as NativeRef), { playing: false });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const item of written) {
      store.journalOutcome(journalIds.get(item.key) as number, { status: 'unconfirmed', error: `could not re-read: ${message}`, at: opts.now() });
    }
    return;
  }
  for (const item of written) {
    const journalId = journalIds.get(item.key) as number;
    const decision = decisions.get(item.key);
    const value = values.get(item.key);
    if (!decision || !value) continue;
    const state = item.ref ? after.get(item.ref.id) : undefined;
    const took = decision.action === 'clear' ? !!state && !hasPosition(state) : !!state && holdsValue(state, value) && !(state.watched && !item.target?.watched);
    if (took) {
      store.journalOutcome(journalId, { status: 'confirmed', at: opts.now() });
      decisions.set(item.key, { ...decision, detail: { ...decision.detail, confirmed: true, ref: item.ref?.id } });
    } else {
      const held = state?.progressMs ?? (state?.progressPct !== undefined ? `${state.progressPct}%` : undefined);
      const now = state ? `position ${held ?? 'none'}${state.watched ? ', watched' : ''}` : 'item missing';
      const error = decision.action === 'clear' ? `not confirmed: after the clear the server reports ${now}` : `not confirmed: after writing ${value.progressMs} ms the server reports ${now}`;
      store.journalOutcome(journalId, { status: 'unconfirmed', error, at: opts.now() });
      decisions.set(item.key, { ...decision, reason: 'failed', detail: { ...decision.detail, error } });
    }
  }
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

/** What the journal records as the value of a clear. */
const CLEARED: ProgressValue = { progressMs: 0 };


async function clearOn(target: Provider, ref: NativeRef): Promise<void> {
  if (!target.clear) throw new ProviderError('config', target.id, `${target.id}: cannot clear positions`);
  await target.clear(ref);
}

/**
 * The value to store: the source position, with the target's own duration when it has one. A
 * percent-only source (Trakt) becomes milliseconds through that duration; every value also
 * carries its percent when a duration is known, for percent-only targets.
 */
export function valueFor(src: ProgressRecord, target: TargetState | undefined, cappedPercent?: number): ProgressValue {
  const durationMs = target?.durationMs ?? src.durationMs;
  if (cappedPercent !== undefined) {
    // Held just below the target's "watched" point, in the target's own duration.
    return {
      progressMs: durationMs ? Math.round((cappedPercent * durationMs) / 100) : (src.progressMs ?? 0),
      progressPct: cappedPercent,
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(src.progressAt !== undefined ? { progressAt: src.progressAt } : {}),
    };
  }
  const progressMs = src.progressMs ?? (src.progressPct !== undefined && durationMs ? Math.round((src.progressPct / 100) * durationMs) : 0);
  const progressPct =
    src.progressMs !== undefined && src.durationMs ? (src.progressMs * 100) / src.durationMs : (src.progressPct ?? (durationMs ? (progressMs * 100) / durationMs : undefined));
  return {
    progressMs,
    ...(progressPct !== undefined ? { progressPct: Math.round(progressPct * 1000) / 1000 } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(src.progressAt !== undefined ? { progressAt: src.progressAt } : {}),
  };
}

/** Whether a re-read shows the value we wrote (servers may round to the second or the percent). */
export function holdsValue(state: TargetState, value: ProgressValue): boolean {
  if (state.progressMs !== undefined) return Math.abs(state.progressMs - value.progressMs) <= CONFIRM_TOLERANCE_MS;
  if (state.progressPct !== undefined && value.progressPct !== undefined) return Math.abs(state.progressPct - value.progressPct) <= CONFIRM_TOLERANCE_PCT;
  return false;
}


function stripInternal(d: Decision & { unwatchFirst?: boolean }): Decision {
  const { unwatchFirst: _unused, ...rest } = d;
  return rest;
}

export function isAuthError(err: unknown): boolean {
  return err instanceof ProviderError && err.kind === 'auth';
}
