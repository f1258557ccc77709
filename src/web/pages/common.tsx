// What the dashboard's own pages share: how they get the CSRF token, how they read a GET form's
// query, and how an item, a time and a notice look.
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import type { z } from 'zod';
import type { ItemIdentity } from '../../core/model.ts';

/**
 * The CSRF token for this request's forms. The page modules take it as a function so that they do
 * not depend on how it is made: app.tsx passes security.ts's `csrfToken(c, ctx)`.
 */
export type CsrfOf = (c: Context) => string;

/** Where an item's page is (its canonical key, URL-encoded: keys hold `:`). */
export const itemHref = (key: string): string => `/items/${encodeURIComponent(key)}`;

/** A film as `Title (1999)`, an episode as `Show S01E02 · Title`. */
export function itemLabel(item: ItemIdentity): string {
  if (item.type === 'episode' && item.show?.title) {
    const pad = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
    return `${item.show.title} S${pad(item.season)}E${pad(item.episode)} · ${item.title}`;
  }
  return item.year !== undefined ? `${item.title} (${item.year})` : item.title;
}

/** An instant in UTC, minutes precision, machine-readable in `datetime`. */
export const When: FC<{ at: number }> = ({ at }) => {
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 16).replace('T', ' ')} UTC`}</time>;
};

/** A message after an action (or about a bad request), read out by screen readers. */
export const Notice: FC<{ text: string; kind?: 'ok' | 'error' }> = ({ text, kind = 'ok' }) => (
  <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {text}
  </p>
);

/**
 * A GET form's query through its schema. Empty fields (a select left on "All") count as absent.
 * Returns the zod issues in words when the query does not fit.
 */
export function readQuery<T>(c: Context, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; error: string } {
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(query);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') };
}

/** A link to the same page with some query fields changed (paging keeps the filters). */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}
