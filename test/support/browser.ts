// A real headless Chromium for the dashboard's browser tests: Debian's `chromium` (or
// PLAYHEAD_CHROMIUM) driven by playwright-core, which never downloads a browser of its own. A
// missing Chromium fails the tests with what to install: silently skipped browser tests would
// let an inaccessible or broken page pass CI.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Result } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where a person looks at what the browser saw (ignored by git). */
export const RESULTS_DIR = join(ROOT, 'test-results');

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.PLAYHEAD_CHROMIUM?.trim() || DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: the browser tests drive Debian's chromium (apt-get install chromium; .ci/run installs it), or set PLAYHEAD_CHROMIUM to a Chromium binary. playwright-core never downloads one.`,
    );
  }
  return path;
}

export async function launchBrowser(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  // Chromium refuses to start its sandbox as root (containers, CI).
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: chromiumPath(env), headless: true, args });
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** The HTTP status `url` answered (undefined for about:blank). */
  status: number | undefined;
  /** Uncaught script errors and console errors seen on the page so far. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh context (no cookies shared with other tests) with one page at `url`. */
export async function openPage(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  // A missing element fails in seconds with its selector, not after Playwright's 30 s default.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console error: ${msg.text()}`);
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  return { page, context, status: response?.status(), errors, close: () => context.close() };
}

export interface Violation {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  /** Each offending element: its selector and the start of its HTML. */
  nodes: { target: string; html: string }[];
}

/**
 * Runs axe-core in the page as it is now and returns the serious and critical violations (the
 * issue's bar). The source is evaluated over the DevTools protocol, so a page's
 * Content-Security-Policy (script-src 'self') does not stop it and need not be loosened for tests.
 */
export async function scanAccessibility(page: Page): Promise<Violation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in globalThis);
  if (!hasAxe) await page.evaluate(axe.source);
  const results = await page.evaluate(async () => {
    // Runs in the page (this project's types have no DOM lib): the whole document, violations only.
    const inPage = globalThis as unknown as { document: object; axe: { run(context: object, options: object): Promise<{ violations: Result[] }> } };
    const { violations } = await inPage.axe.run(inPage.document, { resultTypes: ['violations'] });
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), html: n.html.slice(0, 160) })),
    }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One readable block per violation, for an assertion message. */
export function formatViolations(violations: Violation[]): string {
  return violations
    .map((v) => [`[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`, ...v.nodes.map((n) => `    at ${n.target}: ${n.html}`)].join('\n'))
    .join('\n');
}

/** A full-page PNG at test-results/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string, dir = RESULTS_DIR, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? true });
  return path;
}

/** The configured secrets found in `html` (none is the only right answer), named by `label` not value. */
export function secretsIn(html: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length > 0 && html.includes(value))
    .map(([label]) => label);
}
