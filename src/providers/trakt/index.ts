// Reading Trakt: saved playback positions (percent + paused time + external ids) and plays
// (history: watched time + external ids).
import type { ExternalIds, ProgressRecord } from '../../core/model.ts';
import { canonicalKey, normaliseIds } from '../../core/ids.ts';
import { toEpochMs } from '../../core/time.ts';
import { minutesToMs } from '../../core/position.ts';
import { positionFrom } from '../wire.ts';
import type { HistoryEntry, PlaybackEntry, TraktIds } from './schema.ts';

function idsOf(ids: TraktIds | undefined): ExternalIds {
  if (!ids) return {};
  return normaliseIds({ imdb: ids.imdb ?? undefined, tmdb: ids.tmdb ?? undefined, tvdb: ids.tvdb ?? undefined });
}

/** The item of a playback entry or a play: a movie, or an episode with its show. */
type WithMedia = { type: 'movie'; movie: PlaybackMovie } | { type: 'episode'; episode: PlaybackEpisode; show: PlaybackShow };
type PlaybackMovie = Extract<PlaybackEntry, { type: 'movie' }>['movie'];
type PlaybackEpisode = Extract<PlaybackEntry, { type: 'episode' }>['episode'];
type PlaybackShow = Extract<PlaybackEntry, { type: 'episode' }>['show'];

/**
 * The item's part of a record: type, ids, title, year, episode numbers with the show's ids, and
 * the runtime (minutes, with extended=full) as a duration, which lets the planner estimate
 * seconds; writes still use the target's own duration.
 */
function itemFields(media: WithMedia, fallbackTitle: string) {
  const runtime = media.type === 'movie' ? media.movie.runtime : (media.episode.runtime ?? undefined);
  // A runtime that is not a positive, finite number of ms is no runtime at all.
  const durationMs = runtime ? minutesToMs(runtime) : undefined;
  const duration = durationMs !== undefined && durationMs > 0 && Number.isFinite(durationMs) ? { durationMs } : {};
  if (media.type === 'movie') {
    return {
      ...duration,
      type: 'movie' as const,
      ids: idsOf(media.movie.ids),
      title: media.movie.title ?? fallbackTitle,
      ...(media.movie.year ? { year: media.movie.year } : {}),
    };
  }
  return {
    ...duration,
    type: 'episode' as const,
    ids: idsOf(media.episode.ids),
    title: media.episode.title ?? `S${media.episode.season}E${media.episode.number}`,
    show: { ids: idsOf(media.show.ids), ...(media.show.title ? { title: media.show.title } : {}) },
    season: media.episode.season,
    episode: media.episode.number,
    ...(media.show.year ? { year: media.show.year } : {}),
  };
}

/** One playback entry as our record. Trakt has no position in ms: progressPct only. */
export function recordFromPlayback(entry: PlaybackEntry, ctx: { provider: string; server: string }): ProgressRecord {
  const pausedAt = toEpochMs(entry.paused_at);
  return {
    ref: { provider: ctx.provider, server: ctx.server, id: String(entry.id) },
    ...positionFrom('progressPct', 'progress', entry.progress, undefined, 100),
    watched: false,
    ...(pausedAt !== undefined ? { progressAt: pausedAt } : {}),
    ...itemFields(entry, `trakt ${entry.id}`),
  };
}

/**
 * One play as a finished record: watched at `watched_at` (also its last-played time), no
 * position (Trakt keeps those apart, in playback). Its ref names the item by its canonical key,
 * the form every Trakt method reads the item back from (see write.ts `identityOfRef`), unless the
 * caller names it (`refId`). Undefined when the play has no time or no ids to name the item by.
 */
export function recordFromHistory(entry: HistoryEntry, ctx: { provider: string; server: string }, refId?: string): ProgressRecord | undefined {
  const watchedAt = toEpochMs(entry.watched_at);
  if (watchedAt === undefined) return undefined;
  const item = itemFields(entry, `trakt play ${entry.id}`);
  const id = refId ?? canonicalKey(item);
  if (id === undefined) return undefined;
  return { ref: { provider: ctx.provider, server: ctx.server, id }, ...item, watched: true, watchedAt, progressAt: watchedAt };
}
