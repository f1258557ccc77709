// What a provider keeps between runs, as the store holds it: a small key-value space and the
// external-id index cache. Types (and one pure helper): the store implements them, providers use
// them, and neither needs the other's module for it.

/** One entry of a provider's external-id index (cached in the store between runs). */
export interface IndexEntry {
  /** `movie`, `show` or `episode`. */
  kind: string;
  /** e.g. `movie:imdb:tt0111161`, or `coord:<showId>#s01e02` for episode coordinates. Unique per server. */
  token: string;
  /** Native id the token points at. */
  id: string;
}

/** What the index of one server was last built over, and when. */
export interface IndexCacheMeta {
  /** Server time (epoch s) of the last full or incremental scan. */
  refreshedAt: number;
  /** What the index was built over (e.g. library ids); a change forces a rebuild. */
  scope: string;
}

export interface IndexCacheSnapshot extends IndexCacheMeta {
  entries: IndexEntry[];
}

/** An incremental refresh: tokens that no longer hold go, the entries it saw are set. */
export interface IndexCacheUpdate extends IndexCacheMeta {
  entries: IndexEntry[];
  /** Tokens to drop (e.g. an id a changed item no longer has). */
  removedTokens: string[];
}

/** Persistence a provider may use: a small key-value space and an external-id index cache. */
export interface ProviderState {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** The whole stored index (for inspection and tests: a run reads it row by row). */
  loadIndex(server: string): IndexCacheSnapshot | undefined;
  /** What the stored index was built over, and when; undefined when there is none (or a full scan did not finish). */
  indexMeta(server: string): IndexCacheMeta | undefined;
  /** A full scan starts: whatever an earlier scan cut short left staged goes. */
  beginIndexScan(server: string): void;
  /** One page of a full scan, kept aside (not yet the index) until commitIndexScan. */
  stageIndexEntries(server: string, entries: readonly IndexEntry[]): void;
  /** The full scan finished: its staged entries become the index (a later entry for a token wins), as of `meta`. */
  commitIndexScan(server: string, meta: IndexCacheMeta): void;
  /**
   * One page of an incremental refresh: a later entry for a token wins, and each item the page
   * names is described whole by its entries here, so its other stored tokens go.
   */
  refreshIndexEntries(server: string, entries: readonly IndexEntry[]): void;
  /** A refresh finished: the index is current as of `meta`. */
  setIndexMeta(server: string, meta: IndexCacheMeta): void;
  /** The stored rows whose token is `token` or starts with `prefix` (how the id index finds a token's items). */
  indexRows(server: string, token: string, prefix: string): IndexEntry[];
  /** Stored rows. */
  indexRowCount(server: string): number;
  /** After a full scan: the index becomes exactly `snapshot`. */
  replaceIndex(server: string, snapshot: IndexCacheSnapshot): void;
  /** After an incremental scan: drops `removedTokens`, sets `entries` and the meta; the rest stays as stored. */
  upsertIndex(server: string, update: IndexCacheUpdate): void;
}

/** The entries an index holds after `update`: what the store does in SQL, for in-memory copies. */
export function applyIndexUpdate(entries: readonly IndexEntry[], update: IndexCacheUpdate): IndexEntry[] {
  const removed = new Set(update.removedTokens);
  const byToken = new Map<string, IndexEntry>();
  for (const e of entries) if (!removed.has(e.token)) byToken.set(e.token, e);
  for (const e of update.entries) byToken.set(e.token, e);
  return [...byToken.values()];
}
