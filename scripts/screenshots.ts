// `npm run screenshots`: the README's two pictures of the dashboard, taken from the demo's data.
// The demo runs as in a terminal, and while its serve is up, Debian's Chromium (the browser tests'
// harness) saves the overview and Continue Watching to docs/images/. Run it after a change to the
// pages, look at the PNGs, commit them.
import { join } from 'node:path';
import { runDemo } from '../src/cli/demo.ts';
import { ROOT } from '../test/support/cli.ts';
import { launchBrowser, openPage, screenshot } from '../test/support/browser.ts';

const OUT = join(ROOT, 'docs', 'images');
/** Each picture: the page, the element that proves it is the dashboard's page, the file name. */
const SHOTS = [
  { path: '', expect: 'section.pair', name: 'overview' },
  { path: 'continue', expect: 'table#positions', name: 'continue-watching' },
];

async function takeScreenshots(dashboardUrl: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    for (const shot of SHOTS) {
      const opened = await openPage(browser, `${dashboardUrl}${shot.path}`, { colorScheme: 'light', viewport: { width: 1440, height: 900 } });
      try {
        if (opened.status !== 200 || (await opened.page.locator(shot.expect).count()) === 0) {
          throw new Error(`${dashboardUrl}${shot.path} answered ${opened.status} without ${shot.expect}: is the dashboard mounted?`);
        }
        process.stdout.write(`   saved ${await screenshot(opened.page, shot.name, OUT, { fullPage: false })}\n`);
      } finally {
        await opened.close();
      }
    }
  } finally {
    await browser.close();
  }
}

process.exitCode = await runDemo({ json: false, keepServing: takeScreenshots });
