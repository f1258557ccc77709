// Where each dialect looks for the token, and whose token it is.
//
// Jellyfin (protocols.md §2.2): `Authorization: MediaBrowser Token="…", Client="…", …` always;
// the `ApiKey` query parameter always; with legacy authorization on (10.11 default, off in 12.0)
// also the `Emby` scheme, the `X-Emby-Authorization` header, `X-Emby-Token`/`X-MediaBrowser-Token`
// headers and the `api_key` query parameter.
// Emby (§3): the MediaBrowser/Emby schemes in `Authorization` or `X-Emby-Authorization`,
// `X-Emby-Token`/`X-MediaBrowser-Token` headers, the `api_key` query parameter.
import type { MediaBrowserEmulatorData } from './data.ts';
import type { Caller, ClientInfo, MbRequest } from './request.ts';

interface AuthorizationHeader {
  scheme: string;
  /** Lower-cased key → URL-decoded value. */
  fields: Map<string, string>;
}

function splitOutsideQuotes(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `MediaBrowser Token="abc", Client="x"` → scheme + fields; undefined when there is no `key=value`. */
function parseAuthorizationHeader(value: string): AuthorizationHeader | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s+(.*)$/s.exec(value);
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of splitOutsideQuotes(match[2] as string)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let raw = part.slice(eq + 1).trim();
    if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
    fields.set(key, decode(raw));
  }
  return fields.size > 0 ? { scheme: (match[1] as string).toLowerCase(), fields } : undefined;
}

export interface Credentials {
  token?: string;
  client: ClientInfo;
}

function clientInfo(header: AuthorizationHeader | undefined): ClientInfo {
  const info: ClientInfo = {};
  const pick = (key: string) => {
    const value = header?.fields.get(key);
    return value === undefined || value === '' ? undefined : value;
  };
  const client = pick('client');
  const device = pick('device');
  const deviceId = pick('deviceid');
  const version = pick('version');
  if (client) info.client = client;
  if (device) info.device = device;
  if (deviceId) info.deviceId = deviceId;
  if (version) info.version = version;
  return info;
}

/** The authorization header the dialect honours, if any. */
function authorizationHeader(req: MbRequest, dialect: 'jellyfin' | 'emby', legacyAuth: boolean): AuthorizationHeader | undefined {
  const legacy = dialect === 'emby' || legacyAuth;
  const schemes = legacy ? ['mediabrowser', 'emby'] : ['mediabrowser'];
  const candidates = legacy ? [req.header('x-emby-authorization'), req.header('authorization')] : [req.header('authorization')];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const parsed = parseAuthorizationHeader(candidate);
    if (parsed && schemes.includes(parsed.scheme)) return parsed;
  }
  return undefined;
}

export function readCredentials(req: MbRequest, dialect: 'jellyfin' | 'emby', legacyAuth: boolean): Credentials {
  const header = authorizationHeader(req, dialect, legacyAuth);
  const legacy = dialect === 'emby' || legacyAuth;
  const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  let token = nonEmpty(header?.fields.get('token'));
  if (legacy) token ??= nonEmpty(req.header('x-emby-token')) ?? nonEmpty(req.header('x-mediabrowser-token'));
  if (dialect === 'jellyfin') token ??= nonEmpty(req.params.get('ApiKey'));
  if (legacy) token ??= nonEmpty(req.params.get('api_key'));
  return { ...(token !== undefined ? { token } : {}), client: clientInfo(header) };
}

export function callerForToken(token: string | undefined, data: MediaBrowserEmulatorData): Caller | undefined {
  if (token === undefined) return undefined;
  const user = data.users.find((u) => u.token === token);
  if (user) return { kind: 'user', user, token };
  const key = data.apiKeys.find((k) => k.token === token);
  return key ? { kind: 'apiKey', key, token } : undefined;
}
