// Login (`/login`), only when serve has a token (a non-loopback bind): a form for the token that,
// once it matches, sets the session cookie (security.ts) and goes back to the page asked for.
import type { Context, Hono } from 'hono';
import type { DashboardContext } from './context.ts';
import { Notice } from './format.tsx';
import { renderPage } from './render.tsx';
import { csrfToken, safeNext, signIn, signOut } from './security.ts';

export function registerLogin(app: Hono, ctx: DashboardContext): void {
  const page = (c: Context, next: string, failed: boolean) =>
    renderPage(
      c,
      { title: 'Sign in', section: 'none', csrf: csrfToken(c, ctx), status: failed ? 403 : 200 },
      <>
        <Notice text={failed ? 'That is not the token this Playhead was started with.' : undefined} error />
        <form method="post" action="/login" class="card login">
          <input type="hidden" name="csrf" value={csrfToken(c, ctx)} />
          <input type="hidden" name="next" value={next} />
          <p>This Playhead is reachable from other machines: sign in with its API token (PLAYHEAD_API_TOKEN).</p>
          <label for="token">API token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
      </>,
    );

  app.get('/login', (c) => (ctx.token === undefined ? c.redirect('/', 303) : page(c, safeNext(c.req.query('next')), false)));

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    if (ctx.token === undefined) return c.redirect(next, 303);
    if (!signIn(c, ctx, typeof body.token === 'string' ? body.token : '')) {
      ctx.log.warn('dashboard sign-in refused: wrong token');
      return page(c, next, true);
    }
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    signOut(c);
    return c.redirect(ctx.token === undefined ? '/' : '/login', 303);
  });
}
