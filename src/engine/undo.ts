// Undo: puts back what one run wrote, from its journal. Confirmed writes are undone, and writes
// whose outcome is unknown are checked the same way; in both cases only where the target still
// holds what we wrote: a target that changed since (someone played), or that never got an unknown
// write, is never overwritten. Failed writes (proved not applied) have nothing to undo. An undo is
// itself a run, with decisions and a journal, so it can be undone.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { displayTitle } from '../core/decide.ts';
import type { JournalValue, NativeRef, TargetState } from '../core/model.ts';
import { decided, type PlannedWrite, type TypedDecision } from '../core/pipeline.ts';
import { hasPosition, materiallyEqual, positionOf, restoreValue } from '../core/position.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import { createProvider, type ProviderFactoryOptions } from '../providers/registry.ts';
import { dryRunState } from '../store/dry-run.ts';
import type { JournalRow, Store } from '../store/store.ts';
import { installationIdOf } from './run-all.ts';
import { applyWrites } from './apply.ts';
import { rereadJournalled } from './reread.ts';
import { confirmedRead } from './steps.ts';
import { withRun, type RunStatus } from './run.ts';

export interface UndoOptions {
  config: Config;
  store: Store;
  log: Logger;
  /** The run to undo (any run with a journal, an undo included). */
  runId: number;
  dryRun: boolean;
  now?: () => number;
  providerOptions?: ProviderFactoryOptions;
  /** SIGINT/SIGTERM: restores in flight finish, no more start, the undo closes as interrupted. */
  signal?: AbortSignal;
  /** What asked for the undo when not the command line (`api`): kept on its run's row. */
  trigger?: string;
}

/** A journal row undo leaves alone without asking the target: as far as we know it changed nothing. */
interface UndoSkippedRow {
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
  /** Restores sent again after a reply that went wrong (see engine/apply.ts). */
  resent: number;
  decisions: TypedDecision[];
  skipped: UndoSkippedRow[];
  startedAt: number;
  finishedAt: number;
}

/** A run id or config undo cannot work with (the CLI exits 2). */
export class UndoUsageError extends Error {}

interface Entry {
  row: JournalRow;
  ref: NativeRef;
  decision: TypedDecision;
  /** The restore to apply, once planned. */
  write?: PlannedWrite;
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

  // Confirmed writes changed the target, unknown ones may have: both are re-read and put back
  // where the target holds what the run wrote. The rest are listed, not undone.
  const mayHaveChanged = (j: JournalRow) => j.status === 'confirmed' || j.status === 'unknown';
  const skipped = journal
    .filter((j) => !mayHaveChanged(j))
    .map((j) => ({ journalId: j.id, key: j.key, title: titleOf(j.key), status: j.status, why: skipWhy(j) }));
  const entries: Entry[] = journal.filter(mayHaveChanged).map((row) => ({
    row,
    ref: { provider: row.provider, server: row.server, id: row.ref },
    decision: decided(
      { key: row.key, title: titleOf(row.key), type: recorded.get(row.key)?.type ?? store.item(row.key)?.type ?? 'movie', source: row.previous },
      'skip',
      'unresolved',
      {
        journalId: row.id,
        ref: row.ref,
        wrote: row.value,
      },
    ),
  }));
  for (const provider of new Set(entries.map((e) => e.ref.provider))) {
    if (!opts.config.providers[provider]) throw new UndoUsageError(`run #${run.id} wrote to provider "${provider}", which is no longer configured`);
  }

  const pair = `undo:${run.pair}`;
  const installationId = installationIdOf(store, dryRun);
  const providers: Provider[] = [];
  try {
    // The source of an undo is the run it undoes. Dry-run leaves no trace anywhere, as for sync.
    const result = await withRun(
      store,
      { pair, source: `run:${run.id}`, target: run.target, dryRun, signal: opts.signal, trigger: opts.trigger },
      now,
      async (undoId) => {
        // What each restore's confirming re-read showed, per provider: the dashboard's last read there.
        const restored = new Map<string, { key: string; state: TargetState }[]>();
        const byProvider = new Map<string, Entry[]>();
        for (const e of entries) byProvider.set(e.ref.provider, [...(byProvider.get(e.ref.provider) ?? []), e]);
        for (const [id, group] of byProvider) {
          const state = store.providerState(id);
          const config = opts.config.providers[id];
          if (!config) continue; // checked above
          const provider = createProvider(id, config, { state: dryRun ? dryRunState(state) : state, installationId, log, now, dryRun }, opts.providerOptions);
          providers.push(provider);
          await plan(provider, group, store, run.startedAt);
          // Restores go through the same applier as sync: its order, its concurrency, its journal.
          const writes = group.flatMap((e) => (e.write ? [e.write] : []));
          if (undoId !== undefined && writes.length > 0) {
            const reads: { key: string; state: TargetState }[] = [];
            restored.set(id, reads);
            const onConfirmed = (write: PlannedWrite, state: TargetState) => reads.push({ key: write.key, state: confirmedRead(write, state) });
            const outcomes = await applyWrites(provider, writes, { store, runId: undoId, now, signal: opts.signal, onConfirmed });
            for (const e of group) e.decision = outcomes.get(e.row.key) ?? e.decision;
          }
        }
        return {
          decisions: entries.map((e) => e.decision),
          record: (runId) => {
            for (const [id, reads] of restored) store.recordTargetReads(runId, id, reads);
          },
        };
      },
    );
    log.info({ of: run.id, dryRun, counts: result.counts, skipped: skipped.length }, 'undo finished');
    return {
      ...(result.runId !== undefined ? { runId: result.runId } : {}),
      of: run.id,
      pair,
      dryRun,
      status: result.status,
      counts: result.counts,
      resent: result.resent,
      decisions: result.decisions,
      skipped,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
    };
  } finally {
    await Promise.all(providers.map((p) => p.close()));
  }
}

/** Finds the items again, reads their live state in one batch, and decides per item. */
async function plan(provider: Provider, group: Entry[], store: Store, runStartedAt: number): Promise<void> {
  const { serverId } = await provider.connect();
  // As in sync: a target that cannot take writes fails up front, in the plan as in the undo.
  if (provider.capabilities.writeBlockedReason) throw new ProviderError('config', provider.id, provider.capabilities.writeBlockedReason);
  const reread = await rereadJournalled(
    provider,
    serverId,
    group.map((e) => e.row),
    store,
  );
  for (const e of group) {
    const found = reread.get(e.row.id);
    if (found && 'state' in found) {
      e.ref = found.ref;
      decide(e, found.state, provider, runStartedAt);
    } else unresolved(e, found?.unresolved ?? `not found on ${provider.id}`);
  }
}

function unresolved(e: Entry, why: string): void {
  e.decision = decided(e.decision, 'skip', 'unresolved', { ...e.decision.detail, unresolved: why });
}

/** `runStartedAt`: when the undone run started (a server logging plays, Trakt, removes those since). */
function decide(e: Entry, state: TargetState, provider: Provider, runStartedAt: number): void {
  const base = { ...e.decision, target: positionOf(state) };
  const facts = { journalId: e.row.id, ref: e.row.ref, wrote: e.row.value };
  if (state.playingNow) {
    e.decision = decided(base, 'skip', 'changed_since', { ...facts, playingNow: true });
    return;
  }
  if (!stillHolds(state, e.row.value, provider.capabilities)) {
    // An unknown write the target does not show most likely never landed: said so, left alone.
    e.decision = decided(base, 'skip', 'changed_since', { ...facts, ...(e.row.status === 'unknown' ? { unknown: true as const } : {}) });
    return;
  }
  const previous = e.row.previous;
  // A finish marked the item watched: un-watch it (markUnwatched), then put the position back.
  const finished = e.row.value.watched === true && previous.watched !== true;
  if (finished && !provider.markUnwatched) {
    e.decision = decided(base, 'skip', 'restore', { ...facts, blocked: `${provider.id} cannot mark items unwatched` });
    return;
  }
  const unwatchSince = finished ? { unwatchSince: runStartedAt } : {};
  // The run un-watched a watched item (replay), or an undo marked one watched: put that back too.
  const markWatched = previous.watched === true && !state.watched && provider.markWatched !== undefined;
  const unwatchFirst = !finished && previous.watched === false && state.watched;
  const flags = {
    ...(markWatched ? { markWatched: true as const } : {}),
    ...(unwatchFirst ? { unwatchFirst: true as const } : {}),
    ...(finished ? { markUnwatched: true as const } : {}),
  };
  const runtime = state.durationMs ?? previous.durationMs;
  const write = (decision: TypedDecision, change: PlannedWrite['change']): PlannedWrite => ({
    key: e.row.key,
    ref: e.ref,
    change,
    previous: base.target,
    // The item's runtime on the target (the journalled one when the server gives none now).
    ...(runtime !== undefined ? { targetDurationMs: runtime } : {}),
    // Oldest first, as sync: by the time of the value put back.
    orderAt: previous.progressAt ?? 0,
    ...(markWatched ? { expectWatched: true } : finished || (unwatchFirst && change.kind === 'write') ? { expectWatched: false } : {}),
    decision,
  });
  if (hasPosition(previous)) {
    e.decision = decided(base, 'write', 'restore', { ...facts, ...flags });
    e.write = write(e.decision, {
      kind: 'write',
      value: restoreValue(previous, state),
      unwatchFirst,
      ...(markWatched ? { markWatched } : {}),
      ...unwatchSince,
    });
  } else if (provider.capabilities.clear && provider.clear) {
    e.decision = decided(base, 'clear', 'restore', {
      ...facts,
      clear: true,
      ...(markWatched ? { markWatched: true } : {}),
      ...(finished ? { markUnwatched: true } : {}),
    });
    e.write = write(e.decision, { kind: 'clear', ...(markWatched ? { markWatched } : {}), ...unwatchSince });
  } else {
    e.decision = decided(base, 'skip', 'restore', { ...facts, blocked: `there was no position before, and ${provider.id} cannot clear one` });
  }
}

/**
 * Whether the target still holds what the run wrote, so putting back the old value loses nothing.
 * A position we wrote is always left unwatched: watched now means someone finished it since.
 */
function stillHolds(state: TargetState, wrote: JournalValue, target: { logsPlays: boolean }): boolean {
  // A cleared value (an undo that removed a position) is held while the target has none; a
  // finish that marked the item watched, while it is watched with none (a target that logs plays,
  // Trakt, never reads watched: there, while it has none).
  if (!hasPosition(wrote)) return !hasPosition(state) && (wrote.watched !== true || target.logsPlays || state.watched);
  if (state.watched) return false;
  return materiallyEqual(wrote, state);
}

function skipWhy(row: JournalRow): string {
  const error = row.error ? ` (${row.error})` : '';
  switch (row.status) {
    case 'failed':
      return `the write failed${error}: nothing changed to undo`;
    default:
      return 'the run stopped before the write finished: we do not know that it changed anything';
  }
}
