// Crash recovery, run by a writing command right after it takes the writer lock: a run still
// `running` was left by a process that died (a live one would hold the lock), so it is closed as
// `interrupted`, and every write still at `intent` is settled by reading the target again: our
// value there → confirmed (undo can put it back), not there → failed (nothing to undo), cannot
// read → unknown (undo checks it again before touching it).
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { holdsJournalled } from '../core/position.ts';
import type { Provider } from '../providers/provider.ts';
import { createProvider, type ProviderFactoryOptions } from '../providers/registry.ts';
import type { JournalRow, Store } from '../store/store.ts';
import { rereadJournalled } from './reread.ts';
import { installationIdOf } from './run-all.ts';

export interface RecoverOptions {
  config: Config;
  store: Store;
  log: Logger;
  now?: () => number;
  /** Who held the lock before, when it was taken over from a dead process (for the run's error). */
  previousHolder?: { pid: number; host: string };
  providerOptions?: ProviderFactoryOptions;
}

export interface Recovery {
  /** Runs closed as interrupted. */
  interrupted: number[];
  /** Journal rows settled, by the status they got. */
  settled: { confirmed: number; failed: number; unknown: number };
}

export async function recoverInterrupted(opts: RecoverOptions): Promise<Recovery> {
  const { store, log } = opts;
  const now = opts.now ?? Date.now;
  const who = opts.previousHolder ? ` (pid ${opts.previousHolder.pid} on ${opts.previousHolder.host})` : '';
  const interrupted = store.interruptRunningRuns(now(), `interrupted: the process running it stopped${who} before it finished`);
  const settled = { confirmed: 0, failed: 0, unknown: 0 };
  const intents = store.journalIntents();
  if (intents.length === 0) {
    if (interrupted.length > 0) log.warn({ runs: interrupted }, 'closed runs left unfinished as interrupted');
    return { interrupted, settled };
  }

  const byProvider = new Map<string, JournalRow[]>();
  for (const row of intents) {
    const rows = byProvider.get(row.provider);
    if (rows) rows.push(row);
    else byProvider.set(row.provider, [row]);
  }
  const settle = (row: JournalRow, status: keyof typeof settled, error?: string) => {
    store.journalOutcome(row.id, { status, ...(error !== undefined ? { error } : {}), at: now() });
    settled[status]++;
  };
  const installationId = installationIdOf(store, false);
  for (const [id, rows] of byProvider) {
    const config = opts.config.providers[id];
    if (!config) {
      for (const row of rows) settle(row, 'unknown', `interrupted; provider "${id}" is no longer configured, so the write could not be checked`);
      continue;
    }
    let provider: Provider | undefined;
    try {
      provider = createProvider(id, config, { state: store.providerState(id), installationId, log, now, dryRun: false }, opts.providerOptions);
      const { serverId } = await provider.connect();
      const reread = await rereadJournalled(provider, serverId, rows, store);
      for (const row of rows) {
        const found = reread.get(row.id);
        if (found && 'state' in found) {
          if (holdsJournalled(found.state, row.value, provider.capabilities)) settle(row, 'confirmed');
          else settle(row, 'failed', 'interrupted before the write landed: the target does not hold it');
        } else settle(row, 'unknown', `interrupted; the write could not be checked: ${found?.unresolved ?? 'not found'}`);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const row of rows) settle(row, 'unknown', `interrupted; the write could not be checked: ${message}`);
    } finally {
      await provider?.close();
    }
  }
  log.warn({ runs: interrupted, ...settled }, 'recovered writes of interrupted runs');
  return { interrupted, settled };
}
