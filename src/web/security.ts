// The dashboard's two guards. A session: when serve has a token (a non-loopback bind), a person
// signs in once with it on /login and gets a cookie that proves it (HttpOnly, SameSite=Strict,
// an HMAC of a random session id under the installation's secret; never the token itself).
// CSRF: every form carries a token derived from the session (or, with no login, from the secret
// alone), which another site cannot read, and every POST is refused without it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { DashboardContext } from './context.ts';

const SESSION_COOKIE = 'playhead_session';
/** A sign-in lasts a month; signing out (or a new secret) ends it earlier. */
const SESSION_MAX_AGE_S = 30 * 24 * 3600;

function sign(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('base64url');
}

/** Constant time, so neither a signature nor the token can be guessed a character at a time. */
function sameSecret(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The session id of a valid cookie (`<id>.<issued>.<signature>`), or undefined. */
function sessionId(c: Context, ctx: DashboardContext): string | undefined {
  const cookie = getCookie(c, SESSION_COOKIE);
  const [id, issued, signature] = cookie?.split('.') ?? [];
  if (!id || !issued || !signature) return undefined;
  if (!sameSecret(signature, sign(ctx.secret, 'session', `${id}.${issued}`))) return undefined;
  const age = ctx.now() - Number(issued);
  return Number.isFinite(age) && age >= 0 && age < SESSION_MAX_AGE_S * 1000 ? id : undefined;
}

function signedIn(c: Context, ctx: DashboardContext): boolean {
  return ctx.token === undefined || sessionId(c, ctx) !== undefined;
}

/** The token every form of this page carries; tied to the session when there is one. */
export function csrfToken(c: Context, ctx: DashboardContext): string {
  return sign(ctx.secret, 'csrf', sessionId(c, ctx) ?? 'no-session');
}

/** Checks the token given against PLAYHEAD_API_TOKEN and, if it matches, starts a session. */
export function signIn(c: Context, ctx: DashboardContext, given: string): boolean {
  if (ctx.token === undefined || !sameSecret(given, ctx.token)) return false;
  const value = `${randomBytes(16).toString('base64url')}.${ctx.now()}`;
  setCookie(c, SESSION_COOKIE, `${value}.${sign(ctx.secret, 'session', value)}`, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: SESSION_MAX_AGE_S,
  });
  return true;
}

export function signOut(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/** Pages other than /login and /assets need a session when serve has a token. */
export function requireSession(ctx: DashboardContext): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (path === '/login' || path.startsWith('/assets/') || signedIn(c, ctx)) return next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      if (path === '/live') return c.text('sign in first', 401);
      return c.redirect(`/login?next=${encodeURIComponent(c.req.url.slice(new URL(c.req.url).origin.length))}`, 303);
    }
    return c.text('sign in first', 401);
  };
}

/** Every POST carries the page's CSRF token (form field `csrf`, or header `x-csrf-token` from app.js). */
export function checkCsrf(ctx: DashboardContext): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    let given = c.req.header('x-csrf-token');
    if (given === undefined) {
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const field = (await c.req.parseBody()).csrf;
        if (typeof field === 'string') given = field;
      }
    }
    if (given === undefined || !sameSecret(given, csrfToken(c, ctx)))
      return c.text('this form has expired or did not come from this page: reload it and try again', 403);
    return next();
  };
}

/** Headers every dashboard answer carries: no framing, no inline script, no sniffing. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'same-origin');
  c.header('x-frame-options', 'DENY');
};

/** A path to go back to after signing in: only one of ours (no `//host`, no scheme). */
export function safeNext(next: string | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
