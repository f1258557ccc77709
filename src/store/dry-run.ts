// A provider's state as seen during a dry run: reads see what is stored, writes stay in memory.
// Dry-run must leave the database exactly as it found it.
import { applyIndexUpdate, type IndexCacheSnapshot, type ProviderState } from '../core/state.ts';

export function dryRunState(base: ProviderState): ProviderState {
  const values = new Map<string, string>();
  const indexes = new Map<string, IndexCacheSnapshot>();
  const loadIndex = (server: string): IndexCacheSnapshot | undefined => indexes.get(server) ?? base.loadIndex(server);
  return {
    get: (name) => values.get(name) ?? base.get(name),
    set: (name, value) => void values.set(name, value),
    loadIndex,
    // One entry per token, as the store keeps them.
    replaceIndex: (server, snapshot) => void indexes.set(server, { ...snapshot, entries: applyIndexUpdate([], { ...snapshot, removedTokens: [] }) }),
    upsertIndex: (server, update) => {
      const { scope, refreshedAt } = update;
      indexes.set(server, { scope, refreshedAt, entries: applyIndexUpdate(loadIndex(server)?.entries ?? [], update) });
    },
  };
}
