// The request as route handlers see it, the environment they run in, and the dialect-aware
// replies (status codes and error bodies the way each server writes them).
import { hexDigest } from '../random.ts';
import type { Reply } from '../common/http.ts';
import type { MbApiKey, MbItem, MbSession, MbUser, MediaBrowserDialect, MediaBrowserEmulatorData } from './data.ts';
import type { MbCatalog } from './library.ts';

/**
 * Query parameters with case-insensitive names: both servers bind `userId`, `UserId` and
 * `userid` alike. Lists may be comma-separated or repeated (`a=1,2` or `a=1&a=2`).
 */
export class Params {
  private readonly byName = new Map<string, string[]>();

  constructor(readonly raw: URLSearchParams) {
    for (const [name, value] of raw) {
      const key = name.toLowerCase();
      const values = this.byName.get(key) ?? [];
      values.push(value);
      this.byName.set(key, values);
    }
  }

  get(name: string): string | undefined {
    return this.byName.get(name.toLowerCase())?.[0];
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  /** Comma-separated and repeated values, trimmed, empty ones dropped. */
  list(name: string): string[] {
    return (this.byName.get(name.toLowerCase()) ?? [])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }
}

export interface MbRequest {
  method: string;
  /** Path without the `/emby` prefix and trailing slash. */
  path: string;
  params: Params;
  /** Header value by case-insensitive name. */
  header(name: string): string | undefined;
  body: string;
}

/** Who the token belongs to: a user, or a server API key (admin rights, no user). */
export type Caller = { kind: 'user'; user: MbUser; token: string } | { kind: 'apiKey'; key: MbApiKey; token: string };

/** Client, Device, DeviceId, Version from the authorization header, when sent. */
export interface ClientInfo {
  client?: string;
  device?: string;
  deviceId?: string;
  version?: string;
}

export interface MbEnv {
  dialect: MediaBrowserDialect;
  catalog: MbCatalog;
  data(): MediaBrowserEmulatorData;
  /** Epoch milliseconds (injectable for tests). */
  now(): number;
  /** Jellyfin's EnableLegacyAuthorization (true in 10.11, false in 12.0). */
  legacyAuth: boolean;
  /** When the emulator started: the users' fallback activity date. */
  startedAt: number;
  /** Where playback reports and played marks are announced (websocket messages, webhooks). */
  events: MbEvents;
}

/** One playback report, after the emulator applied it. */
export interface MbPlaybackEvent {
  kind: 'start' | 'progress' | 'stop';
  user: MbUser;
  session: MbSession;
  item: MbItem;
  positionTicks: number | undefined;
  isPaused: boolean;
  /** The session was paused before this report (Emby's pause/unpause events). */
  wasPaused: boolean;
  /** A stop that the server counted as watched to the end. */
  playedToCompletion: boolean;
  /** As reported, or as the session had it (a stop clears the session's before it is announced). */
  mediaSourceId: string | undefined;
  playMethod: MbSession['playMethod'];
}

export interface MbEvents {
  playback(event: MbPlaybackEvent): void;
  /** Mark played / unplayed through the API (Emby's item.markplayed / item.markunplayed). */
  marked(user: MbUser, item: MbItem, played: boolean): void;
}

export interface Ctx {
  req: MbRequest;
  env: MbEnv;
  /** Absent only on public routes called without a token. */
  caller?: Caller;
  client: ClientInfo;
}

export function isAdmin(caller: Caller | undefined): boolean {
  return caller !== undefined && (caller.kind === 'apiKey' || caller.user.admin);
}

/** `10.8.13` → [10, 8, 13]; non-numeric parts count as 0. */
function versionParts(version: string): number[] {
  return version.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = versionParts(version);
  return a > major || (a === major && b >= minor);
}

// ---- replies -------------------------------------------------------------------------------

/** Thrown by helpers deep inside a handler; the router answers its reply. */
export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
let traceCounter = 0;

function traceId(): string {
  traceCounter++;
  return `00-${hexDigest(`trace:${traceCounter}`, 32)}-${hexDigest(`span:${traceCounter}`, 16)}-00`;
}

/** Keys whose values are dictionaries: their own keys are data, never re-cased. */
const DICTIONARY_KEYS = new Set(['ProviderIds', 'ImageTags', 'ImageBlurHashes']);

function camelCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), DICTIONARY_KEYS.has(key) ? inner : camelCase(inner)]),
  );
}

/**
 * Jellyfin's content negotiation (ASP.NET): Accept entries by quality, ties in the order sent; the
 * first one a JSON formatter serves decides. Only `application/json; profile="CamelCase"` there
 * means camelCase; plain `application/json` and the wildcards get the default PascalCase.
 * The official SDK sends `application/json,application/json; profile=CamelCase,…` and reads PascalCase.
 */
function wantsCamelCase(accept: string): boolean {
  const entries = accept.split(',').map((raw, index) => {
    const [type = '', ...params] = raw.split(';').map((part) => part.trim().toLowerCase());
    const param = (name: string) =>
      params
        .find((p) => p.replace(/\s+/g, '').startsWith(`${name}=`))
        ?.split('=')[1]
        ?.trim()
        .replace(/^"|"$/g, '');
    const q = Number(param('q') ?? '1');
    return { type, profile: param('profile'), q: Number.isNaN(q) ? 1 : q, index };
  });
  const chosen = entries
    .filter((e) => e.q > 0 && ['application/json', 'application/*', '*/*'].includes(e.type))
    .sort((a, b) => b.q - a.q || a.index - b.index)[0];
  return chosen?.type === 'application/json' && chosen.profile === 'camelcase';
}

/** 200 JSON; Jellyfin answers camelCase when asked with `Accept: application/json; profile="CamelCase"` (see above). */
export function ok(ctx: Ctx, value: unknown, status = 200): Reply {
  const camel = ctx.env.dialect === 'jellyfin' && wantsCamelCase(ctx.req.header('accept') ?? '');
  return { status, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(camel ? camelCase(value) : value) };
}

export function empty(status: number): Reply {
  return { status, headers: {}, body: '' };
}

function text(status: number, message: string): Reply {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: message };
}

function problem(status: number, title: string, extra: Record<string, unknown> = {}): Reply {
  const type = { 400: 'https://tools.ietf.org/html/rfc9110#section-15.5.1', 404: 'https://tools.ietf.org/html/rfc9110#section-15.5.5' }[status as 400 | 404];
  return {
    status,
    headers: { 'Content-Type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ ...(type ? { type } : {}), title, status, ...extra, traceId: traceId() }),
  };
}

/** Unknown item or user: Jellyfin's ProblemDetails, Emby's plain text. */
export function notFound(env: MbEnv, what = 'Item'): Reply {
  return env.dialect === 'jellyfin' ? problem(404, 'Not Found') : text(404, `${what} not found`);
}

/** A malformed parameter, as model binding reports it (Jellyfin) or a plain message (Emby). */
export function invalidParam(env: MbEnv, name: string, message: string): Reply {
  if (env.dialect === 'emby') return text(400, `${name}: ${message}`);
  return problem(400, 'One or more validation errors occurred.', { errors: { [name]: [message] } });
}

export function badRequest(env: MbEnv, message: string): Reply {
  return env.dialect === 'jellyfin' ? problem(400, 'Bad Request', { detail: message }) : text(400, message);
}

export function forbidden(message: string): Reply {
  return text(403, message);
}
