// /sync/* : playback (read, delete), history (read, add, remove), last_activities.
import type { TraktHistory, TraktMediaType, TraktPlayback } from './data.ts';
import { touchActivity, type RouteContext } from './env.ts';
import { isReply, paginate, timeFilter } from './paging.ts';
import { mediaFields, renderOptions } from './render.ts';
import { emptyReply, errorReply, jsonReply, type Reply } from './reply.ts';
import { resolveMedia } from './scrobble.ts';

function typeFromPath(segment: string | undefined): TraktMediaType | undefined {
  return segment === 'movies' ? 'movie' : segment === 'episodes' ? 'episode' : undefined;
}

const newestFirst =
  <T extends { id: number }>(time: (entry: T) => string) =>
  (a: T, b: T) =>
    Date.parse(time(b)) - Date.parse(time(a)) || b.id - a.id;

/** GET /sync/playback[/movies|/episodes] — Pagination Optional, newest paused_at first. */
export function listPlayback(ctx: RouteContext): Reply {
  const { env, request } = ctx;
  const username = ctx.auth!.user.username;
  const type = typeFromPath(ctx.match[1]);
  const filter = timeFilter(request.params);
  if (isReply(filter)) return filter;
  const retention = env.data().settings.playbackRetentionDays;
  const oldest = retention === undefined ? -Infinity : env.now() - retention * 86_400_000;
  const entries = (env.data().playback[username] ?? [])
    .filter((p) => (type === undefined || p.type === type) && filter(p.paused_at) && Date.parse(p.paused_at) >= oldest)
    .sort(newestFirst<TraktPlayback>((p) => p.paused_at));
  const page = paginate(entries, request.params, 'optional');
  if (isReply(page)) return page;
  const options = renderOptions(request.params);
  const rows = page.items.flatMap((p) => {
    const media = mediaFields(env.library, p.type, p.item, options);
    return media ? [{ progress: p.progress, paused_at: p.paused_at, id: p.id, type: p.type, ...media }] : [];
  });
  return jsonReply(200, rows, page.headers);
}

/** DELETE /sync/playback/{id} — 204, or 404 when the id is not one of this user's entries. */
export function deletePlayback(ctx: RouteContext): Reply {
  const { env } = ctx;
  const username = ctx.auth!.user.username;
  const raw = ctx.match[1] ?? '';
  const list = env.data().playback[username] ?? [];
  const entry = /^\d+$/.test(raw) ? list.find((p) => p.id === Number(raw)) : undefined;
  if (!entry) return errorReply(404, 'not_found', `no playback with id ${raw}`);
  env.data().playback[username] = list.filter((p) => p !== entry);
  touchActivity(env, username, entry.type, 'paused_at');
  return emptyReply(204);
}

/**
 * Which plays `/sync/history/{type}/{id}` names: a movie's or an episode's own, or every episode
 * of a show. The id is a Trakt id; one naming no item of that type is a 404, a known item without
 * plays an empty list (as the API documents).
 */
function historyItemFilter(ctx: RouteContext, segment: string, rawId: string): ((play: TraktHistory) => boolean) | Reply {
  const { library } = ctx.env;
  const id = /^\d+$/.test(rawId) ? Number(rawId) : undefined;
  const known = id === undefined ? undefined : segment === 'movies' ? library.movie(id) : segment === 'shows' ? library.show(id) : library.episode(id);
  if (id === undefined || !known) return errorReply(404, 'not_found', `no ${segment.replace(/s$/, '')} with Trakt id ${rawId}`);
  if (segment === 'shows') return (play) => play.type === 'episode' && library.episode(play.item)?.show === id;
  return (play) => play.type === typeFromPath(segment) && play.item === id;
}

/**
 * GET /sync/history[/movies|/shows|/episodes[/{trakt id}]] — paginated (default 10 per page),
 * newest first; `shows` are the plays of episodes.
 */
export function listHistory(ctx: RouteContext): Reply {
  const { env, request } = ctx;
  const username = ctx.auth!.user.username;
  const segment = ctx.match[1] ?? '';
  const type = segment === 'shows' ? 'episode' : typeFromPath(segment);
  const filter = timeFilter(request.params);
  if (isReply(filter)) return filter;
  const ofItem = ctx.match[2] ? historyItemFilter(ctx, segment, ctx.match[2]) : () => true;
  if (isReply(ofItem)) return ofItem;
  const plays = (env.data().history[username] ?? [])
    .filter((h) => (type === undefined || h.type === type) && filter(h.watched_at) && ofItem(h))
    .sort(newestFirst<TraktHistory>((h) => h.watched_at));
  const page = paginate(plays, request.params, 'always');
  if (isReply(page)) return page;
  const options = renderOptions(request.params);
  const rows = page.items.flatMap((h) => {
    const media = mediaFields(env.library, h.type, h.item, options);
    return media ? [{ id: h.id, watched_at: h.watched_at, action: h.action, type: h.type, ...media }] : [];
  });
  return jsonReply(200, rows, page.headers);
}

type Target = { type: TraktMediaType; item: number };

interface Collected {
  targets: Array<Target & { watchedAt?: string }>;
  notFound: { movies: unknown[]; shows: unknown[]; seasons: unknown[]; episodes: unknown[] };
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Movies, shows (→ seasons → episodes) and episodes of a /sync/history body, resolved. */
function collectTargets(ctx: RouteContext, body: Record<string, unknown>): Collected {
  const { library } = ctx.env;
  const out: Collected = { targets: [], notFound: { movies: [], shows: [], seasons: [], episodes: [] } };
  const watched = (entry: Record<string, unknown>, fallback?: string) => (typeof entry.watched_at === 'string' ? entry.watched_at : fallback);
  for (const raw of list(body.movies)) {
    const entry = objectOf(raw);
    const media = resolveMedia(library, { movie: entry });
    if ('status' in media) out.notFound.movies.push(raw);
    else out.targets.push({ type: 'movie', item: media.item, watchedAt: watched(entry) });
  }
  for (const raw of list(body.episodes)) {
    const entry = objectOf(raw);
    const media = resolveMedia(library, { episode: entry });
    if ('status' in media) out.notFound.episodes.push(raw);
    else out.targets.push({ type: 'episode', item: media.item, watchedAt: watched(entry) });
  }
  for (const raw of list(body.shows)) {
    const entry = objectOf(raw);
    const show = library.showByIds(entry.ids);
    if (!show) {
      out.notFound.shows.push(raw);
      continue;
    }
    const episodes = ctx.env.data().episodes.filter((e) => e.show === show.ids.trakt);
    const seasons = list(entry.seasons).map(objectOf);
    if (seasons.length === 0) {
      for (const e of episodes) out.targets.push({ type: 'episode', item: e.ids.trakt, watchedAt: watched(entry) });
      continue;
    }
    for (const season of seasons) {
      const inSeason = episodes.filter((e) => e.season === season.number);
      if (inSeason.length === 0) {
        out.notFound.seasons.push(season);
        continue;
      }
      const wanted = list(season.episodes).map(objectOf);
      if (wanted.length === 0) {
        for (const e of inSeason) out.targets.push({ type: 'episode', item: e.ids.trakt, watchedAt: watched(season, watched(entry)) });
        continue;
      }
      for (const want of wanted) {
        const e = inSeason.find((candidate) => candidate.number === want.number);
        if (e) out.targets.push({ type: 'episode', item: e.ids.trakt, watchedAt: watched(want, watched(season, watched(entry))) });
        else out.notFound.episodes.push(want);
      }
    }
  }
  return out;
}

/** POST /sync/history — adds plays ("watch" action). `watched_at` other than an ISO time → now. */
export function addHistory(ctx: RouteContext): Reply {
  const { env } = ctx;
  const username = ctx.auth!.user.username;
  const collected = collectTargets(ctx, objectOf(ctx.body));
  const plays = (env.data().history[username] ??= []);
  const added = { movies: 0, episodes: 0 };
  for (const target of collected.targets) {
    const at =
      target.watchedAt !== undefined && Number.isFinite(Date.parse(target.watchedAt))
        ? new Date(target.watchedAt).toISOString()
        : new Date(env.now()).toISOString();
    plays.push({ id: env.nextHistoryId(), type: target.type, item: target.item, watched_at: at, action: 'watch' });
    added[target.type === 'movie' ? 'movies' : 'episodes']++;
    touchActivity(env, username, target.type, 'watched_at');
  }
  return jsonReply(201, { added, not_found: { ...collected.notFound, people: [] } });
}

/** POST /sync/history/remove — by history ids (`ids: [...]`) and/or media (every play of it). */
export function removeHistory(ctx: RouteContext): Reply {
  const { env } = ctx;
  const username = ctx.auth!.user.username;
  const body = objectOf(ctx.body);
  const collected = collectTargets(ctx, body);
  const plays = env.data().history[username] ?? [];
  const ids = list(body.ids);
  const knownIds = new Set(plays.map((p) => p.id));
  const removeIds = new Set(ids.filter((id): id is number => typeof id === 'number' && knownIds.has(id)));
  const removeItems = new Set(collected.targets.map((t) => `${t.type}:${t.item}`));
  const kept: TraktHistory[] = [];
  const deleted = { movies: 0, episodes: 0 };
  for (const play of plays) {
    if (removeIds.has(play.id) || removeItems.has(`${play.type}:${play.item}`)) {
      deleted[play.type === 'movie' ? 'movies' : 'episodes']++;
      touchActivity(env, username, play.type, 'watched_at');
    } else {
      kept.push(play);
    }
  }
  env.data().history[username] = kept;
  return jsonReply(200, {
    deleted,
    not_found: { ...collected.notFound, ids: ids.filter((id) => !(typeof id === 'number' && knownIds.has(id))) },
  });
}

const NEVER = '1970-01-01T00:00:00.000Z';

/** GET /sync/last_activities — movies/episodes watched_at and paused_at are live; the rest fixed. */
export function lastActivities(ctx: RouteContext): Reply {
  const username = ctx.auth!.user.username;
  const mine = ctx.env.data().activities[username];
  const movies = { watched: mine?.movies.watched_at ?? NEVER, paused: mine?.movies.paused_at ?? NEVER };
  const episodes = { watched: mine?.episodes.watched_at ?? NEVER, paused: mine?.episodes.paused_at ?? NEVER };
  const all = [movies.watched, movies.paused, episodes.watched, episodes.paused].reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
  const fixed = (...names: string[]) => Object.fromEntries(names.map((name) => [name, NEVER]));
  return jsonReply(200, {
    all,
    movies: {
      watched_at: movies.watched,
      collected_at: NEVER,
      rated_at: NEVER,
      watchlisted_at: NEVER,
      favorited_at: NEVER,
      commented_at: NEVER,
      paused_at: movies.paused,
      hidden_at: NEVER,
    },
    episodes: {
      watched_at: episodes.watched,
      collected_at: NEVER,
      rated_at: NEVER,
      watchlisted_at: NEVER,
      commented_at: NEVER,
      paused_at: episodes.paused,
    },
    shows: fixed('rated_at', 'watchlisted_at', 'favorited_at', 'commented_at', 'hidden_at', 'dropped_at'),
    seasons: fixed('rated_at', 'watchlisted_at', 'commented_at', 'hidden_at'),
    comments: fixed('liked_at', 'reacted_at', 'blocked_at'),
    lists: fixed('liked_at', 'reacted_at', 'updated_at', 'commented_at'),
    watchlist: fixed('updated_at'),
    favorites: fixed('updated_at'),
    collaborations: fixed('updated_at'),
    account: fixed('settings_at', 'followed_at', 'following_at', 'pending_at', 'requested_at'),
    saved_filters: fixed('updated_at'),
    notes: fixed('updated_at'),
  });
}
