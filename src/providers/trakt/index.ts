// Reading Trakt's saved playback positions: percent + paused time + external ids.
import type { ExternalIds, ProgressRecord } from '../../core/model.ts';
import { normaliseIds } from '../../core/ids.ts';
import { toEpochMs } from '../../core/time.ts';
import { minutesToMs } from '../../core/position.ts';
import { positionFrom } from '../wire.ts';
import type { PlaybackEntry, TraktIds } from './schema.ts';

function idsOf(ids: TraktIds | undefined): ExternalIds {
  if (!ids) return {};
  return normaliseIds({ imdb: ids.imdb ?? undefined, tmdb: ids.tmdb ?? undefined, tvdb: ids.tvdb ?? undefined });
}

/** One playback entry as our record. Trakt has no position in ms: progressPct only. */
export function recordFromPlayback(entry: PlaybackEntry, ctx: { provider: string; server: string }): ProgressRecord {
  const base = {
    ref: { provider: ctx.provider, server: ctx.server, id: String(entry.id) },
    ...positionFrom('progressPct', 'progress', entry.progress, undefined, 100),
    watched: false,
    ...(toEpochMs(entry.paused_at) !== undefined ? { progressAt: toEpochMs(entry.paused_at) as number } : {}),
  };
  // Runtime (minutes, with extended=full) lets the planner estimate seconds; writes still use the
  // target's own duration.
  const runtime = entry.type === 'movie' ? entry.movie.runtime : (entry.episode.runtime ?? undefined);
  // A runtime that is not a positive, finite number of ms is no runtime at all.
  const durationMs = runtime ? minutesToMs(runtime) : undefined;
  if (durationMs !== undefined && durationMs > 0 && Number.isFinite(durationMs)) Object.assign(base, { durationMs });
  if (entry.type === 'movie') {
    return {
      ...base,
      type: 'movie',
      ids: idsOf(entry.movie.ids),
      title: entry.movie.title ?? `trakt ${entry.id}`,
      ...(entry.movie.year ? { year: entry.movie.year } : {}),
    };
  }
  return {
    ...base,
    type: 'episode',
    ids: idsOf(entry.episode.ids),
    title: entry.episode.title ?? `S${entry.episode.season}E${entry.episode.number}`,
    show: { ids: idsOf(entry.show.ids), ...(entry.show.title ? { title: entry.show.title } : {}) },
    season: entry.episode.season,
    episode: entry.episode.number,
    ...(entry.show.year ? { year: entry.show.year } : {}),
  };
}
