// A provider's state as seen during a dry run: reads see what is stored, writes stay in memory.
// Dry-run must leave the database exactly as it found it.
import { applyIndexUpdate, type IndexCacheMeta, type IndexCacheSnapshot, type IndexEntry, type ProviderState } from '../core/state.ts';

/**
 * A server's index once a dry run changed it: the whole index in memory (stored rows, then the
 * changes), since none of it may reach the database. Until then reads go to the store.
 */
interface Overlay {
  meta: IndexCacheMeta | undefined;
  /** Stored token → row. */
  rows: Map<string, IndexEntry>;
  /** The rows grouped by token up to its last `|` (the whole token when it has none), built on the first lookup after a change. */
  groups?: Map<string, IndexEntry[]>;
}

/** How the id index stores a token (`token|id`): rows by the part a lookup's prefix names. */
function groupKey(token: string): string {
  const bar = token.lastIndexOf('|');
  return bar < 0 ? token : token.slice(0, bar + 1);
}

function grouped(o: Overlay): Map<string, IndexEntry[]> {
  if (o.groups) return o.groups;
  const groups = new Map<string, IndexEntry[]>();
  for (const row of o.rows.values()) {
    const key = groupKey(row.token);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  o.groups = groups;
  return groups;
}

export function dryRunState(base: ProviderState): ProviderState {
  const values = new Map<string, string>();
  const overlays = new Map<string, Overlay>();
  /** A full scan's pages until it finishes (then they are the server's overlay). */
  const staging = new Map<string, Map<string, IndexEntry>>();
  const overlay = (server: string): Overlay => {
    let o = overlays.get(server);
    if (!o) {
      const stored = base.loadIndex(server);
      o = { meta: stored ? { scope: stored.scope, refreshedAt: stored.refreshedAt } : undefined, rows: new Map(stored?.entries.map((e) => [e.token, e])) };
      overlays.set(server, o);
    }
    return o;
  };
  const snapshot = (o: Overlay): IndexCacheSnapshot | undefined => (o.meta ? { ...o.meta, entries: [...o.rows.values()] } : undefined);
  const loadIndex = (server: string): IndexCacheSnapshot | undefined => {
    const o = overlays.get(server);
    return o ? snapshot(o) : base.loadIndex(server);
  };
  return {
    get: (name) => values.get(name) ?? base.get(name),
    set: (name, value) => void values.set(name, value),
    loadIndex,
    indexMeta: (server) => {
      const o = overlays.get(server);
      return o ? o.meta : base.indexMeta(server);
    },
    beginIndexScan: (server) => void staging.set(server, new Map()),
    stageIndexEntries: (server, entries) => {
      const staged = staging.get(server) ?? new Map<string, IndexEntry>();
      for (const e of entries) staged.set(e.token, e);
      staging.set(server, staged);
    },
    commitIndexScan: (server, meta) => {
      overlays.set(server, { meta: { scope: meta.scope, refreshedAt: meta.refreshedAt }, rows: staging.get(server) ?? new Map() });
      staging.delete(server);
    },
    refreshIndexEntries: (server, entries) => {
      const o = overlay(server);
      delete o.groups;
      const current = new Set(entries.map((e) => e.token));
      const ids = new Set(entries.map((e) => e.id));
      for (const [token, row] of o.rows) if (ids.has(row.id) && !current.has(token)) o.rows.delete(token);
      for (const e of entries) o.rows.set(e.token, e);
    },
    setIndexMeta: (server, meta) => {
      overlay(server).meta = { scope: meta.scope, refreshedAt: meta.refreshedAt };
    },
    indexRows: (server, token, prefix) => {
      const o = overlays.get(server);
      if (!o) return base.indexRows(server, token, prefix);
      const groups = grouped(o);
      const exact = (groups.get(groupKey(token)) ?? []).filter((e) => e.token === token);
      const prefixed = groupKey(prefix) === prefix ? (groups.get(prefix) ?? []) : [...o.rows.values()].filter((e) => e.token.startsWith(prefix));
      return [...exact, ...prefixed.filter((e) => e.token.startsWith(prefix)).sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0))];
    },
    indexRowCount: (server) => overlays.get(server)?.rows.size ?? base.indexRowCount(server),
    // One entry per token, as the store keeps them.
    replaceIndex: (server, s) =>
      void overlays.set(server, {
        meta: { scope: s.scope, refreshedAt: s.refreshedAt },
        rows: new Map(applyIndexUpdate([], { ...s, removedTokens: [] }).map((e) => [e.token, e])),
      }),
    upsertIndex: (server, update) => {
      const o = overlay(server);
      delete o.groups;
      o.meta = { scope: update.scope, refreshedAt: update.refreshedAt };
      o.rows = new Map(applyIndexUpdate([...o.rows.values()], update).map((e) => [e.token, e]));
    },
  };
}
