// The body of a Trakt `/scrobble/pause`: the item by its external ids, and the percent; and the
// item a Trakt ref names, read back from the ref itself.
import { ID_KINDS, type ExternalIds, type IdKind, type ItemIdentity } from '../../core/model.ts';

function traktIds(ids: ExternalIds): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (ids.imdb) out.imdb = ids.imdb;
  if (ids.tmdb) out.tmdb = Number(ids.tmdb);
  if (ids.tvdb) out.tvdb = Number(ids.tvdb);
  return out;
}

const hasIds = (ids: ExternalIds | undefined): ids is ExternalIds => !!ids && Object.keys(traktIds(ids)).length > 0;

/**
 * Movies by their ids. Episodes by the show's ids + season/number when known (the numbering all
 * servers share), else by the episode's own ids. Undefined when the item cannot be named.
 */
export function scrobbleBody(item: ItemIdentity, percent: number): Record<string, unknown> | undefined {
  const progress = Math.round(percent * 100) / 100;
  if (item.type === 'movie') {
    return hasIds(item.ids)
      ? { movie: { ids: traktIds(item.ids), ...(item.title ? { title: item.title } : {}), ...(item.year ? { year: item.year } : {}) }, progress }
      : undefined;
  }
  if (hasIds(item.show?.ids) && item.season !== undefined && item.episode !== undefined) {
    return {
      show: { ids: traktIds(item.show.ids), ...(item.show.title ? { title: item.show.title } : {}) },
      episode: { season: item.season, number: item.episode },
      progress,
    };
  }
  return hasIds(item.ids) ? { episode: { ids: traktIds(item.ids) }, progress } : undefined;
}

const isIdKind = (kind: string | undefined): kind is IdKind => (ID_KINDS as readonly string[]).includes(kind ?? '');

/**
 * The item a Trakt ref names. A Trakt ref's id is the item's canonical key (`imdb:tt0111161`,
 * `tvdb:81189#s01e02`, `episode:imdb:tt0959621`, see core/ids.ts), so any provider instance can
 * write, clear or read it without having resolved it first (undo on a later run, a daemon).
 * Undefined when the id is not such a key. The title is unknown here: Trakt goes by the ids.
 */
export function identityOfRef(refId: string): ItemIdentity | undefined {
  const own = /^episode:([a-z]+):(.+)$/.exec(refId);
  if (own) return isIdKind(own[1]) && own[2] ? { type: 'episode', ids: { [own[1]]: own[2] }, title: '' } : undefined;
  const m = /^([a-z]+):([^#]+)(?:#s(\d+)e(\d+))?$/.exec(refId);
  if (!m || !isIdKind(m[1]) || !m[2]) return undefined;
  const ids: ExternalIds = { [m[1]]: m[2] };
  if (m[3] === undefined || m[4] === undefined) return { type: 'movie', ids, title: '' };
  return { type: 'episode', ids: {}, title: '', show: { ids }, season: Number(m[3]), episode: Number(m[4]) };
}
