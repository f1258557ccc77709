// The dashboard as a browser without JavaScript sees it: pages fetched over real HTTP, forms
// posted url-encoded, redirects read (not followed), cookies carried by hand.
import { request } from 'undici';

export interface PageAnswer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  /** Where a redirect points. */
  location?: string;
}

async function answer(res: Awaited<ReturnType<typeof request>>): Promise<PageAnswer> {
  const text = await res.body.text();
  const location = res.headers.location;
  return { status: res.statusCode, text, headers: res.headers, ...(typeof location === 'string' ? { location } : {}) };
}

export async function page(url: string, path: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
  return answer(await request(`${url}${path}`, { headers }));
}

export async function postForm(url: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
  return answer(
    await request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

/** The CSRF token a page's forms carry (its <meta name="csrf-token">). */
export function csrfOf(html: string): string {
  const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no csrf-token on the page');
  return token;
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
export function cookieOf(answer: PageAnswer): string {
  const set = answer.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (!first) throw new Error('no Set-Cookie');
  return first.split(';')[0] ?? '';
}
