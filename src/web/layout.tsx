// The page frame every dashboard page renders into: head (one stylesheet, one small script, both
// served by this process), a skip link, the navigation, and the page's own content in <main>.
// No client framework: the page reads without JavaScript; /assets/app.js only adds live updates.
import type { Child, FC } from 'hono/jsx';

export type Section = 'overview' | 'continue' | 'waiting' | 'settings' | 'none';

const NAV: { section: Section; href: string; label: string }[] = [
  { section: 'overview', href: '/', label: 'Overview' },
  { section: 'continue', href: '/continue', label: 'Continue Watching' },
  { section: 'waiting', href: '/waiting', label: 'Waiting' },
  { section: 'settings', href: '/settings', label: 'Settings' },
];

export interface LayoutProps {
  title: string;
  section: Section;
  /** The CSRF token forms on this page carry (also in a <meta> for app.js). */
  csrf: string;
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({ title, section, csrf, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="csrf-token" content={csrf} />
      <title>{`${title} · Playhead`}</title>
      <link rel="stylesheet" href="/assets/style.css" />
      <script src="/assets/app.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Playhead
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li>
                <a href={n.href} aria-current={n.section === section ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabindex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);
