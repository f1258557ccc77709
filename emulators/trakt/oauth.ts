// OAuth: device flow, refresh-token rotation, revoke (protocols.md §4.1). Served at the emulator
// root, i.e. `/oauth/...`: real Trakt moved these to https://auth.trakt.tv (same paths), and
// clients keep the OAuth base configurable, so both hosts map onto this one server.
import { findAccessToken, findRefreshToken, issueToken, rotateToken, tokenResponse } from './auth.ts';
import type { RouteContext, TraktEnv } from './env.ts';
import { emptyReply, errorReply, jsonReply, type Reply } from './reply.ts';

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

const INVALID_CLIENT = () =>
  errorReply(
    401,
    'invalid_client',
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  );

const INVALID_GRANT = () =>
  errorReply(
    400,
    'invalid_grant',
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  );

function clientMatches(env: TraktEnv, body: unknown, needSecret: boolean): boolean {
  const { app } = env.data();
  if (field(body, 'client_id') !== app.clientId) return false;
  return !needSecret || field(body, 'client_secret') === app.clientSecret;
}

/** POST /oauth/device/code {client_id} */
export function deviceCode(ctx: RouteContext): Reply {
  const { env } = ctx;
  if (!clientMatches(env, ctx.body, false)) {
    return errorReply(403, 'invalid_api_key', 'Unknown client_id (invalid API key or unapproved app).');
  }
  const { settings } = env.data();
  const grant = env.devices.create(env.data().app.clientId, env.now(), settings.deviceCodeExpiresIn, settings.deviceCodeInterval);
  return jsonReply(200, {
    device_code: grant.deviceCode,
    user_code: grant.userCode,
    verification_url: 'https://trakt.tv/activate',
    expires_in: settings.deviceCodeExpiresIn,
    interval: grant.interval,
  });
}

/**
 * POST /oauth/device/token {code, client_id, client_secret}: 200 tokens once approved; otherwise
 * a bare status, as Trakt sends it: 400 pending, 404 unknown code, 409 already used, 410 expired,
 * 418 denied, 429 polled sooner than `interval` after the previous poll.
 */
export function deviceToken(ctx: RouteContext): Reply {
  const { env } = ctx;
  if (!clientMatches(env, ctx.body, true)) return INVALID_CLIENT();
  const code = field(ctx.body, 'code');
  const grant = code === undefined ? undefined : env.devices.byDeviceCode(code);
  if (!grant) return emptyReply(404);
  if (grant.state === 'used') return emptyReply(409);
  const now = env.now();
  if (now >= grant.expiresAt) return emptyReply(410);
  if (grant.state === 'denied') return emptyReply(418);
  const previous = grant.lastPolledAt;
  grant.lastPolledAt = now;
  if (previous !== undefined && now - previous < grant.interval * 1000) return emptyReply(429);
  if (grant.state === 'pending') return emptyReply(400);
  const user = env.data().users.find((u) => u.username === grant.username);
  if (!user) return emptyReply(404); // the user was removed from the state after approving
  grant.state = 'used';
  return jsonReply(200, tokenResponse(issueToken(env.data(), env.secrets, user, now)));
}

/** POST /oauth/token: refresh_token rotation (single-use refresh tokens). */
export function token(ctx: RouteContext): Reply {
  const { env } = ctx;
  const grantType = field(ctx.body, 'grant_type');
  if (grantType !== 'refresh_token' && grantType !== 'authorization_code') {
    return errorReply(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
  }
  if (!clientMatches(env, ctx.body, true)) return INVALID_CLIENT();
  // No authorize page here, so no authorization code is ever valid.
  if (grantType === 'authorization_code') return INVALID_GRANT();
  const refresh = field(ctx.body, 'refresh_token');
  const found = refresh === undefined ? undefined : findRefreshToken(env.data(), refresh);
  if (!found) return INVALID_GRANT();
  return jsonReply(200, tokenResponse(rotateToken(env.data(), env.secrets, found.token, env.now())));
}

/** POST /oauth/revoke {token, client_id, client_secret}: ends the grant; unknown tokens are fine (200). */
export function revoke(ctx: RouteContext): Reply {
  const { env } = ctx;
  if (!clientMatches(env, ctx.body, true)) return INVALID_CLIENT();
  const value = field(ctx.body, 'token');
  const found = value === undefined ? undefined : (findAccessToken(env.data(), value) ?? findRefreshToken(env.data(), value));
  if (found) found.user.tokens = found.user.tokens.filter((t) => t !== found.token);
  return jsonReply(200, {});
}
