// Routing and the checks every Trakt call goes through, in this order:
//   unknown path → 404, known path with another method → 405;
//   API routes: `trakt-api-key` must be the client id → 403; `trakt-api-version` must be 2 → 400;
//   POST/PUT/DELETE: `Content-Type: application/json` → 412 otherwise (OAuth routes also take a
//   form-encoded body, as OAuth servers do);
//   OAuth-required routes: `Authorization: Bearer <token>` valid and unexpired → 401 otherwise
//   (optional-auth routes check a token only when one is sent);
//   rate limits → 429; a body that is not JSON → 400; then the handler.
import { findAccessToken, type TokenMatch } from './auth.ts';
import type { RouteContext, TraktEnv } from './env.ts';
import { searchById, userSettings, watching } from './lookup.ts';
import { deviceCode, deviceToken, revoke, token } from './oauth.ts';
import type { Limit, RateLimiter } from './ratelimit.ts';
import { errorReply, type Reply, type TraktRequest } from './reply.ts';
import { scrobble } from './scrobble.ts';
import { addHistory, deletePlayback, lastActivities, listHistory, listPlayback, removeHistory } from './sync.ts';

type AuthLevel = 'none' | 'optional' | 'required';

interface Route {
  method: string;
  pattern: RegExp;
  /** `oauth` routes take client_id in the body instead of the trakt-api-* headers. */
  kind: 'api' | 'oauth';
  auth: AuthLevel;
  handle(ctx: RouteContext): Reply;
}

const api = (method: string, pattern: RegExp, auth: AuthLevel, handle: Route['handle']): Route => ({ method, pattern, kind: 'api', auth, handle });
const oauth = (pattern: RegExp, handle: Route['handle']): Route => ({ method: 'POST', pattern, kind: 'oauth', auth: 'none', handle });

const ROUTES: readonly Route[] = [
  oauth(/^\/oauth\/device\/code$/, deviceCode),
  oauth(/^\/oauth\/device\/token$/, deviceToken),
  oauth(/^\/oauth\/token$/, token),
  oauth(/^\/oauth\/revoke$/, revoke),
  api('GET', /^\/sync\/playback(?:\/(movies|episodes))?$/, 'required', listPlayback),
  api('DELETE', /^\/sync\/playback\/([^/]+)$/, 'required', deletePlayback),
  api('POST', /^\/scrobble\/start$/, 'required', (ctx) => scrobble(ctx, 'start')),
  api('POST', /^\/scrobble\/pause$/, 'required', (ctx) => scrobble(ctx, 'pause')),
  api('POST', /^\/scrobble\/stop$/, 'required', (ctx) => scrobble(ctx, 'stop')),
  api('GET', /^\/sync\/last_activities$/, 'required', lastActivities),
  api('GET', /^\/sync\/history(?:\/(movies|shows|episodes)(?:\/([^/]+))?)?$/, 'required', listHistory),
  api('POST', /^\/sync\/history$/, 'required', addHistory),
  api('POST', /^\/sync\/history\/remove$/, 'required', removeHistory),
  api('GET', /^\/search\/([^/]+)\/([^/]+)$/, 'optional', searchById),
  api('GET', /^\/users\/settings$/, 'required', userSettings),
  api('GET', /^\/users\/([^/]+)\/watching$/, 'optional', watching),
];

export interface Limits {
  write: Limit;
  get: Limit;
  unauthedGet: Limit;
}

export interface Dispatched {
  reply: Reply;
  /** Username behind a valid token, for the request log. */
  user?: string;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

function contentType(request: TraktRequest): string {
  return (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function parseBody(request: TraktRequest, kind: Route['kind']): { ok: true; value: unknown } | { ok: false; reply: Reply } {
  if (!WRITE_METHODS.has(request.method)) return { ok: true, value: undefined };
  if (kind === 'oauth' && contentType(request) === 'application/x-www-form-urlencoded') {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(request.body)) };
  }
  if (request.body.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(request.body) };
  } catch {
    return { ok: false, reply: errorReply(400, 'invalid_json', 'the request body is not valid JSON') };
  }
}

type Authorized = { ok: true; auth?: TokenMatch } | { ok: false; reply: Reply };

function authorize(request: TraktRequest, env: TraktEnv, level: AuthLevel): Authorized {
  if (level === 'none') return { ok: true };
  const header = request.header('authorization');
  if (header === undefined || header.trim() === '') {
    return level === 'required'
      ? { ok: false, reply: errorReply(401, 'invalid_token', 'OAuth must be provided (Authorization: Bearer <access_token>)') }
      : { ok: true };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const found = bearer ? findAccessToken(env.data(), bearer[1]!) : undefined;
  if (!found) return { ok: false, reply: errorReply(401, 'invalid_token', 'The access token is invalid') };
  if (Date.parse(found.token.expiresAt) <= env.now()) {
    return { ok: false, reply: errorReply(401, 'invalid_token', 'The access token expired') };
  }
  return { ok: true, auth: found };
}

/** The username a request's bearer token belongs to (for logging faulted requests). */
export function userOfRequest(request: TraktRequest, env: TraktEnv): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '');
  return bearer ? findAccessToken(env.data(), bearer[1]!)?.user.username : undefined;
}

export function handleTraktRequest(request: TraktRequest, env: TraktEnv, limiter: RateLimiter, limits: Limits): Dispatched {
  const candidates = ROUTES.filter((r) => r.pattern.test(request.path));
  if (candidates.length === 0) return { reply: errorReply(404, 'not_found', `no route ${request.path}`) };
  const route = candidates.find((r) => r.method === request.method);
  if (!route) {
    const allow = [...new Set(candidates.map((r) => r.method))].join(', ');
    return { reply: errorReply(405, 'method_not_allowed', `${request.method} is not allowed on ${request.path}`, { Allow: allow }) };
  }
  const app = env.data().app;
  if (route.kind === 'api') {
    if (request.header('trakt-api-key') !== app.clientId) {
      return { reply: errorReply(403, 'invalid_api_key', 'Invalid API key (trakt-api-key) or unapproved app') };
    }
    const version = request.header('trakt-api-version');
    if (version?.trim() !== '2') {
      return { reply: errorReply(400, 'invalid_api_version', `trakt-api-version must be 2, got ${version === undefined ? 'none' : `"${version}"`}`) };
    }
  }
  if (WRITE_METHODS.has(request.method)) {
    const type = contentType(request);
    const accepted = type === 'application/json' || (route.kind === 'oauth' && type === 'application/x-www-form-urlencoded');
    if (!accepted) return { reply: errorReply(412, 'invalid_content_type', 'Use application/json for the content type') };
  }
  const authorized = authorize(request, env, route.auth);
  if (!authorized.ok) return { reply: authorized.reply };
  const auth = authorized.auth;
  const user = auth?.user.username;
  if (route.kind === 'api') {
    const now = env.now();
    const limited = auth
      ? limiter.take(auth.token.accessToken, WRITE_METHODS.has(request.method) ? limits.write : limits.get, now)
      : limiter.take(app.clientId, limits.unauthedGet, now);
    if (limited) return { reply: limited, ...(user ? { user } : {}) };
  }
  const body = parseBody(request, route.kind);
  if (!body.ok) return { reply: body.reply, ...(user ? { user } : {}) };
  const match = Array.from(route.pattern.exec(request.path)!, (group) => group ?? '');
  const reply = route.handle({ request, env, match, ...(auth ? { auth } : {}), body: body.value });
  return { reply, ...(user ? { user } : {}) };
}
