// The body of a Trakt `/scrobble/pause`: the item by its external ids, and the percent.
import type { ExternalIds, ItemIdentity } from '../../core/model.ts';

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
    return hasIds(item.ids) ? { movie: { ids: traktIds(item.ids), title: item.title, ...(item.year ? { year: item.year } : {}) }, progress } : undefined;
  }
  if (hasIds(item.show?.ids) && item.season !== undefined && item.episode !== undefined) {
    return { show: { ids: traktIds(item.show.ids), ...(item.show.title ? { title: item.show.title } : {}) }, episode: { season: item.season, number: item.episode }, progress };
  }
  return hasIds(item.ids) ? { episode: { ids: traktIds(item.ids) }, progress } : undefined;
}
