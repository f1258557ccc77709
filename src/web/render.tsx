// One way to answer a page: the layout around the page's content, as a full HTML document.
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { Layout, type Section } from './layout.tsx';

export interface PageMeta {
  title: string;
  section: Section;
  csrf: string;
  status?: 200 | 400 | 403 | 404 | 409 | 500 | 503;
}

export function renderPage(c: Context, meta: PageMeta, body: Child): Response {
  const html = `<!doctype html>${String(
    <Layout title={meta.title} section={meta.section} csrf={meta.csrf}>
      {body}
    </Layout>,
  )}`;
  return c.html(html, meta.status ?? 200);
}
