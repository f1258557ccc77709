// The external-id index a media server provider keeps when the server cannot be searched by
// imdb/tmdb/tvdb id (Plex, Jellyfin): external id → native id, built from one paged scan, cached
// in the store and refreshed with "changed since the last scan" instead of a full rescan.
import type { Logger } from 'pino';
import type { ExternalIds, ItemIdentity, NativeRef } from '../core/model.ts';
import { ID_KINDS } from '../core/model.ts';
import type { IndexEntry, ProviderState } from '../core/state.ts';
import type { ResolveOptions, ResolveOutcome, ResolveRequest } from './provider.ts';

/** A full rescan now and then drops items deleted from the server. */
const INDEX_FULL_REBUILD_MS = 7 * 24 * 3600 * 1000;
/** Re-read a little before the last scan so items changed during it are not missed. */
const REFRESH_OVERLAP_S = 120;

const idTokens = (prefix: 'movie' | 'show' | 'episode', ids: ExternalIds): string[] =>
  ID_KINDS.flatMap((kind) => (ids[kind] ? [`${prefix}:${kind}:${ids[kind]}`] : []));

/** An episode by its show's native id and its numbers. */
const coordToken = (showId: string, season: number, episode: number): string =>
  `coord:${showId}#s${String(season).padStart(2, '0')}e${String(episode).padStart(2, '0')}`;

/** Index entries for one item, whatever server it comes from. */
export function entriesFor(item: {
  id: string;
  type: 'movie' | 'show' | 'episode';
  ids: ExternalIds;
  showId?: string;
  season?: number;
  episode?: number;
}): IndexEntry[] {
  const out = idTokens(item.type, item.ids).map((token) => ({ kind: item.type, token, id: item.id }));
  if (item.type === 'episode' && item.showId !== undefined && item.season !== undefined && item.episode !== undefined) {
    out.push({ kind: 'episode', token: coordToken(item.showId, item.season, item.episode), id: item.id });
  }
  return out;
}

export interface IndexScan {
  /** The server's clock at the scan (epoch s), so the next refresh asks from there. */
  serverTime: number | undefined;
}

export interface IndexSource {
  /** What the index covers (e.g. library ids); a change forces a full rebuild. */
  scope: string;
  /**
   * Scans everything, or only items changed since `sinceEpochS`, handing each page's entries to
   * `onPage` as it arrives (a page describes each of its items whole), so a library's index is
   * never held in memory at once.
   */
  scan(onPage: (entries: IndexEntry[]) => void, sinceEpochS?: number): Promise<IndexScan>;
}

/**
 * Two items on one server may carry the same id (two editions with one imdb id): the index keeps
 * every item a token names, so a lookup can tell "one item" from "several". The store keys its
 * rows by token, so each row's token carries its item's id after a `|`; rows written before
 * (plain tokens) are still read.
 */
const STORED_SEPARATOR = '|';
const stored = (e: IndexEntry): IndexEntry => ({ ...e, token: `${e.token}${STORED_SEPARATOR}${e.id}` });

/**
 * The index lives in the store's rows, not in memory: a scan hands each page to the store as it
 * arrives and a lookup reads the rows of the tokens it asks for, so a 100 000-item library costs
 * a few pages of memory, not the whole index.
 */
export class ExternalIdIndex {
  private ready = false;

  constructor(
    private readonly source: IndexSource,
    private readonly state: ProviderState,
    private readonly server: string,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Tokens stored (a token naming several items counts once per item). */
  get size(): number {
    return this.state.indexRowCount(this.server);
  }

  /** Brings the stored index up to date (once per run): a refresh when it is fresh, else a full scan. */
  async ensure(): Promise<void> {
    if (this.ready) return;
    const { scope } = this.source;
    const cached = this.state.indexMeta(this.server);
    const stale = this.state.get(`index_stale:${this.server}`) === '1';
    const fresh = cached && cached.scope === scope && !stale && this.now() - cached.refreshedAt * 1000 < INDEX_FULL_REBUILD_MS;
    if (cached && fresh) {
      let changed = 0;
      const scan = await this.source.scan((entries) => {
        changed += entries.length;
        // An item a refresh saw is described whole by its new entries: the tokens the store still
        // has for it beyond those (an id corrected on the server) no longer point at it.
        this.state.refreshIndexEntries(this.server, entries.map(stored));
      }, cached.refreshedAt - REFRESH_OVERLAP_S);
      this.state.setIndexMeta(this.server, { scope, refreshedAt: scan.serverTime ?? cached.refreshedAt });
      this.log.debug({ server: this.server, changed }, 'id index refreshed');
    } else {
      // Pages are staged in the store as they arrive and become the index only when the scan
      // finishes: a scan cut short leaves the previous index (and the reason for a full scan) as they were.
      this.state.beginIndexScan(this.server);
      const { serverTime } = await this.source.scan((entries) => this.state.stageIndexEntries(this.server, entries.map(stored)));
      this.state.commitIndexScan(this.server, { scope, refreshedAt: serverTime ?? Math.floor(this.now() / 1000) });
      this.state.set(`index_stale:${this.server}`, '0');
      this.log.debug({ server: this.server, total: this.size }, 'id index built');
    }
    this.ready = true;
  }

  /** A stored index for this scope that no rebuild is due for: good enough to look in before refreshing it. */
  stored(): boolean {
    const cached = this.state.indexMeta(this.server);
    return cached !== undefined && cached.scope === this.source.scope && this.state.get(`index_stale:${this.server}`) !== '1';
  }

  /** Marks the cache for a full rebuild on the next run (an entry pointed at a vanished item). */
  markStale(): void {
    this.state.set(`index_stale:${this.server}`, '1');
  }

  /**
   * The native ids an item may be: every item any of its own ids names, else (episodes) every
   * item at its season/episode under any show its show ids name. One id: found; several: the
   * ids are ambiguous on this server (never guessed); none: not found.
   */
  lookup(item: ItemIdentity): string[] {
    if (item.type === 'movie') return this.all(idTokens('movie', item.ids));
    const own = this.all(idTokens('episode', item.ids));
    if (own.length > 0 || !item.show || item.season === undefined || item.episode === undefined) return own;
    const { season, episode } = item;
    return this.all(this.all(idTokens('show', item.show.ids)).map((showId) => coordToken(showId, season, episode)));
  }

  private all(tokens: string[]): string[] {
    const ids = new Set<string>();
    for (const token of tokens) for (const row of this.state.indexRows(this.server, token, `${token}${STORED_SEPARATOR}`)) ids.add(row.id);
    return [...ids];
  }
}

/**
 * Resolves a batch: a native id is trusted only on the server it came from (an id from another
 * server may point at an unrelated item); everything else goes through the index.
 */
export async function resolveWithIndex(
  items: ResolveRequest[],
  provider: string,
  server: string,
  index: ExternalIdIndex,
  opts: ResolveOptions = {},
): Promise<Map<string, ResolveOutcome>> {
  const out = new Map<string, ResolveOutcome>();
  let pending = items;
  // An item-scoped run looks in the stored index first: the refresh (a request, or pages of
  // them) is paid only for items the stored index does not name (one added since).
  if (opts.storedFirst && index.stored()) {
    const found = new Map<string, ResolveOutcome>();
    resolveIn(items, provider, server, index, found);
    for (const [key, outcome] of found) if ('ref' in outcome) out.set(key, outcome);
    pending = items.filter((i) => !out.has(i.key));
    if (pending.length === 0) return out;
  }
  if (pending.some((i) => !(i.ref && i.ref.server === server))) await index.ensure();
  resolveIn(pending, provider, server, index, out);
  return out;
}

function resolveIn(items: ResolveRequest[], provider: string, server: string, index: ExternalIdIndex, out: Map<string, ResolveOutcome>): void {
  for (const item of items) {
    if (item.ref && item.ref.server === server) {
      out.set(item.key, { ref: { provider, server, id: item.ref.id } });
      continue;
    }
    const ids = index.lookup(item);
    const refs = ids.map((id) => ({ provider, server, id }));
    if (refs.length === 1) out.set(item.key, { ref: refs[0] as NativeRef });
    else if (refs.length === 0) out.set(item.key, { unresolved: 'not found on this server by external id' });
    else out.set(item.key, { unresolved: `its ids name ${refs.length} different items on this server`, ambiguous: refs });
  }
}
