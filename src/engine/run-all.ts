// Runs the configured pairs. Providers are built once per invocation and shared by the pairs
// that use them, so an index built for one pair serves the next; so is each source's read, so
// pairs sharing a source (server, user, libraries: one configured provider) read it once.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { Provider } from '../providers/provider.ts';
import { createProvider, type ProviderFactoryOptions } from '../providers/registry.ts';
import { dryRunState } from '../store/dry-run.ts';
import type { Store } from '../store/store.ts';
import type { ProgressRecord } from '../core/model.ts';
import { runPair, type RunPairOptions, type ScopedItem } from './run-pair.ts';
import type { RunEvent, RunResult } from './run.ts';
import { type FinishedReader, listFinishedSince } from './finish.ts';
import { readRecords, type SourceReader } from './steps.ts';
import { runTwoWay } from './two-way.ts';

export interface RunAllOptions {
  config: Config;
  store: Store;
  log: Logger;
  now?: () => number;
  dryRun: boolean;
  /** Only this pair (by name). */
  pair?: string;
  providerOptions?: ProviderFactoryOptions;
  onEvent?: (pair: string, event: RunEvent) => void;
  /** SIGINT/SIGTERM: the pair in progress stops writing and closes as interrupted; later pairs do not start. */
  signal?: AbortSignal;
  /** What started these runs when not the command line (`schedule`, `api`): kept on each run's row. */
  trigger?: string;
  /**
   * An item-scoped run (with `pair`): only these items, by native id on the provider that
   * reported them. A one-way pair reads those of its source (RunPairOptions.items); a two-way
   * pair those of either side, with each one's copy on the other side (TwoWayOptions.items).
   */
  items?: ScopedItem[];
}

export type PairOutcome = { ok: true; result: RunResult } | { ok: false; pair: string; error: Error };

export class UnknownPairError extends Error {}

/** Created on the first real run and kept; a dry run uses a throwaway one rather than write. */
export function installationIdOf(store: Store, dryRun: boolean): string {
  const existing = store.getKv('installation_id');
  if (existing) return existing;
  const id = randomUUID();
  if (!dryRun) store.setKv('installation_id', id);
  return id;
}

export async function runAll(opts: RunAllOptions): Promise<PairOutcome[]> {
  const now = opts.now ?? Date.now;
  const pairs = opts.pair ? opts.config.pairs.filter((p) => p.name === opts.pair) : opts.config.pairs;
  if (opts.pair && pairs.length === 0) {
    throw new UnknownPairError(`no pair named "${opts.pair}"; configured pairs: ${opts.config.pairs.map((p) => p.name).join(', ') || 'none'}`);
  }
  const installationId = installationIdOf(opts.store, opts.dryRun);
  const providers = new Map<string, Provider>();
  const providerFor = (id: string): Provider => {
    let provider = providers.get(id);
    if (!provider) {
      const config = opts.config.providers[id];
      if (!config) throw new UnknownPairError(`provider "${id}" is not configured`);
      const state = opts.store.providerState(id);
      provider = createProvider(
        id,
        config,
        { state: opts.dryRun ? dryRunState(state) : state, installationId, log: opts.log, now, dryRun: opts.dryRun },
        opts.providerOptions,
      );
      providers.set(id, provider);
    }
    return provider;
  };

  // One read per source and invocation. A provider written to by a pair is read afresh by later
  // pairs (its list changed); a failed read is not kept, so the next pair tries again.
  const reads = new Map<string, Promise<ProgressRecord[]>>();
  const read: SourceReader = (source, onEvent) => {
    let records = reads.get(source.id);
    if (!records) {
      records = readRecords(source, onEvent);
      reads.set(source.id, records);
      records.catch(() => reads.delete(source.id));
    }
    return records;
  };

  // Finished items likewise: one listing per source, from the earliest time any of its pairs asks
  // (each pair keeps the records from its own cursor on); a later pair asking from further back
  // reads again. Dropped, like reads, when a pair wrote to that provider.
  const finishedReads = new Map<string, { since: number; records: Promise<ProgressRecord[]> }>();
  const readFinished: FinishedReader = async (source, since) => {
    let known = finishedReads.get(source.id);
    if (!known || known.since > since) {
      known = { since, records: listFinishedSince(source, since) };
      finishedReads.set(source.id, known);
      known.records.catch(() => finishedReads.delete(source.id));
    }
    const records = await known.records;
    return known.since === since ? records : records.filter((r) => r.watchedAt !== undefined && r.watchedAt >= since);
  };

  const outcomes: PairOutcome[] = [];
  try {
    for (const pair of pairs) {
      if (opts.signal?.aborted) break;
      const progress = pair.features.progress;
      if (!progress.enable || (!progress.add && !progress.remove)) {
        opts.log.info({ pair: pair.name }, 'pair skipped: progress is off, or neither add nor remove is on');
        continue;
      }
      try {
        const common: Omit<RunPairOptions, 'items'> = {
          pair,
          source: providerFor(pair.source),
          target: providerFor(pair.target),
          store: opts.store,
          log: opts.log,
          now,
          dryRun: opts.dryRun,
          read,
          readFinished,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.trigger ? { trigger: opts.trigger } : {}),
          ...(opts.onEvent ? { onEvent: (e: RunEvent) => opts.onEvent?.(pair.name, e) } : {}),
        };
        const scope = opts.items;
        const result =
          pair.mode === 'two-way'
            ? await runTwoWay({ ...common, ...(scope ? { items: scope } : {}) })
            : await runPair({ ...common, ...(scope ? { items: scope.filter((i) => i.provider === pair.source).map((i) => i.nativeId) } : {}) });
        outcomes.push({ ok: true, result });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        // The caller reports the error itself; the log keeps it for daemons and --verbose.
        opts.log.debug({ pair: pair.name, err: error.message }, 'pair run failed');
        outcomes.push({ ok: false, pair: pair.name, error });
      } finally {
        if (!opts.dryRun)
          for (const written of pair.mode === 'two-way' ? [pair.source, pair.target] : [pair.target]) {
            reads.delete(written);
            finishedReads.delete(written);
          }
      }
    }
  } finally {
    await Promise.all([...providers.values()].map((p) => p.close()));
  }
  return outcomes;
}
