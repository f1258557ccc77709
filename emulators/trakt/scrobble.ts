// POST /scrobble/start|pause|stop — the state machine of protocols.md §4.5:
//   start  clears saved progress of the item and marks it "watching now";
//   pause  saves progress (upserts the /sync/playback entry, paused_at = now);
//   stop   ≥ 80 % scrobbles (history play, playback entry removed, action "scrobble"),
//          1–79 % acts like pause, < 1 % → 422; a second ≥ 80 % stop of the same item while the
//          previous scrobble's window is open → 409 {watched_at, expires_at}.
// Choice (UNCERTAIN upstream): repeated pauses of one item keep the same playback id.
import type { TraktEpisode, TraktMediaType, TraktMovie, TraktPlayback, TraktShow } from './data.ts';
import { nowIso, touchActivity, type RouteContext, type TraktEnv } from './env.ts';
import type { TraktLibrary } from './library.ts';
import { episodeObject, isoTime, movieObject, renderOptions, showObject, type RenderOptions } from './render.ts';
import { errorReply, jsonReply, type Reply } from './reply.ts';

const SCROBBLE_THRESHOLD = 80;
const MINIMUM_STOP_PROGRESS = 1;
const DEFAULT_RUNTIME_MINUTES = 60;

export type ResolvedMedia = { type: 'movie'; item: number; movie: TraktMovie } | { type: 'episode'; item: number; episode: TraktEpisode; show: TraktShow };

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function hasIds(value: Record<string, unknown> | undefined): boolean {
  const ids = asObject(value?.ids);
  return ids !== undefined && Object.values(ids).some((v) => v !== null && v !== undefined && v !== '');
}

function yearOf(value: Record<string, unknown>): number | undefined {
  return typeof value.year === 'number' ? value.year : undefined;
}

const notFound = (what: string) => errorReply(404, 'not_found', `${what} was not found`);

/**
 * The one media object of a scrobble (or history) body: a movie by ids (or title + year), an
 * episode by its own ids, or a show (ids or title) plus `episode: {season, number}`.
 */
export function resolveMedia(library: TraktLibrary, body: Record<string, unknown>): ResolvedMedia | Reply {
  const movie = asObject(body.movie);
  const episode = asObject(body.episode);
  const show = asObject(body.show);
  if (movie && (episode || show)) return errorReply(400, 'invalid_body', 'send one media object: movie, or episode (with show)');
  if (movie) {
    const found =
      library.movieByIds(movie.ids) ?? (!hasIds(movie) && typeof movie.title === 'string' ? library.movieByTitle(movie.title, yearOf(movie)) : undefined);
    return found ? { type: 'movie', item: found.ids.trakt, movie: found } : notFound('movie');
  }
  if (!episode) return errorReply(400, 'invalid_body', 'a scrobble body needs a movie or an episode object');
  if (hasIds(episode)) {
    const found = library.episodeByIds(episode.ids);
    const parent = found && library.show(found.show);
    if (found && parent) return { type: 'episode', item: found.ids.trakt, episode: found, show: parent };
    if (!show) return notFound('episode');
  }
  if (!show) return errorReply(400, 'invalid_body', 'an episode needs its own ids, or a show with episode season and number');
  const parent = library.showByIds(show.ids) ?? (!hasIds(show) && typeof show.title === 'string' ? library.showByTitle(show.title, yearOf(show)) : undefined);
  if (!parent) return notFound('show');
  if (typeof episode.season !== 'number' || typeof episode.number !== 'number') {
    return errorReply(400, 'invalid_body', 'episode.season and episode.number must be numbers when the episode is given by its show');
  }
  const found = library.episodeOf(parent, episode.season, episode.number);
  return found ? { type: 'episode', item: found.ids.trakt, episode: found, show: parent } : notFound('episode');
}

function mediaObjects(media: ResolvedMedia, options: RenderOptions): Record<string, unknown> {
  return media.type === 'movie'
    ? { movie: movieObject(media.movie, options) }
    : { episode: episodeObject(media.episode, options), show: showObject(media.show, options) };
}

function runtimeMinutes(media: ResolvedMedia): number {
  const minutes = media.type === 'movie' ? media.movie.runtime : (media.episode.runtime ?? media.show.runtime);
  return minutes && minutes > 0 ? minutes : DEFAULT_RUNTIME_MINUTES;
}

function samePlayback(entry: { type: TraktMediaType; item: number }, media: ResolvedMedia): boolean {
  return entry.type === media.type && entry.item === media.item;
}

/** Save progress for the item, keeping its playback id if it already had one. */
function savePlayback(env: TraktEnv, username: string, media: ResolvedMedia, progress: number): TraktPlayback {
  const data = env.data();
  const list = (data.playback[username] ??= []);
  let entry = list.find((p) => samePlayback(p, media));
  if (entry) {
    entry.progress = progress;
    entry.paused_at = nowIso(env);
  } else {
    entry = { id: env.nextPlaybackId(), type: media.type, item: media.item, progress, paused_at: nowIso(env) };
    list.push(entry);
  }
  touchActivity(env, username, media.type, 'paused_at');
  return entry;
}

/** Remove saved progress for the item; true when there was some. */
function clearPlayback(env: TraktEnv, username: string, media: { type: TraktMediaType; item: number }): boolean {
  const data = env.data();
  const list = data.playback[username];
  if (!list) return false;
  const kept = list.filter((p) => !(p.type === media.type && p.item === media.item));
  if (kept.length === list.length) return false;
  data.playback[username] = kept;
  touchActivity(env, username, media.type, 'paused_at');
  return true;
}

function stopWatching(env: TraktEnv, username: string): void {
  delete env.data().watching[username];
}

const SHARING = { twitter: false, mastodon: false, tumblr: false };

function scrobbleReply(id: number, action: 'start' | 'pause' | 'scrobble', progress: number, media: ResolvedMedia, options: RenderOptions): Reply {
  return jsonReply(201, { id, action, progress, sharing: SHARING, ...mediaObjects(media, options) });
}

export function scrobble(ctx: RouteContext, action: 'start' | 'pause' | 'stop'): Reply {
  const { env } = ctx;
  const username = ctx.auth!.user.username;
  const body = asObject(ctx.body);
  if (!body) return errorReply(400, 'invalid_body', 'the body must be a JSON object');
  const media = resolveMedia(env.library, body);
  if ('status' in media) return media;
  const progress = body.progress;
  if (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 100) {
    return errorReply(422, 'invalid_progress', 'progress must be a number from 0 to 100');
  }
  const options = renderOptions(ctx.request.params);
  const data = env.data();
  const now = env.now();

  if (action === 'start') {
    clearPlayback(env, username, media);
    const remainingMs = ((100 - progress) / 100) * runtimeMinutes(media) * 60_000;
    data.watching[username] = {
      type: media.type,
      item: media.item,
      progress,
      started_at: isoTime(now),
      expires_at: isoTime(now + Math.round(remainingMs)),
    };
    return scrobbleReply(env.nextWatchId(), 'start', progress, media, options);
  }

  if (action === 'stop' && progress < MINIMUM_STOP_PROGRESS) {
    return errorReply(422, 'invalid_progress', `a stop below ${MINIMUM_STOP_PROGRESS} % is ignored`);
  }

  if (action === 'pause' || progress < SCROBBLE_THRESHOLD) {
    stopWatching(env, username);
    const entry = savePlayback(env, username, media, progress);
    return scrobbleReply(entry.id, 'pause', progress, media, options);
  }

  // stop at or past the threshold: a play, unless the same item was scrobbled moments ago.
  const recent = (data.scrobbles[username] ?? []).filter((s) => Date.parse(s.expires_at) > now);
  data.scrobbles[username] = recent;
  const duplicate = recent.find((s) => samePlayback(s, media));
  if (duplicate) return jsonReply(409, { watched_at: duplicate.watched_at, expires_at: duplicate.expires_at });
  const windowMinutes = data.settings.scrobbleWindowMinutes ?? runtimeMinutes(media);
  recent.push({ type: media.type, item: media.item, watched_at: isoTime(now), expires_at: isoTime(now + windowMinutes * 60_000) });
  const play = { id: env.nextHistoryId(), type: media.type, item: media.item, watched_at: isoTime(now), action: 'scrobble' as const };
  (data.history[username] ??= []).push(play);
  touchActivity(env, username, media.type, 'watched_at');
  clearPlayback(env, username, media);
  stopWatching(env, username);
  return scrobbleReply(play.id, 'scrobble', progress, media, options);
}
