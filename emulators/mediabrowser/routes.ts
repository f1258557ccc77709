// The routes each dialect serves, their access rules and handlers. Matching is case-insensitive
// (both servers route that way); a known path with the wrong method is 405, an unknown one 404.
// Jellyfin below 10.9 lacks the /UserItems, /UserPlayedItems and /UserViews families, GET
// /Items/{id} and every UserData route: that is how a client tells it cannot write positions.
import type { Reply } from '../common/http.ts';
import { callerForToken, readCredentials } from './auth.ts';
import type { MbItem, MbUser, MediaBrowserDialect } from './data.ts';
import { isLeaf } from './library.ts';
import {
  hideFromResume,
  markPlayed,
  markUnplayed,
  parseJsonBody,
  patchUserData,
  replaceUserData,
  reportPlayback,
  sessionFor,
  setFavorite,
  type PlaybackEvent,
} from './playstate.ts';
import { nextUp } from './nextup.ts';
import { checkId, pageOf, parseItemQuery, readBool, readDate, readFields, readInt, readLong, runItemQuery, sortItems, type ItemQuery } from './query.ts';
import { detailOptions, listOptions, publicSystemInfo, renderItem, renderSession, renderUser, renderUserData, renderView, systemInfo } from './render.ts';
import {
  HttpError,
  Params as QueryParams,
  badRequest,
  empty,
  forbidden,
  invalidParam,
  isAdmin,
  notFound,
  ok,
  versionAtLeast,
  type Caller,
  type ClientInfo,
  type Ctx,
  type MbEnv,
  type MbRequest,
} from './request.ts';
import { parseEmbyDate, parseIsoDate } from './time.ts';

type Params = Record<string, string>;
type Handler = (ctx: Ctx, params: Params) => Reply;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  public: boolean;
  dialects: readonly MediaBrowserDialect[];
  /** Jellyfin only: the first version that has the route. */
  since?: [number, number];
  handle: Handler;
}

const BOTH = ['jellyfin', 'emby'] as const;
const JELLYFIN = ['jellyfin'] as const;
const EMBY = ['emby'] as const;
const V10_9: [number, number] = [10, 9];

function route(
  method: string,
  template: string,
  handle: Handler,
  options: { dialects?: readonly MediaBrowserDialect[]; since?: [number, number]; public?: boolean } = {},
): Route {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return {
    method,
    template,
    pattern: new RegExp(`^${source}$`, 'i'),
    names,
    public: options.public ?? false,
    dialects: options.dialects ?? BOTH,
    ...(options.since ? { since: options.since } : {}),
    handle,
  };
}

// ---- helpers -------------------------------------------------------------------------------

function caller(ctx: Ctx): Caller {
  if (!ctx.caller) throw new HttpError(empty(401));
  return ctx.caller;
}

const GUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * The user a request acts for. No id: the token's user (an API key has none, so `required`
 * routes answer 400). An id: non-admin tokens may name only themselves (403), unknown ids 404.
 */
function targetUser(ctx: Ctx, raw: string | undefined, required: boolean, denied = 'Forbidden'): MbUser | undefined {
  const env = ctx.env;
  const who = caller(ctx);
  if (raw === undefined || raw === '') {
    if (who.kind === 'user') return who.user;
    if (required) throw new HttpError(badRequest(env, 'userId is required'));
    return undefined;
  }
  if (env.dialect === 'jellyfin' && !GUID_LIKE.test(raw)) throw new HttpError(invalidParam(env, 'userId', `The value '${raw}' is not valid.`));
  const id = GUID_LIKE.test(raw) ? raw.replace(/-/g, '').toLowerCase() : raw;
  const user = env.data().users.find((u) => u.id === id);
  // Jellyfin checks the caller's right before looking the user up; Emby looks up first.
  if (env.dialect === 'emby' && !user) throw new HttpError(notFound(env, 'User'));
  if (who.kind === 'user' && who.user.id !== id && !who.user.admin) throw new HttpError(forbidden(denied));
  if (!user) throw new HttpError(notFound(env, 'User'));
  return user;
}

function requireItem(ctx: Ctx, raw: string | undefined): MbItem {
  const id = checkId(ctx.env, 'itemId', raw ?? '');
  const item = ctx.env.catalog.item(id);
  if (!item) throw new HttpError(notFound(ctx.env));
  return item;
}

function queryResult(ctx: Ctx, items: unknown[], total: number, startIndex: number): Reply {
  const body: Record<string, unknown> = { Items: items, TotalRecordCount: total };
  if (ctx.env.dialect === 'jellyfin') body.StartIndex = startIndex;
  return ok(ctx, body);
}

/** Writes that answer no DTO: 204 on Jellyfin; Emby documents "200, empty response". */
function writeDone(ctx: Ctx): Reply {
  return empty(ctx.env.dialect === 'jellyfin' ? 204 : 200);
}

function localAddress(ctx: Ctx): string {
  return `http://${ctx.req.header('host') ?? '127.0.0.1'}`;
}

// ---- system and users ----------------------------------------------------------------------

const publicInfo: Handler = (ctx) => ok(ctx, publicSystemInfo(ctx.env, localAddress(ctx)));
const fullInfo: Handler = (ctx) => ok(ctx, systemInfo(ctx.env, localAddress(ctx)));
/** Jellyfin answers its product name as a JSON string; Emby documents an empty 200. */
const ping: Handler = (ctx) => (ctx.env.dialect === 'jellyfin' ? ok(ctx, 'Jellyfin Server') : empty(200));

/** Jellyfin lists every user to any signed-in caller; Emby (a guess) only to administrators. */
const users: Handler = (ctx) => {
  if (ctx.env.dialect === 'emby' && !isAdmin(caller(ctx))) return forbidden('Forbidden');
  return ok(
    ctx,
    ctx.env.data().users.map((u) => renderUser(ctx.env, u)),
  );
};

/** The login screen's list: no token needed, hidden users left out. */
const publicUsers: Handler = (ctx) =>
  ok(
    ctx,
    ctx.env
      .data()
      .users.filter((u) => !u.hidden)
      .map((u) => renderUser(ctx.env, u)),
  );

const usersQuery: Handler = (ctx) => {
  if (!isAdmin(caller(ctx))) return forbidden('Forbidden');
  const all = ctx.env.data().users.map((u) => renderUser(ctx.env, u));
  const page = pageOf(all, { startIndex: readInt(ctx.env, ctx.req.params, 'StartIndex') ?? 0, ...optionalLimit(ctx), enableTotalRecordCount: true });
  return ok(ctx, { Items: page.items, TotalRecordCount: page.total });
};

function optionalLimit(ctx: Ctx): { limit?: number } {
  const limit = readInt(ctx.env, ctx.req.params, 'Limit');
  return limit === undefined ? {} : { limit };
}

const me: Handler = (ctx) => {
  const who = caller(ctx);
  if (who.kind !== 'user') return badRequest(ctx.env, 'Token is not owned by a user');
  return ok(ctx, renderUser(ctx.env, who.user));
};

/** Jellyfin shows any user to any signed-in caller; Emby (a guess) only the caller itself, or anyone to admins. */
const userById: Handler = (ctx, p) => {
  const env = ctx.env;
  if (env.dialect === 'emby') return ok(ctx, renderUser(env, targetUser(ctx, p.userId, true)!));
  const raw = p.userId ?? '';
  if (!GUID_LIKE.test(raw)) return invalidParam(env, 'userId', `The value '${raw}' is not valid.`);
  const user = env.data().users.find((u) => u.id === raw.replace(/-/g, '').toLowerCase());
  return user ? ok(ctx, renderUser(env, user)) : notFound(env, 'User');
};

const authenticateByName: Handler = (ctx) => {
  const env = ctx.env;
  const body = parseJsonBody(env, ctx.req.body);
  const name = typeof body.username === 'string' ? body.username : '';
  const password = typeof body.pw === 'string' ? body.pw : '';
  const user = env.data().users.find((u) => u.name.toLowerCase() === name.toLowerCase());
  if (!user || (user.password ?? '') !== password) return empty(401);
  const session = sessionFor({ ...ctx, caller: { kind: 'user', user, token: user.token } }, user);
  return ok(ctx, { User: renderUser(env, user), SessionInfo: renderSession(env, session), AccessToken: user.token, ServerId: env.data().serverId });
};

// ---- libraries and items -------------------------------------------------------------------

function views(ctx: Ctx, rawUserId: string | undefined): Reply {
  const user = targetUser(ctx, rawUserId, true);
  const options = listOptions(readFields(ctx.req.params), user);
  const rows = ctx.env.catalog.libraries().map((library) => renderView(ctx.env, library, options));
  return queryResult(ctx, rows, rows.length, 0);
}

function items(ctx: Ctx, rawUserId: string | undefined): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, false);
  const query = parseItemQuery(env, ctx.req.params);
  const options = listOptions(query.fields, user, query.enableUserData);
  if (!query.recursive && query.parentId === undefined && query.ids.length === 0) {
    // The root of a non-recursive listing is the user's libraries.
    const page = pageOf(env.catalog.libraries(), query);
    return queryResult(
      ctx,
      page.items.map((library) => renderView(env, library, options)),
      page.total,
      page.startIndex,
    );
  }
  const page = pageOf(runItemQuery(env, query, user), query);
  return queryResult(
    ctx,
    page.items.map((item) => renderItem(env, item, options)),
    page.total,
    page.startIndex,
  );
}

/** Parameters GetResumeItems binds on Jellyfin; Emby's resume route takes the whole item query. */
const JELLYFIN_RESUME_PARAMS = new Set([
  'userid',
  'startindex',
  'limit',
  'searchterm',
  'parentid',
  'fields',
  'mediatypes',
  'enableuserdata',
  'imagetypelimit',
  'enableimagetypes',
  'excludeitemtypes',
  'includeitemtypes',
  'enabletotalrecordcount',
  'enableimages',
  'excludeactivesessions',
]);

function resume(ctx: Ctx, rawUserId: string | undefined): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, true)!;
  const params = ctx.req.params;
  if (env.dialect === 'jellyfin') {
    const kept = new URLSearchParams([...params.raw].filter(([name]) => JELLYFIN_RESUME_PARAMS.has(name.toLowerCase())));
    ctx = { ...ctx, req: { ...ctx.req, params: new QueryParams(kept) } };
  }
  const query: ItemQuery = parseItemQuery(env, ctx.req.params);
  query.recursive = true;
  query.filters.add('IsResumable');
  const excludeActive = readBool(env, ctx.req.params, 'ExcludeActiveSessions') ?? false;
  const playing = new Set(
    excludeActive
      ? env
          .data()
          .sessions.filter((s) => s.userId === user.id && s.itemId)
          .map((s) => s.itemId)
      : [],
  );
  const found = runItemQuery(env, query, user).filter((item) => isLeaf(item) && !playing.has(item.Id));
  const ordered = sortItems(env, found, ['DatePlayed'], ['Descending'], user);
  const page = pageOf(ordered, query);
  const options = listOptions(query.fields, user, query.enableUserData);
  return queryResult(
    ctx,
    page.items.map((item) => renderItem(env, item, options)),
    page.total,
    page.startIndex,
  );
}

function itemDetail(ctx: Ctx, rawUserId: string | undefined, rawItemId: string | undefined): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, false);
  const id = checkId(env, 'itemId', rawItemId ?? '');
  const library = env.catalog.library(id);
  if (library) return ok(ctx, renderView(env, library, detailOptions(user)));
  const item = env.catalog.item(id);
  if (!item) return notFound(env);
  return ok(ctx, renderItem(env, item, detailOptions(user)));
}

/**
 * GET /Shows/NextUp (see nextup.ts). Jellyfin binds EnableResumable, EnableRewatching,
 * NextUpDateCutoff and EnableTotalRecordCount (false → a count of 0, as its GetResult leaves it);
 * Emby's document has none of them, so there they keep Jellyfin's defaults.
 */
const showsNextUp: Handler = (ctx) => {
  const env = ctx.env;
  const params = ctx.req.params;
  const jellyfin = env.dialect === 'jellyfin';
  const user = targetUser(ctx, params.get('UserId'), true)!;
  const seriesRaw = params.get('SeriesId');
  const parentRaw = params.get('ParentId');
  const cutoff = jellyfin ? readDate(env, params, 'NextUpDateCutoff') : undefined;
  const found = nextUp(env, user, {
    ...(seriesRaw ? { seriesId: checkId(env, 'seriesId', seriesRaw) } : {}),
    ...(parentRaw ? { parentId: checkId(env, 'parentId', parentRaw) } : {}),
    ...(cutoff !== undefined ? { cutoff } : {}),
    enableResumable: jellyfin ? (readBool(env, params, 'EnableResumable') ?? true) : true,
    enableRewatching: jellyfin ? (readBool(env, params, 'EnableRewatching') ?? false) : false,
  });
  const startIndex = Math.max(0, readInt(env, params, 'StartIndex') ?? 0);
  const limit = readInt(env, params, 'Limit');
  const countAll = jellyfin ? (readBool(env, params, 'EnableTotalRecordCount') ?? true) : true;
  const page = found.slice(startIndex, limit === undefined ? undefined : startIndex + Math.max(0, limit));
  const options = listOptions(readFields(params), user, readBool(env, params, 'EnableUserData') ?? true);
  return queryResult(
    ctx,
    page.map((item) => renderItem(env, item, options)),
    countAll ? found.length : 0,
    startIndex,
  );
};

/** A series' seasons or episodes, after an `adjacentTo` item (the one before it, it, the one after) when asked. */
function adjacent(env: MbEnv, list: MbItem[], raw: string | undefined): MbItem[] {
  if (raw === undefined || raw === '') return list;
  const id = checkId(env, 'adjacentTo', raw);
  const at = list.findIndex((i) => i.Id === id);
  return at < 0 ? [] : list.slice(Math.max(0, at - 1), at + 2);
}

function requireSeries(ctx: Ctx, raw: string | undefined): MbItem {
  const series = ctx.env.catalog.item(checkId(ctx.env, 'seriesId', raw ?? ''));
  if (series?.Type !== 'Series') throw new HttpError(notFound(ctx.env, 'Series'));
  return series;
}

/** Season then episode number. */
const airOrder = (a: MbItem, b: MbItem) => (a.ParentIndexNumber ?? 0) - (b.ParentIndexNumber ?? 0) || (a.IndexNumber ?? 0) - (b.IndexNumber ?? 0);

/**
 * GET /Shows/{seriesId}/Episodes (Jellyfin's TvShowsController): a season by id (404 unless a
 * season) or by number, else every episode of the series, in season/episode order;
 * `startItemId` skips to an episode, `adjacentTo` keeps its neighbours, then the page. The count
 * is of all episodes before paging; `StartIndex` echoes the request.
 */
const showEpisodes: Handler = (ctx, p) => {
  const env = ctx.env;
  const params = ctx.req.params;
  const user = targetUser(ctx, params.get('UserId'), false);
  const seasonRaw = params.get('SeasonId');
  let episodes: MbItem[];
  if (seasonRaw !== undefined && seasonRaw !== '') {
    const season = env.catalog.item(checkId(env, 'seasonId', seasonRaw));
    if (season?.Type !== 'Season') return notFound(env, 'Season');
    episodes = env.catalog.children(season.Id);
  } else {
    const series = requireSeries(ctx, p.seriesId);
    const number = readInt(env, params, 'Season');
    const seasons = env.catalog.children(series.Id);
    episodes = number === undefined ? env.catalog.leaves(series) : env.catalog.children(seasons.find((s) => s.IndexNumber === number)?.Id ?? '');
  }
  episodes = episodes.filter((e) => e.Type === 'Episode').sort(airOrder);
  const startItem = params.get('StartItemId');
  if (startItem !== undefined && startItem !== '') {
    const id = checkId(env, 'startItemId', startItem);
    const at = episodes.findIndex((e) => e.Id === id);
    episodes = at < 0 ? [] : episodes.slice(at);
  }
  episodes = adjacent(env, episodes, params.get('AdjacentTo'));
  const startIndex = Math.max(0, readInt(env, params, 'StartIndex') ?? 0);
  const limit = readInt(env, params, 'Limit');
  const page = episodes.slice(startIndex, limit === undefined ? undefined : startIndex + Math.max(0, limit));
  const options = listOptions(readFields(params), user, readBool(env, params, 'EnableUserData') ?? true);
  return queryResult(
    ctx,
    page.map((item) => renderItem(env, item, options)),
    episodes.length,
    startIndex,
  );
};

/** GET /Shows/{seriesId}/Seasons: the series' seasons by number; `isSpecialSeason` keeps (or drops) season 0. */
const showSeasons: Handler = (ctx, p) => {
  const env = ctx.env;
  const params = ctx.req.params;
  const user = targetUser(ctx, params.get('UserId'), false);
  const series = requireSeries(ctx, p.seriesId);
  const special = readBool(env, params, 'IsSpecialSeason');
  let seasons = env.catalog
    .children(series.Id)
    .filter((s) => s.Type === 'Season' && (special === undefined || (s.IndexNumber === 0) === special))
    .sort((a, b) => (a.IndexNumber ?? 0) - (b.IndexNumber ?? 0));
  seasons = adjacent(env, seasons, params.get('AdjacentTo'));
  const options = listOptions(readFields(params), user, readBool(env, params, 'EnableUserData') ?? true);
  return queryResult(
    ctx,
    seasons.map((item) => renderItem(env, item, options)),
    seasons.length,
    0,
  );
};

// ---- user data -----------------------------------------------------------------------------

function getUserData(ctx: Ctx, rawUserId: string | undefined, rawItemId: string | undefined): Reply {
  const user = targetUser(ctx, rawUserId, true)!;
  const item = requireItem(ctx, rawItemId);
  return ok(ctx, renderUserData(ctx.env, user.id, item, { list: false, fields: new Set() }));
}

function postUserData(ctx: Ctx, rawUserId: string | undefined, rawItemId: string | undefined): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, true, 'User is not allowed to update this item user data.')!;
  const item = requireItem(ctx, rawItemId);
  const body = parseJsonBody(env, ctx.req.body);
  if (env.dialect === 'emby') {
    replaceUserData(env, user, item, body);
    return writeDone(ctx);
  }
  patchUserData(env, user, item, body);
  return ok(ctx, renderUserData(env, user.id, item, { list: false, fields: new Set() }));
}

function played(ctx: Ctx, rawUserId: string | undefined, rawItemId: string | undefined, isPlayed: boolean): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, true)!;
  const item = requireItem(ctx, rawItemId);
  if (isPlayed) {
    const raw = ctx.req.params.get('DatePlayed');
    let date: number | undefined;
    if (raw !== undefined && raw !== '') {
      date = env.dialect === 'emby' ? parseEmbyDate(raw) : parseIsoDate(raw);
      if (date === undefined) return invalidParam(env, 'datePlayed', `The value '${raw}' is not valid.`);
    }
    markPlayed(env, user, item, date);
  } else {
    markUnplayed(env, user, item);
  }
  return ok(ctx, renderUserData(env, user.id, item, { list: false, fields: new Set() }));
}

function favorite(ctx: Ctx, rawUserId: string | undefined, rawItemId: string | undefined, isFavorite: boolean): Reply {
  const env = ctx.env;
  const user = targetUser(ctx, rawUserId, true)!;
  const item = requireItem(ctx, rawItemId);
  setFavorite(env, user, item, isFavorite);
  return ok(ctx, renderUserData(env, user.id, item, { list: false, fields: new Set() }));
}

const hideResume: Handler = (ctx, p) => {
  const env = ctx.env;
  const user = targetUser(ctx, p.userId, true)!;
  const item = requireItem(ctx, p.itemId);
  const hide = readBool(env, ctx.req.params, 'Hide');
  if (hide === undefined) return invalidParam(env, 'Hide', 'Hide is required');
  hideFromResume(env, user, item, hide);
  return ok(ctx, renderUserData(env, user.id, item, { list: false, fields: new Set() }));
};

// ---- sessions ------------------------------------------------------------------------------

const sessions: Handler = (ctx) => {
  const env = ctx.env;
  const who = caller(ctx);
  const params = ctx.req.params;
  const deviceId = params.get('DeviceId');
  const id = params.get('Id');
  const activeWithin = readInt(env, params, 'ActiveWithinSeconds');
  const rows = env
    .data()
    .sessions.filter((s) => isAdmin(who) || (who.kind === 'user' && s.userId === who.user.id))
    .filter((s) => deviceId === undefined || s.deviceId === deviceId)
    .filter((s) => id === undefined || s.id === id)
    .filter((s) => activeWithin === undefined || Date.parse(s.lastActivityDate) >= env.now() - activeWithin * 1000)
    .sort((a, b) => Date.parse(b.lastActivityDate) - Date.parse(a.lastActivityDate));
  return ok(
    ctx,
    rows.map((s) => renderSession(env, s)),
  );
};

function playing(event: PlaybackEvent): Handler {
  return (ctx) => {
    const env = ctx.env;
    let body = {};
    if (event !== 'ping') {
      if (ctx.req.body.trim() === '') return invalidParam(env, '$', 'A non-empty request body is required.');
      body = parseJsonBody(env, ctx.req.body);
    }
    reportPlayback(ctx, event, body);
    return writeDone(ctx);
  };
}

/**
 * POST /Sessions/Capabilities (query) and …/Full (JSON body): what a client can play and be told.
 * Accepted and not kept (the emulator plays nothing and sends no commands); the request itself
 * keeps the client's session alive, as every signed-in request with a device does.
 */
const capabilities: Handler = (ctx) => writeDone(ctx);

const PLAY_METHODS = ['Transcode', 'DirectStream', 'DirectPlay'];

/**
 * The query-string forms of the playback reports: Jellyfin's /PlayingItems/{itemId} (10.9+) and
 * /Users/{userId}/PlayingItems/{itemId} (10.8, kept hidden since), Emby's /Users/{userId}/…
 * with a POST …/Delete for the stop. They feed the same report as /Sessions/Playing*, for the
 * token's session: the userId in the path is not used (Jellyfin binds it and ignores it;
 * Emby is given the same rule, a guess). Start takes no position; progress and stop do.
 */
function playingItem(event: 'start' | 'progress' | 'stop'): Handler {
  return (ctx, p) => {
    const env = ctx.env;
    const params = ctx.req.params;
    if (p.userId !== undefined && env.dialect === 'jellyfin' && !GUID_LIKE.test(p.userId)) {
      return invalidParam(env, 'userId', `The value '${p.userId}' is not valid.`);
    }
    const body: Record<string, unknown> = { itemid: checkId(env, 'itemId', p.itemId ?? '') };
    if (event !== 'start') {
      const position = readLong(env, params, 'PositionTicks');
      if (position !== undefined) body.positionticks = position;
    }
    if (event === 'progress') body.ispaused = readBool(env, params, 'IsPaused') ?? false;
    const method = params.get('PlayMethod');
    if (method !== undefined && method !== '') {
      const known = PLAY_METHODS.find((m) => m.toLowerCase() === method.toLowerCase());
      if (!known) return invalidParam(env, 'playMethod', `The value '${method}' is not valid.`);
      body.playmethod = known;
    }
    for (const [name, key] of [
      ['PlaySessionId', 'playsessionid'],
      ['MediaSourceId', 'mediasourceid'],
    ] as const) {
      const value = params.get(name);
      if (value !== undefined && value !== '') body[key] = value;
    }
    reportPlayback(ctx, event, body);
    return writeDone(ctx);
  };
}

// ---- the table -----------------------------------------------------------------------------

const ROUTES: Route[] = [
  route('GET', '/System/Info/Public', publicInfo, { public: true }),
  route('GET', '/System/Info', fullInfo),
  route('GET', '/System/Ping', ping, { public: true }),
  route('POST', '/System/Ping', ping, { public: true }),

  route('GET', '/Users', users),
  route('GET', '/Users/Me', me, { dialects: JELLYFIN }),
  route('GET', '/Users/Query', usersQuery, { dialects: EMBY }),
  route('POST', '/Users/AuthenticateByName', authenticateByName, { public: true }),
  route('GET', '/Users/Public', publicUsers, { public: true }),
  route('GET', '/Users/{userId}', userById),

  route('GET', '/UserViews', (ctx) => views(ctx, ctx.req.params.get('userId')), { dialects: JELLYFIN, since: V10_9 }),
  route('GET', '/Users/{userId}/Views', (ctx, p) => views(ctx, p.userId)),

  route('GET', '/Items', (ctx) => items(ctx, ctx.req.params.get('userId'))),
  route('GET', '/Items/{itemId}', (ctx, p) => itemDetail(ctx, ctx.req.params.get('userId'), p.itemId), { dialects: JELLYFIN, since: V10_9 }),
  route('GET', '/UserItems/Resume', (ctx) => resume(ctx, ctx.req.params.get('userId')), { dialects: JELLYFIN, since: V10_9 }),
  route('GET', '/UserItems/{itemId}/UserData', (ctx, p) => getUserData(ctx, ctx.req.params.get('userId'), p.itemId), { dialects: JELLYFIN, since: V10_9 }),
  route('POST', '/UserItems/{itemId}/UserData', (ctx, p) => postUserData(ctx, ctx.req.params.get('userId'), p.itemId), { dialects: JELLYFIN, since: V10_9 }),
  route('POST', '/UserPlayedItems/{itemId}', (ctx, p) => played(ctx, ctx.req.params.get('userId'), p.itemId, true), { dialects: JELLYFIN, since: V10_9 }),
  route('DELETE', '/UserPlayedItems/{itemId}', (ctx, p) => played(ctx, ctx.req.params.get('userId'), p.itemId, false), { dialects: JELLYFIN, since: V10_9 }),

  route('GET', '/Users/{userId}/Items', (ctx, p) => items(ctx, p.userId)),
  route('GET', '/Users/{userId}/Items/Resume', (ctx, p) => resume(ctx, p.userId)),
  route('GET', '/Users/{userId}/Items/{itemId}', (ctx, p) => itemDetail(ctx, p.userId, p.itemId)),
  route('GET', '/Users/{userId}/Items/{itemId}/UserData', (ctx, p) => getUserData(ctx, p.userId, p.itemId), { dialects: JELLYFIN, since: V10_9 }),
  route('POST', '/Users/{userId}/Items/{itemId}/UserData', (ctx, p) => postUserData(ctx, p.userId, p.itemId), { since: V10_9 }),
  route('POST', '/Users/{userId}/Items/{itemId}/HideFromResume', hideResume, { dialects: EMBY }),
  route('POST', '/UserFavoriteItems/{itemId}', (ctx, p) => favorite(ctx, ctx.req.params.get('userId'), p.itemId, true), { dialects: JELLYFIN, since: V10_9 }),
  route('DELETE', '/UserFavoriteItems/{itemId}', (ctx, p) => favorite(ctx, ctx.req.params.get('userId'), p.itemId, false), {
    dialects: JELLYFIN,
    since: V10_9,
  }),
  route('POST', '/Users/{userId}/FavoriteItems/{itemId}', (ctx, p) => favorite(ctx, p.userId, p.itemId, true)),
  route('DELETE', '/Users/{userId}/FavoriteItems/{itemId}', (ctx, p) => favorite(ctx, p.userId, p.itemId, false)),
  route('POST', '/Users/{userId}/FavoriteItems/{itemId}/Delete', (ctx, p) => favorite(ctx, p.userId, p.itemId, false), { dialects: EMBY }),
  route('POST', '/Users/{userId}/PlayedItems/{itemId}', (ctx, p) => played(ctx, p.userId, p.itemId, true)),
  route('DELETE', '/Users/{userId}/PlayedItems/{itemId}', (ctx, p) => played(ctx, p.userId, p.itemId, false)),
  route('POST', '/Users/{userId}/PlayedItems/{itemId}/Delete', (ctx, p) => played(ctx, p.userId, p.itemId, false), { dialects: EMBY }),

  route('GET', '/Shows/NextUp', showsNextUp),
  route('GET', '/Shows/{seriesId}/Episodes', showEpisodes),
  route('GET', '/Shows/{seriesId}/Seasons', showSeasons),

  route('POST', '/PlayingItems/{itemId}', playingItem('start'), { dialects: JELLYFIN, since: V10_9 }),
  route('POST', '/PlayingItems/{itemId}/Progress', playingItem('progress'), { dialects: JELLYFIN, since: V10_9 }),
  route('DELETE', '/PlayingItems/{itemId}', playingItem('stop'), { dialects: JELLYFIN, since: V10_9 }),
  route('POST', '/Users/{userId}/PlayingItems/{itemId}', playingItem('start')),
  route('POST', '/Users/{userId}/PlayingItems/{itemId}/Progress', playingItem('progress')),
  route('DELETE', '/Users/{userId}/PlayingItems/{itemId}', playingItem('stop')),
  route('POST', '/Users/{userId}/PlayingItems/{itemId}/Delete', playingItem('stop'), { dialects: EMBY }),

  route('GET', '/Sessions', sessions),
  route('POST', '/Sessions/Capabilities', capabilities),
  route('POST', '/Sessions/Capabilities/Full', capabilities),
  route('POST', '/Sessions/Playing', playing('start')),
  route('POST', '/Sessions/Playing/Progress', playing('progress')),
  route('POST', '/Sessions/Playing/Stopped', playing('stop')),
  route('POST', '/Sessions/Playing/Ping', playing('ping')),
];

/** The routes this server (dialect and version) has. */
export function activeRoutes(dialect: MediaBrowserDialect, version: string): Route[] {
  return ROUTES.filter((r) => r.dialects.includes(dialect) && (dialect !== 'jellyfin' || !r.since || versionAtLeast(version, r.since[0], r.since[1])));
}

export interface Handled {
  reply: Reply;
  caller?: Caller;
  client: ClientInfo;
}

/** Route, authenticate, answer. */
export function handleMediaBrowserRequest(req: MbRequest, env: MbEnv): Handled {
  const credentials = readCredentials(req, env.dialect, env.legacyAuth);
  const who = callerForToken(credentials.token, env.data());
  const handled = (reply: Reply): Handled => ({ reply, client: credentials.client, ...(who ? { caller: who } : {}) });
  const matching = activeRoutes(env.dialect, env.data().version).filter((r) => r.pattern.test(req.path));
  if (matching.length === 0) return handled(empty(404));
  const found = matching.find((r) => r.method === req.method);
  if (!found) return handled({ status: 405, headers: { Allow: [...new Set(matching.map((r) => r.method))].join(', ') }, body: '' });
  if (!found.public && !who) return handled(empty(401));
  const ctx: Ctx = { req, env, client: credentials.client, ...(who ? { caller: who } : {}) };
  // Any request of a user's client with a device keeps that client's session alive, as on real servers.
  if (who?.kind === 'user' && credentials.client.deviceId && credentials.client.client) sessionFor(ctx, who.user);
  const values = (found.pattern.exec(req.path) ?? []).slice(1);
  const params: Params = {};
  try {
    for (const [i, name] of found.names.entries()) params[name] = decodeURIComponent(values[i] ?? '');
    return handled(found.handle(ctx, params));
  } catch (error) {
    if (error instanceof HttpError) return handled(error.reply);
    if (error instanceof URIError) return handled(invalidParam(env, 'path', 'malformed escape'));
    throw error;
  }
}
