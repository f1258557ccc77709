// A provider's state as seen during a dry run: reads see what is stored, writes stay in memory.
// Dry-run must leave the database exactly as it found it.
import type { IndexCacheSnapshot, ProviderState } from '../providers/provider.ts';

export function dryRunState(base: ProviderState): ProviderState {
  const values = new Map<string, string>();
  const indexes = new Map<string, IndexCacheSnapshot>();
  return {
    get: (name) => values.get(name) ?? base.get(name),
    set: (name, value) => void values.set(name, value),
    loadIndex: (server) => indexes.get(server) ?? base.loadIndex(server),
    saveIndex: (server, snapshot, mode) => {
      const previous = mode === 'merge' ? (indexes.get(server) ?? base.loadIndex(server)) : undefined;
      const merged = new Map((previous?.entries ?? []).map((e) => [`${e.kind}|${e.token}`, e]));
      for (const e of snapshot.entries) merged.set(`${e.kind}|${e.token}`, e);
      indexes.set(server, { ...snapshot, entries: [...merged.values()] });
    },
  };
}
