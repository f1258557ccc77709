// The dashboard: one hono app that serve mounts for every path that is not the API's or the
// webhooks'. Order matters: security headers on everything, the static assets (open: the login
// page needs them), the session check, the CSRF check of every POST, then the pages.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Context, Hono } from 'hono';
import { streamEvents } from '../serve/events.ts';
import type { DashboardContext } from './context.ts';
import { registerItem } from './item-page.tsx';
import { registerLogin } from './login.tsx';
import { registerOverview } from './overview.tsx';
import { registerContinue } from './pages/continue.tsx';
import { registerSettings } from './pages/settings.tsx';
import { registerWaiting } from './pages/waiting.tsx';
import { renderPage } from './render.tsx';
import { registerRun } from './run-page.tsx';
import { checkCsrf, csrfToken, requireSession, securityHeaders } from './security.ts';

interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** Read once at start: they ship with the code and do not change while serve runs. */
function loadAsset(name: string, type: string): Asset {
  const body = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

export function createDashboard(ctx: DashboardContext): Hono {
  const app = new Hono();
  const assets: Record<string, Asset> = {
    'style.css': loadAsset('style.css', 'text/css; charset=utf-8'),
    'app.js': loadAsset('app.js', 'text/javascript; charset=utf-8'),
  };

  app.use('*', securityHeaders);

  // Revalidated on every load (no-cache) but answered 304 while unchanged: an upgrade of serve
  // shows its new stylesheet at once, and an unchanged one costs a round trip of headers only.
  app.get('/assets/:name', (c) => {
    const asset = Object.hasOwn(assets, c.req.param('name')) ? assets[c.req.param('name')] : undefined;
    if (!asset) return c.text('not found', 404);
    const headers = { 'content-type': asset.type, 'cache-control': 'no-cache', etag: asset.etag };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });

  // Browsers ask for it on every page; there is none (the layout needs no image).
  app.get('/favicon.ico', (c) => c.body(null, 204, { 'cache-control': 'max-age=86400' }));

  app.use('*', requireSession(ctx));
  app.use('*', checkCsrf(ctx));

  app.onError((err, c) => {
    ctx.log.error({ err: err.message, path: c.req.path }, 'dashboard request failed');
    return renderPage(c, { title: 'Something went wrong', section: 'none', csrf: csrfToken(c, ctx), status: 500 }, <p>{err.message}</p>);
  });
  app.notFound((c) => renderPage(c, { title: 'Not found', section: 'none', csrf: csrfToken(c, ctx), status: 404 }, <p>There is no page here.</p>));

  // The page's live feed: the API's event stream, under the dashboard's session (EventSource sends no Authorization header).
  app.get('/live', (c) => streamEvents(c, ctx.events, ctx.signal));

  registerLogin(app, ctx);
  registerOverview(app, ctx);
  registerRun(app, ctx);
  registerItem(app, ctx);
  const csrf = (c: Context) => csrfToken(c, ctx);
  registerContinue(app, ctx, csrf);
  registerWaiting(app, ctx, csrf);
  registerSettings(app, ctx, csrf);

  return app;
}
