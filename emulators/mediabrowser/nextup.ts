// Next Up (GET /Shows/NextUp): per series, the episode after the last one the user watched, the
// way Jellyfin 10.11's TVSeriesManager picks it; Emby is given the same rules (a guess: its
// code is closed, and its document has no EnableResumable/EnableRewatching).
// - Which series: those with an episode the user has a LastPlayedDate on (watched or in
//   progress), latest first; `nextUpDateCutoff` drops older ones. `parentId` narrows to a
//   library; any other parent matches nothing (Jellyfin looks series up by top-level folder
//   only). `seriesId` asks for that series alone, watched or not.
// - Last watched: the played episode with the highest season and episode numbers (specials,
//   season 0, never count). Next: the first unplayed episode after it in season/episode order,
//   or the first unplayed one when none was watched. `enableResumable=false` drops a series
//   whose next episode has a position.
// - `enableRewatching`: also, per series, the played episode after the one played last (by
//   date), and the whole list ordered by those dates, latest first.
import type { MbItem, MbUser } from './data.ts';
import type { MbEnv } from './request.ts';

export interface NextUpOptions {
  seriesId?: string;
  parentId?: string;
  /** Epoch ms; series last played before it are left out. */
  cutoff?: number;
  enableResumable: boolean;
  enableRewatching: boolean;
}

/** Season then episode number, ascending. */
function airOrder(a: MbItem, b: MbItem): number {
  return (a.ParentIndexNumber ?? 0) - (b.ParentIndexNumber ?? 0) || (a.IndexNumber ?? 0) - (b.IndexNumber ?? 0);
}

/** Series whose episodes the user played (or started), latest first. */
function watchedSeries(env: MbEnv, user: MbUser, options: NextUpOptions): MbItem[] {
  const catalog = env.catalog;
  let libraries: Set<string>;
  if (options.parentId === undefined) {
    libraries = new Set(catalog.libraries().map((l) => l.Id));
  } else {
    const library = catalog.library(options.parentId);
    libraries = new Set(library ? [library.Id] : []);
  }
  const latest = new Map<MbItem, number>();
  for (const [item, record] of catalog.userRecords(user.id)) {
    if (item.Type !== 'Episode' || record.LastPlayedDate === undefined) continue;
    const series = seriesOf(env, item);
    const library = series ? catalog.libraryOf(series) : undefined;
    if (!series || !library || !libraries.has(library.Id)) continue;
    const at = Date.parse(record.LastPlayedDate);
    if (options.cutoff !== undefined && at < options.cutoff) continue;
    latest.set(series, Math.max(latest.get(series) ?? Number.NEGATIVE_INFINITY, at));
  }
  return [...latest.entries()].sort((a, b) => b[1] - a[1] || catalog.rankOf(a[0]) - catalog.rankOf(b[0])).map(([series]) => series);
}

/** An episode's series, by its SeriesId or up its parent links. */
function seriesOf(env: MbEnv, episode: MbItem): MbItem | undefined {
  if (episode.SeriesId !== undefined) return env.catalog.item(episode.SeriesId);
  const season = env.catalog.item(episode.ParentId);
  return season ? env.catalog.item(season.ParentId) : undefined;
}

interface Candidate {
  /** When the user last played the episode the pick follows (for rewatching's order). */
  lastWatched: number;
  episode: MbItem | undefined;
}

function pick(env: MbEnv, user: MbUser, series: MbItem, includeResumable: boolean, includePlayed: boolean): Candidate {
  const catalog = env.catalog;
  const episodes = catalog.leaves(series).filter((e) => e.Type === 'Episode' && e.ParentIndexNumber !== 0);
  const played = (e: MbItem) => catalog.userData(user.id, e.Id).Played;
  const lastPlayedAt = (e: MbItem) => {
    const date = catalog.userData(user.id, e.Id).LastPlayedDate;
    return date === undefined ? Number.NEGATIVE_INFINITY : Date.parse(date);
  };
  const watched = episodes.filter(played);
  // The last watched one: by date first when rewatching, else by season/episode number.
  watched.sort((a, b) => (includePlayed ? lastPlayedAt(b) - lastPlayedAt(a) : 0) || airOrder(b, a));
  const last = watched[0];
  let candidates = episodes.filter((e) => played(e) === includePlayed).sort(airOrder);
  if (last?.ParentIndexNumber !== undefined && last.IndexNumber !== undefined) {
    const season = last.ParentIndexNumber;
    const index = last.IndexNumber + 1;
    candidates = candidates.filter(
      (e) => (e.ParentIndexNumber === season && (e.IndexNumber ?? Number.NEGATIVE_INFINITY) >= index) || (e.ParentIndexNumber ?? 0) > season,
    );
  }
  let episode = candidates[0];
  if (episode && !includeResumable && catalog.userData(user.id, episode.Id).PlaybackPositionTicks > 0) episode = undefined;
  // Jellyfin's DateTime.MinValue (never watched) and MinValue + 1 day (watched, no date).
  const never = -62_135_596_800_000;
  const lastDate = last ? catalog.userData(user.id, last.Id).LastPlayedDate : undefined;
  return { lastWatched: last ? (lastDate !== undefined ? Date.parse(lastDate) : never + 86_400_000) : never, episode };
}

/** The Next Up episodes in the server's order (before paging). */
export function nextUp(env: MbEnv, user: MbUser, options: NextUpOptions): MbItem[] {
  const requested = options.seriesId !== undefined ? env.catalog.item(options.seriesId) : undefined;
  const series = requested?.Type === 'Series' ? [requested] : watchedSeries(env, user, options);
  let all = series.map((s) => pick(env, user, s, options.enableResumable, false));
  if (options.enableRewatching) {
    // A stable sort keeps each series' unplayed pick ahead of its rewatch on equal dates.
    all = [...all, ...series.map((s) => pick(env, user, s, false, true))].sort((a, b) => b.lastWatched - a.lastWatched);
  }
  return all.map((c) => c.episode).filter((e): e is MbItem => e !== undefined);
}
