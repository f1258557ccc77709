// Read-only lookups: /search/{id_type}/{id}, /users/settings, /users/{id}/watching.
import type { TraktEpisode, TraktMovie, TraktShow } from './data.ts';
import type { RouteContext } from './env.ts';
import { ID_TYPES, type IdType } from './library.ts';
import { isReply, paginate } from './paging.ts';
import { episodeObject, mediaFields, movieObject, renderOptions, showObject } from './render.ts';
import { emptyReply, errorReply, jsonReply, type Reply } from './reply.ts';

function decode(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return segment ?? '';
  }
}

const SEARCH_TYPES = ['movie', 'show', 'episode'] as const;
type SearchType = (typeof SEARCH_TYPES)[number];

/**
 * GET /search/{id_type}/{id}[?type=movie,show,episode] — paginated (default 10). Trakt answers id
 * lookups with `score: null` in its examples (UNCERTAIN); episodes come with their show.
 */
export function searchById(ctx: RouteContext): Reply {
  const { env, request } = ctx;
  const idType = ctx.match[1] as IdType;
  if (!ID_TYPES.includes(idType) || idType === 'slug') {
    return errorReply(400, 'invalid_id_type', `id_type must be one of trakt, imdb, tmdb, tvdb; got "${ctx.match[1]}"`);
  }
  const id = decode(ctx.match[2]);
  const requested = (request.params.get('type') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const type of requested) {
    if (!(SEARCH_TYPES as readonly string[]).includes(type)) {
      return errorReply(400, 'invalid_type', `type must be movie, show or episode; got "${type}"`);
    }
  }
  const types: readonly SearchType[] = requested.length > 0 ? (requested as SearchType[]) : SEARCH_TYPES;
  const options = renderOptions(request.params);
  const results: unknown[] = [];
  for (const type of SEARCH_TYPES) {
    if (!types.includes(type)) continue;
    for (const found of env.library.byId(type, idType, id)) {
      if (type === 'movie') results.push({ type, score: null, movie: movieObject(found as TraktMovie, options) });
      else if (type === 'show') results.push({ type, score: null, show: showObject(found as TraktShow, options) });
      else {
        const episode = found as TraktEpisode;
        const show = env.library.show(episode.show);
        if (show) results.push({ type, score: null, episode: episodeObject(episode, options), show: showObject(show, options) });
      }
    }
  }
  const page = paginate(results, request.params, 'always');
  if (isReply(page)) return page;
  return jsonReply(200, page.items, page.headers);
}

/** GET /users/settings — who the token belongs to (enough to label a connected account). */
export function userSettings(ctx: RouteContext): Reply {
  const user = ctx.auth!.user;
  return jsonReply(200, {
    user: {
      username: user.username,
      private: false,
      name: user.name ?? user.username,
      vip: user.vip,
      vip_ep: false,
      ids: { slug: user.username.toLowerCase() },
    },
    account: { timezone: 'UTC', date_format: 'mdy', time_24hr: false, cover_image: null },
  });
}

/** GET /users/{id}/watching — 200 with the item while a /scrobble/start is live, else 204. */
export function watching(ctx: RouteContext): Reply {
  const { env } = ctx;
  const id = decode(ctx.match[1]);
  const username = id === 'me' ? ctx.auth?.user.username : env.data().users.find((u) => u.username.toLowerCase() === id.toLowerCase())?.username;
  if (username === undefined) {
    return id === 'me' ? errorReply(401, 'invalid_token', 'users/me needs an access token') : errorReply(404, 'not_found', `no user "${id}"`);
  }
  const now = env.now();
  const entry = env.data().watching[username];
  if (!entry || Date.parse(entry.expires_at) <= now) return emptyReply(204);
  const media = mediaFields(env.library, entry.type, entry.item, renderOptions(ctx.request.params));
  if (!media) return emptyReply(204);
  return jsonReply(200, { expires_at: entry.expires_at, started_at: entry.started_at, action: 'scrobble', type: entry.type, ...media });
}
