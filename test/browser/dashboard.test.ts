// The dashboard end to end in a real headless Chromium (Debian's, through playwright-core):
// `playhead serve` on Plex and Jellyfin emulators over real HTTP, every page loaded in a light and
// a dark theme, scanned by axe-core (no serious or critical violations), searched for secrets and
// saved as a screenshot under test-results/; then what a person does: "Sync now" and the live
// feed, a new position appearing in Continue Watching, a run's row to its item, an undo with its
// preview, the keyboard, and the login form of a serve with a token. Routes and markup are the
// dashboard contract's (/work/notes: section.pair, #activity, #positions, #decisions, …).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { formatViolations, launchBrowser, openPage, scanAccessibility, screenshot, secretsIn, type OpenedPage } from '../support/browser.ts';
import { PAIR, SOURCE, TARGET, startDashboardServe, type DashboardServe } from '../support/dashboard-serve.ts';
import { eventually } from '../integration/serve-support.ts';

const LIVE_WAIT_MS = 15_000;
const MARKER = '__playheadNoReload';

/** The page as it is now passes the scan and shows no secret; saved as test-results/dashboard-<name>.png. */
async function checkPage(page: Page, fixture: DashboardServe, name: string): Promise<void> {
  const violations = await scanAccessibility(page);
  assert.deepEqual(violations, [], `${name} (${page.url()}): serious or critical accessibility violations:\n${formatViolations(violations)}`);
  assert.deepEqual(secretsIn(await page.content(), fixture.secrets), [], `${name} shows a secret`);
  await screenshot(page, `dashboard-${name}`);
}

/** Opens `path` and waits until app.js has opened the live stream (events before that would be missed). */
async function openLive(browser: Browser, url: string, path: string): Promise<OpenedPage> {
  const opened = await openPage(browser, 'about:blank');
  const live = opened.page.waitForResponse((r) => new URL(r.url()).pathname === '/live', { timeout: 5_000 });
  await opened.page.goto(`${url}${path}`);
  await live.catch(() => assert.fail(`${path}: app.js did not open the live stream GET /live within 5 s`));
  // Set after load: a reload or a navigation would lose it.
  await opened.page.evaluate((marker) => Object.assign(globalThis, { [marker]: true }), MARKER);
  return opened;
}

/** The run serve made at start (the first full run): it wrote every film in progress upstairs. */
function firstFullRun(fixture: DashboardServe) {
  const run = fixture.store.runs({ pair: PAIR, limit: 50 }).findLast((r) => r.trigger === 'schedule' && r.finishedAt);
  assert.ok(run, 'the first full run is recorded');
  return run;
}

const notReloaded = (page: Page) => page.evaluate((marker) => (globalThis as Record<string, unknown>)[marker] === true, MARKER);

describe('the dashboard in Chromium (serve on a loopback address: no login)', () => {
  let fixture: DashboardServe;
  let browser: Browser;

  before(async () => {
    [fixture, browser] = await Promise.all([startDashboardServe(), launchBrowser()]);
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  test('every page answers, is accessible in the light and the dark theme, shows no secret, and is saved as a screenshot', async () => {
    const firstRun = firstFullRun(fixture);
    const film = fixture.inProgress[0]!;
    const pages: { name: string; path: string; expect: string }[] = [
      { name: 'overview', path: '/', expect: `section.pair[data-pair="${PAIR}"]` },
      { name: 'continue', path: '/continue', expect: 'table#positions' },
      { name: 'run', path: `/runs/${firstRun.id}`, expect: 'table#decisions' },
      { name: 'item', path: `/items/${encodeURIComponent(fixture.keyOf(film))}`, expect: 'svg[role="img"][aria-label]' },
      { name: 'waiting', path: '/waiting', expect: 'table#waiting' },
      { name: 'settings', path: '/settings', expect: 'main' },
    ];
    const opened = await openPage(browser, 'about:blank');
    try {
      for (const scheme of ['light', 'dark'] as const) {
        await opened.page.emulateMedia({ colorScheme: scheme });
        for (const p of pages) {
          const res = await opened.page.goto(`${fixture.url}${p.path}`);
          assert.equal(res?.status(), 200, `GET ${p.path}`);
          assert.ok(await opened.page.locator(p.expect).count(), `${p.path} has ${p.expect}`);
          await checkPage(opened.page, fixture, `${p.name}-${scheme}`);
        }
      }
      // Settings shows the configuration with its secrets redacted, not left out.
      assert.match(await opened.page.content(), /\[redacted\]/);
      assert.deepEqual(
        opened.errors.filter((e) => e.startsWith('page error')),
        [],
        'no script error on any page',
      );
    } finally {
      await opened.close();
    }
  });

  test('on a phone (375 px) the overview and Continue Watching do not scroll sideways', async () => {
    const opened = await openPage(browser, 'about:blank', { viewport: { width: 375, height: 740 }, isMobile: true });
    try {
      for (const [name, path] of [
        ['overview-phone', '/'],
        ['continue-phone', '/continue'],
      ] as const) {
        const res = await opened.page.goto(`${fixture.url}${path}`);
        assert.equal(res?.status(), 200, `GET ${path}`);
        const widths = await opened.page.evaluate(() => {
          const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
          return { scroll: root.scrollWidth, client: root.clientWidth };
        });
        assert.ok(widths.scroll <= widths.client, `${path} is ${widths.scroll} px wide on a ${widths.client} px screen`);
        await checkPage(opened.page, fixture, name);
      }
    } finally {
      await opened.close();
    }
  });

  test('"Sync now" runs the pair and the activity feed shows the finished run without a reload', async () => {
    const opened = await openLive(browser, fixture.url, '/');
    try {
      const before = fixture.store.runs({ pair: PAIR, limit: 1 })[0]?.id ?? 0;
      // The feed may start with recent events: wait for one more "finished" entry than it had.
      const finishedEntries = opened.page.locator('#activity li', { hasText: /finish/i });
      const shown = await finishedEntries.count();
      const pair = opened.page.locator(`section.pair[data-pair="${PAIR}"]`);
      await pair.getByRole('button', { name: 'Sync now', exact: true }).click();
      await eventually(async () => ((await finishedEntries.count()) > shown ? true : undefined), LIVE_WAIT_MS);
      assert.ok(await notReloaded(opened.page), 'the page was not reloaded (app.js submits "Sync now" in the background)');
      assert.equal(await opened.page.locator('#activity').getAttribute('aria-live'), 'polite');
      const run = await eventually(() => fixture.store.runs({ pair: PAIR, limit: 5 }).find((r) => r.id > before && r.finishedAt && !r.dryRun));
      assert.equal(run.status, 'ok');
      await screenshot(opened.page, 'dashboard-overview-after-sync');
    } finally {
      await opened.close();
    }
  });

  test('a new position on Plex appears in Continue Watching after a run, without a reload', async () => {
    const film = fixture.inProgress[1]!;
    const at = 41 * 60_000 + 10_000; // 41:10
    const opened = await openLive(browser, fixture.url, '/continue');
    try {
      const row = opened.page.locator(`#positions tr[data-key="${fixture.keyOf(film)}"]`);
      assert.equal(await row.count(), 1, `a row for ${film.title}`);
      assert.doesNotMatch((await row.locator(`td[data-provider="${SOURCE}"]`).textContent()) ?? '', /41:10/);
      fixture.setPlexPosition(film, at);
      await fixture.runPair();
      assert.equal(fixture.jfPositionMs(film), at, 'the run wrote the new position upstairs');
      await row.locator(`td[data-provider="${SOURCE}"]`, { hasText: '41:10' }).waitFor({ timeout: LIVE_WAIT_MS });
      await row.locator(`td[data-provider="${TARGET}"]`, { hasText: '41:10' }).waitFor({ timeout: LIVE_WAIT_MS });
      assert.ok(await notReloaded(opened.page), 'the table was refreshed in place, not by a reload');
      assert.ok(await row.locator('progress').count(), 'each position has a progress bar');
    } finally {
      await opened.close();
    }
  });

  test("a run's decision links to its item page, with the timeline chart; the title search filters the rows", async () => {
    const firstRun = firstFullRun(fixture);
    const film = fixture.inProgress[2]!;
    const opened = await openPage(browser, `${fixture.url}/runs/${firstRun.id}?q=${encodeURIComponent(film.title)}`);
    try {
      const rows = opened.page.locator('#decisions tr:has(td)');
      assert.ok((await rows.count()) >= 1, `a row for ${film.title}`);
      for (const text of await rows.allTextContents()) assert.ok(text.includes(film.title), `the search for ${film.title} shows only it, not: ${text}`);
      await rows.first().locator('a[href^="/items/"]').first().click();
      await opened.page.waitForURL(/\/items\//);
      assert.equal(decodeURIComponent(new URL(opened.page.url()).pathname), `/items/${fixture.keyOf(film)}`);
      const chart = opened.page.locator('svg[role="img"]');
      assert.equal(await chart.count(), 1, 'the timeline chart');
      assert.ok((await chart.getAttribute('aria-label'))?.trim(), 'the chart says what it shows');
      assert.ok((await opened.page.locator('main').textContent())?.includes(film.title), `the item page names ${film.title}`);
    } finally {
      await opened.close();
    }
  });

  test("undo from the run page: the preview changes nothing, the confirmation puts Jellyfin's position back", async () => {
    const film = fixture.inProgress[3]!;
    const previous = fixture.jfPositionMs(film);
    assert.ok(previous, `${film.title} was synced upstairs by the first run`);
    const later = previous + 10 * 60_000;
    fixture.setPlexPosition(film, later);
    const runId = await fixture.runPair();
    assert.equal(fixture.jfPositionMs(film), later);
    const opened = await openPage(browser, `${fixture.url}/runs/${runId}`);
    try {
      await opened.page.getByRole('button', { name: 'Preview undo', exact: true }).click();
      const confirm = opened.page.getByRole('button', { name: 'Undo this run', exact: true });
      await confirm.waitFor();
      assert.ok((await opened.page.locator('main').textContent())?.includes(film.title), `the preview names ${film.title}`);
      assert.equal(fixture.jfPositionMs(film), later, 'the preview wrote nothing');
      await checkPage(opened.page, fixture, 'undo-preview');
      await confirm.click();
      await eventually(() => (fixture.jfPositionMs(film) === previous ? true : undefined), LIVE_WAIT_MS);
      await opened.page.waitForLoadState();
      await checkPage(opened.page, fixture, 'undo-done');
    } finally {
      await opened.close();
    }
  });

  test('keyboard: the first Tab lands on the skip link, and Tab reaches "Sync now"', async () => {
    const opened = await openPage(browser, `${fixture.url}/`);
    try {
      const focused = () =>
        opened.page.evaluate(() => {
          const el = (
            globalThis as unknown as {
              document: { activeElement: { tagName: string; textContent: string | null; getAttribute(n: string): string | null } | null };
            }
          ).document.activeElement;
          return { tag: el?.tagName.toLowerCase() ?? '', text: el?.textContent?.trim() ?? '', href: el?.getAttribute('href') ?? '' };
        });
      await opened.page.keyboard.press('Tab');
      const first = await focused();
      assert.deepEqual({ tag: first.tag, href: first.href }, { tag: 'a', href: '#main' }, `the first Tab focuses the skip link, not ${JSON.stringify(first)}`);
      let reached = false;
      for (let i = 0; i < 80 && !reached; i++) {
        await opened.page.keyboard.press('Tab');
        const now = await focused();
        reached = now.tag === 'button' && now.text === 'Sync now';
      }
      assert.ok(reached, '"Sync now" is reachable with Tab');
    } finally {
      await opened.close();
    }
  });
});

describe('the dashboard behind PLAYHEAD_API_TOKEN: the login form', () => {
  const TOKEN = 'dashboard-test-token-5f1c9a';
  let fixture: DashboardServe;
  let browser: Browser;

  before(async () => {
    [fixture, browser] = await Promise.all([startDashboardServe({ token: TOKEN, ready: false }), launchBrowser()]);
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  test('a page asks to sign in; a wrong token is refused; the right one sets an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const opened = await openPage(browser, `${fixture.url}/`);
    try {
      const field = opened.page.locator('input[name="token"][type="password"]');
      await field.waitFor();
      assert.equal(await opened.page.locator('section.pair').count(), 0, 'nothing of the dashboard before signing in');
      await checkPage(opened.page, fixture, 'login');

      // Cookies the login page itself may set (a CSRF cookie, say) are not a session: compare.
      const jar = async () => new Map((await opened.context.cookies()).map((c) => [c.name, c]));
      const anonymous = await jar();
      await field.fill('not-the-token');
      await field.press('Enter');
      await opened.page.waitForLoadState();
      await opened.page.locator('input[name="token"][type="password"]').waitFor();
      const afterWrong = await jar();
      assert.deepEqual(
        [...afterWrong.values()].filter((c) => c.httpOnly && anonymous.get(c.name)?.value !== c.value).map((c) => c.name),
        [],
        'no session for a wrong token',
      );

      await opened.page.locator('input[name="token"][type="password"]').fill(TOKEN);
      await opened.page.locator('input[name="token"][type="password"]').press('Enter');
      await opened.page.locator(`section.pair[data-pair="${PAIR}"]`).waitFor();
      const cookies = [...(await jar()).values()];
      const fresh = cookies.filter((c) => afterWrong.get(c.name)?.value !== c.value);
      const described = JSON.stringify(fresh.map((c) => ({ ...c, value: '…' })));
      assert.ok(fresh.length > 0, 'signing in set a session cookie');
      assert.ok(
        fresh.every((c) => c.httpOnly && c.sameSite === 'Strict'),
        `the session cookie is HttpOnly and SameSite=Strict: ${described}`,
      );
      assert.ok(!cookies.some((c) => c.value.includes(TOKEN)), 'no cookie carries the token');
      assert.deepEqual(secretsIn(await opened.page.content(), fixture.secrets), [], 'the signed-in page shows no secret');
      // The session carries over to the other pages.
      const res = await opened.page.goto(`${fixture.url}/settings`);
      assert.equal(res?.status(), 200);
      assert.equal(await opened.page.locator('input[name="token"]').count(), 0);
    } finally {
      await opened.close();
    }
  });
});
