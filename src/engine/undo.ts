// Undo: puts back what one run wrote, from its journal. Only confirmed writes are undone, and only
// where the target still holds what we wrote: a target that changed since (someone played) is
// never overwritten. An undo is itself a run, with decisions and a journal, so it can be undone.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { displayTitle, summarise } from '../core/decide.ts';
import type { Decision, NativeRef, PositionSnapshot, ProgressValue, TargetState } from '../core/model.ts';
import { materiallyEqual } from '../core/policy.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import { createProvider, type ProviderFactoryOptions } from '../providers/registry.ts';
import { dryRunState } from '../store/dry-run.ts';
import type { JournalRow, Store } from '../store/store.ts';
import { installationIdOf } from './run-all.ts';
import { holdsValue, type RunStatus } from './run-pair.ts';

export interface UndoOptions {
  config: Config;
  store: Store;
  log: Logger;
  /** The run to undo (any run with a journal, an undo included). */
  runId: number;
  dryRun: boolean;
  now?: () => number;
  providerOptions?: ProviderFactoryOptions;
}

/** A journal row undo leaves alone without asking the target: as far as we know it changed nothing. */
export interface UndoSkippedRow {
  journalId: number;
  key: string;
  title: string;
  status: JournalRow['status'];
  why: string;
}

/**
 * Decisions use the sync's shape, read for undo: `source` is the value the undone run replaced
 * (what undo puts back), `target` the live state now, `detail.wrote` what the run wrote.
 */
export interface UndoResult {
  /** The undo's own run; absent for a dry run. */
  runId?: number;
  /** The run undone. */
  of: number;
  /** `undo:<pair of the undone run>`. */
  pair: string;
  dryRun: boolean;
  status: RunStatus;
  counts: Record<string, number>;
  decisions: Decision[];
  skipped: UndoSkippedRow[];
  startedAt: number;
  finishedAt: number;
}

/** A run id or config undo cannot work with (the CLI exits 2). */
export class UndoUsageError extends Error {}

interface Restore {
  kind: 'write' | 'clear';
  /** What we ask the target to hold; a clear is journalled as position 0. */
  value: ProgressValue;
  markWatched: boolean;
  unwatchFirst: boolean;
}

interface Entry {
  row: JournalRow;
  ref: NativeRef;
  decision: Decision;
  state?: TargetState;
  restore?: Restore;
  journalId?: number;
}

export async function undoRun(opts: UndoOptions): Promise<UndoResult> {
  const { store, log, dryRun } = opts;
  const now = opts.now ?? Date.now;
  const run = Number.isInteger(opts.runId) ? store.run(opts.runId) : undefined;
  if (!run) {
    const recent = store.runs({ limit: 10 }).map((r) => `${r.id} (${r.pair})`);
    throw new UndoUsageError(`no run ${Number.isInteger(opts.runId) ? `#${opts.runId}` : 'with that id'}; recent runs: ${recent.join(', ') || 'none yet'}`);
  }
  const journal = store.journal(run.id);
  const recorded = new Map(store.decisionsOfRun(run.id).map((d) => [d.key, d]));
  const titleOf = (key: string): string => {
    const title = recorded.get(key)?.title;
    if (title !== undefined) return title;
    const identity = store.item(key);
    return identity ? displayTitle(identity) : key;
  };

  // Only confirmed writes changed the target as far as we know; the rest are listed, not undone.
  const skipped = journal.filter((j) => j.status !== 'confirmed').map((j) => ({ journalId: j.id, key: j.key, title: titleOf(j.key), status: j.status, why: skipWhy(j) }));
  const entries: Entry[] = journal
    .filter((j) => j.status === 'confirmed')
    .map((row) => ({
      row,
      ref: { provider: row.provider, server: row.server, id: row.ref },
      decision: {
        key: row.key,
        title: titleOf(row.key),
        type: recorded.get(row.key)?.type ?? store.item(row.key)?.type ?? 'movie',
        action: 'skip',
        reason: 'unresolved',
        source: row.previous,
        detail: { journalId: row.id, ref: row.ref, wrote: row.value },
      },
    }));
  for (const provider of new Set(entries.map((e) => e.ref.provider))) {
    if (!opts.config.providers[provider]) throw new UndoUsageError(`run #${run.id} wrote to provider "${provider}", which is no longer configured`);
  }

  const pair = `undo:${run.pair}`;
  const startedAt = now();
  // Dry-run leaves no trace anywhere, as for sync. The source of an undo is the run it undoes.
  const undoId = dryRun ? undefined : store.startRun({ pair, source: `run:${run.id}`, target: run.target, dryRun, startedAt });
  const installationId = installationIdOf(store, dryRun);
  const providers: Provider[] = [];
  try {
    const byProvider = new Map<string, Entry[]>();
    for (const e of entries) byProvider.set(e.ref.provider, [...(byProvider.get(e.ref.provider) ?? []), e]);
    for (const [id, group] of byProvider) {
      const state = store.providerState(id);
      const config = opts.config.providers[id];
      if (!config) continue; // checked above
      const provider = createProvider(id, config, { state: dryRun ? dryRunState(state) : state, installationId, log, now, dryRun }, opts.providerOptions);
      providers.push(provider);
      await plan(provider, group, store);
      const restores = group.filter((e) => e.restore);
      if (undoId !== undefined && restores.length > 0) await apply(provider, restores, { store, runId: undoId, now });
    }

    const decisions = entries.map((e) => e.decision);
    const counts = summarise(decisions);
    const status: RunStatus = (counts.failed ?? 0) > 0 ? 'partial' : 'ok';
    const finishedAt = now();
    if (undoId !== undefined) {
      store.recordDecisions(undoId, decisions);
      store.finishRun(undoId, { finishedAt, status, counts });
    }
    log.info({ of: run.id, dryRun, counts, skipped: skipped.length }, 'undo finished');
    return { ...(undoId !== undefined ? { runId: undoId } : {}), of: run.id, pair, dryRun, status, counts, decisions, skipped, startedAt, finishedAt };
  } catch (err) {
    if (undoId !== undefined) store.finishRun(undoId, { finishedAt: now(), status: 'failed', counts: {}, error: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    await Promise.all(providers.map((p) => p.close()));
  }
}

/** Finds the items again, reads their live state in one batch, and decides per item. */
async function plan(provider: Provider, group: Entry[], store: Store): Promise<void> {
  const { serverId } = await provider.connect();
  // As in sync: a target that cannot take writes fails up front, in the plan as in the undo.
  if (provider.capabilities.writeBlockedReason) throw new ProviderError('config', provider.id, provider.capabilities.writeBlockedReason);
  const here: Entry[] = [];
  for (const e of group) {
    // A native id means nothing on another server: never touch a look-alike item there.
    if (e.ref.server === serverId) here.push(e);
    else unresolved(e, `${provider.id} is now server ${serverId}, not ${e.ref.server} where the run wrote`);
  }
  if (here.length === 0) return;
  // A native ref on its own server is taken as is; Trakt names items by their ids, so each
  // provider is asked, with what we know of the item.
  const requests = here.map((e) => ({ ...(store.item(e.row.key) ?? { type: e.decision.type, ids: {}, title: e.decision.title }), key: e.row.key, ref: e.ref }));
  const resolved = await provider.resolve(requests);
  const found: Entry[] = [];
  for (const e of here) {
    const outcome = resolved.get(e.row.key);
    if (outcome && 'ref' in outcome) {
      e.ref = outcome.ref;
      found.push(e);
    } else unresolved(e, outcome?.unresolved ?? `not found on ${provider.id}`);
  }
  const states = await provider.targetState(found.map((e) => e.ref));
  for (const e of found) {
    const state = states.get(e.ref.id);
    if (state) decide(e, state, provider);
    else unresolved(e, `item ${e.ref.id} no longer exists on ${provider.id}`);
  }
}

function unresolved(e: Entry, why: string): void {
  e.decision = { ...e.decision, action: 'skip', reason: 'unresolved', detail: { ...e.decision.detail, unresolved: why } };
}

function decide(e: Entry, state: TargetState, provider: Provider): void {
  e.state = state;
  const base = { ...e.decision, target: snapshot(state) };
  if (state.playingNow) {
    e.decision = { ...base, action: 'skip', reason: 'changed_since', detail: { ...base.detail, playingNow: true } };
    return;
  }
  if (!stillHolds(state, e.row.value)) {
    e.decision = { ...base, action: 'skip', reason: 'changed_since' };
    return;
  }
  const previous = e.row.previous;
  // The run un-watched a watched item (replay), or an undo marked one watched: put that back too.
  const markWatched = previous.watched === true && !state.watched && provider.markWatched !== undefined;
  const unwatchFirst = previous.watched === false && state.watched;
  const flags = { ...(markWatched ? { markWatched: true } : {}), ...(unwatchFirst ? { unwatchFirst: true } : {}) };
  if (hasPosition(previous)) {
    e.restore = { kind: 'write', value: restoreValue(previous, state), markWatched, unwatchFirst };
    e.decision = { ...base, action: 'write', reason: 'restore', detail: { ...base.detail, ...flags } };
  } else if (provider.capabilities.clear && provider.clear) {
    e.restore = { kind: 'clear', value: { progressMs: 0 }, markWatched, unwatchFirst: false };
    e.decision = { ...base, action: 'clear', reason: 'restore', detail: { ...base.detail, clear: true, ...(markWatched ? { markWatched: true } : {}) } };
  } else {
    e.decision = { ...base, action: 'skip', reason: 'restore', detail: { ...base.detail, blocked: `there was no position before, and ${provider.id} cannot clear one` } };
  }
}

/** Journal intent → change → confirm by one batched re-read, as sync does. One failure never stops the rest. */
async function apply(provider: Provider, entries: Entry[], ctx: { store: Store; runId: number; now: () => number }): Promise<void> {
  const { store, now } = ctx;
  const limit = pLimit(provider.capabilities.maxConcurrentWrites);
  await Promise.all(
    entries.map((e) =>
      limit(async () => {
        const r = e.restore;
        if (!r || !e.state) return;
        const journalId = store.journalIntent({ runId: ctx.runId, ref: e.ref, key: e.row.key, previous: snapshot(e.state), value: r.value, at: now() });
        try {
          if (r.kind === 'clear') {
            await provider.clear?.(e.ref);
            if (r.markWatched) await provider.markWatched?.(e.ref);
          } else {
            // Marking an item watched resets its position (Plex and Jellyfin alike), so it goes first.
            if (r.markWatched) await provider.markWatched?.(e.ref);
            await provider.write(e.ref, r.value, { unwatchFirst: r.unwatchFirst });
          }
          e.journalId = journalId;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          store.journalOutcome(journalId, { status: 'failed', error: message, at: now() });
          e.decision = { ...e.decision, reason: 'failed', detail: { ...e.decision.detail, error: message } };
        }
      }),
    ),
  );

  const changed = entries.filter((e) => e.journalId !== undefined);
  if (changed.length === 0) return;
  let after: Map<string, TargetState>;
  try {
    after = await provider.targetState(changed.map((e) => e.ref), { playing: false });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const e of changed) store.journalOutcome(e.journalId as number, { status: 'unconfirmed', error: `could not re-read: ${message}`, at: now() });
    return;
  }
  for (const e of changed) {
    const state = after.get(e.ref.id);
    const r = e.restore as Restore;
    if (state && restored(state, r)) {
      store.journalOutcome(e.journalId as number, { status: 'confirmed', at: now() });
      e.decision = { ...e.decision, detail: { ...e.decision.detail, confirmed: true } };
    } else {
      const held = state ? `${state.progressMs ?? (state.progressPct !== undefined ? `${state.progressPct}%` : 'no position')}${state.watched ? ', watched' : ''}` : 'item missing';
      const error = `not confirmed: after the restore the server reports ${held}`;
      store.journalOutcome(e.journalId as number, { status: 'unconfirmed', error, at: now() });
      e.decision = { ...e.decision, reason: 'failed', detail: { ...e.decision.detail, error } };
    }
  }
}

/**
 * Whether the target still holds what the run wrote, so putting back the old value loses nothing.
 * A position we wrote is always left unwatched: watched now means someone finished it since.
 */
export function stillHolds(state: TargetState, wrote: ProgressValue): boolean {
  // A cleared value (an undo that removed a position) is held while the target has none.
  if (!hasPosition(wrote)) return !hasPosition(state);
  if (state.watched) return false;
  return materiallyEqual(wrote, state);
}

function restored(state: TargetState, r: Restore): boolean {
  const position = r.kind === 'clear' ? !hasPosition(state) : holdsValue(state, r.value);
  const watched = r.markWatched ? state.watched : r.unwatchFirst ? !state.watched : true;
  return position && watched;
}

function hasPosition(p: PositionSnapshot): boolean {
  return (p.progressMs ?? 0) > 0 || (p.progressPct ?? 0) > 0;
}

/** The replaced position as a value to write: ms and, when a duration is known, percent (for Trakt). */
export function restoreValue(previous: PositionSnapshot, state: TargetState): ProgressValue {
  const durationMs = previous.durationMs ?? state.durationMs;
  const progressMs = previous.progressMs ?? (previous.progressPct !== undefined && durationMs ? Math.round((previous.progressPct / 100) * durationMs) : 0);
  const progressPct = previous.progressPct ?? (durationMs ? Math.round(((progressMs * 100) / durationMs) * 1000) / 1000 : undefined);
  return {
    progressMs,
    ...(progressPct !== undefined ? { progressPct } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    // The old time, so servers that keep it (Jellyfin, Emby) order Continue Watching as before.
    ...(previous.progressAt !== undefined ? { progressAt: previous.progressAt } : {}),
  };
}

function snapshot(s: TargetState): PositionSnapshot {
  const out: PositionSnapshot = { watched: s.watched };
  if (s.progressMs !== undefined) out.progressMs = s.progressMs;
  if (s.progressPct !== undefined) out.progressPct = s.progressPct;
  if (s.durationMs !== undefined) out.durationMs = s.durationMs;
  if (s.progressAt !== undefined) out.progressAt = s.progressAt;
  if (s.playCount > 0) out.playCount = s.playCount;
  return out;
}

function skipWhy(row: JournalRow): string {
  const error = row.error ? ` (${row.error})` : '';
  switch (row.status) {
    case 'failed':
      return `the write failed${error}: nothing changed to undo`;
    case 'unconfirmed':
      return `the write was never confirmed${error}: we do not know what it changed, so it is not undone`;
    default:
      return 'the run stopped before the write finished: we do not know that it changed anything';
  }
}
