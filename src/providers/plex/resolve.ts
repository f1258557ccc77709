// Finding items on a Plex server by external id. `/library/all?guid=` only matches the primary
// (plex://) guid, so we keep our own index: external id → ratingKey, built from one paged scan
// with `includeGuids=1`, cached in the store, and refreshed with `updatedAt>>=` the last scan
// instead of rescanning the whole library every run.
import type { ExternalIds, ItemIdentity } from '../../core/model.ts';
import { ID_KINDS } from '../../core/model.ts';
import { idsFromPlexGuids } from '../../core/ids.ts';
import type { IndexEntry, ProviderState, ResolveOutcome, ResolveRequest } from '../provider.ts';
import type { PlexClient, PlexSection } from './client.ts';
import { guidsOf, sectionPages, showIdsOf } from './index.ts';
import type { PlexMetadata } from './schema.ts';
import type { Logger } from 'pino';

export const INDEX_PAGE_SIZE = 1000;
/** A full rescan now and then drops items deleted from the server. */
export const INDEX_FULL_REBUILD_MS = 7 * 24 * 3600 * 1000;
/** Re-read a little before the last scan so items changed during it are not missed. */
const REFRESH_OVERLAP_S = 120;

const idTokens = (prefix: string, ids: ExternalIds): string[] =>
  ID_KINDS.flatMap((kind) => (ids[kind] ? [`${prefix}:${kind}:${ids[kind]}`] : []));
const coordToken = (showKey: string, season: number, episode: number): string =>
  `coord:${showKey}#s${String(season).padStart(2, '0')}e${String(episode).padStart(2, '0')}`;

/** Index entries contributed by one Plex row. */
export function entriesOfRow(row: PlexMetadata): IndexEntry[] {
  const id = String(row.ratingKey);
  if (row.type === 'movie') return idTokens('movie', idsFromPlexGuids(guidsOf(row)).ids).map((token) => ({ kind: 'movie', token, id }));
  if (row.type === 'show') return idTokens('show', showIdsOf(row)).map((token) => ({ kind: 'show', token, id }));
  if (row.type === 'episode') {
    const parsed = idsFromPlexGuids(guidsOf(row));
    const out = idTokens('episode', parsed.ids).map((token) => ({ kind: 'episode', token, id }));
    const season = row.parentIndex ?? parsed.season;
    const episode = row.index ?? parsed.episode;
    if (row.grandparentRatingKey !== undefined && season !== undefined && episode !== undefined) {
      out.push({ kind: 'episode', token: coordToken(String(row.grandparentRatingKey), season, episode), id });
    }
    return out;
  }
  return [];
}

/** Section type → item types the index needs from it. */
const INDEXED_TYPES: Record<string, number[]> = { movie: [1], show: [2, 4] };

export class PlexIdIndex {
  private readonly tokens = new Map<string, string>();
  private ready = false;

  constructor(
    private readonly client: PlexClient,
    private readonly state: ProviderState,
    private readonly server: string,
    private readonly sections: PlexSection[],
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.tokens.size;
  }

  /** Loads the cached index and brings it up to date (once per run). */
  async ensure(): Promise<void> {
    if (this.ready) return;
    const scope = this.sections.map((s) => s.id).join(',');
    const cached = this.state.loadIndex(this.server);
    const stale = this.state.get(`index_stale:${this.server}`) === '1';
    const fresh = cached && cached.scope === scope && !stale && this.now() - cached.refreshedAt * 1000 < INDEX_FULL_REBUILD_MS;
    if (cached && fresh) {
      for (const e of cached.entries) this.tokens.set(e.token, e.id);
      const since = cached.refreshedAt - REFRESH_OVERLAP_S;
      const { entries, serverTime } = await this.scan({ 'updatedAt>>': since });
      for (const e of entries) this.tokens.set(e.token, e.id);
      this.state.saveIndex(this.server, { scope, refreshedAt: serverTime ?? cached.refreshedAt, entries }, 'merge');
      this.log.debug({ server: this.server, changed: entries.length, total: this.tokens.size }, 'plex id index refreshed');
    } else {
      const { entries, serverTime } = await this.scan({});
      for (const e of entries) this.tokens.set(e.token, e.id);
      this.state.saveIndex(this.server, { scope, refreshedAt: serverTime ?? Math.floor(this.now() / 1000), entries }, 'full');
      this.state.set(`index_stale:${this.server}`, '0');
      this.log.debug({ server: this.server, total: this.tokens.size }, 'plex id index built');
    }
    this.ready = true;
  }

  /** Marks the cache for a full rebuild on the next run (an entry pointed at a vanished item). */
  markStale(): void {
    this.state.set(`index_stale:${this.server}`, '1');
  }

  private async scan(filter: Record<string, number>): Promise<{ entries: IndexEntry[]; serverTime: number | undefined }> {
    const entries: IndexEntry[] = [];
    let serverTime: number | undefined;
    for (const section of this.sections) {
      for (const type of INDEXED_TYPES[section.type] ?? []) {
        for await (const page of sectionPages(this.client, section.id, { type, includeGuids: 1, ...filter }, INDEX_PAGE_SIZE)) {
          serverTime ??= page.serverTime;
          for (const row of page.rows) entries.push(...entriesOfRow(row));
        }
      }
    }
    return { entries, serverTime };
  }

  /** The ratingKey for an item, by its own ids first, then (episodes) by show ids + season/episode. */
  lookup(item: ItemIdentity): string | undefined {
    if (item.type === 'movie') return this.first(idTokens('movie', item.ids));
    const own = this.first(idTokens('episode', item.ids));
    if (own) return own;
    if (!item.show || item.season === undefined || item.episode === undefined) return undefined;
    for (const showToken of idTokens('show', item.show.ids)) {
      const showKey = this.tokens.get(showToken);
      const hit = showKey && this.tokens.get(coordToken(showKey, item.season, item.episode));
      if (hit) return hit;
    }
    return undefined;
  }

  private first(tokens: string[]): string | undefined {
    for (const t of tokens) {
      const hit = this.tokens.get(t);
      if (hit) return hit;
    }
    return undefined;
  }
}

/**
 * Resolves a batch: a native ratingKey is trusted only on the server it came from (a ratingKey
 * from another server may point at an unrelated item); everything else goes through the index.
 */
export async function resolveOnPlex(
  items: ResolveRequest[],
  provider: string,
  server: string,
  index: PlexIdIndex,
): Promise<Map<string, ResolveOutcome>> {
  const out = new Map<string, ResolveOutcome>();
  const needIndex = items.some((i) => !(i.ref && i.ref.server === server));
  if (needIndex) await index.ensure();
  for (const item of items) {
    if (item.ref && item.ref.server === server) {
      out.set(item.key, { ref: { provider, server, id: item.ref.id } });
      continue;
    }
    const id = index.lookup(item);
    out.set(item.key, id ? { ref: { provider, server, id } } : { unresolved: 'not found on this server by external id' });
  }
  return out;
}
