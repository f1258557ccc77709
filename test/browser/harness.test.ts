// The browser harness itself: Chromium starts from the configured path (and says what to install
// when it is missing), the accessibility scan can fail (an unlabelled control is reported, a
// labelled one is not) even under a strict Content-Security-Policy like the dashboard's, and a
// screenshot is a real PNG on disk.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { formatViolations, launchBrowser, openPage, scanAccessibility, screenshot, secretsIn } from '../support/browser.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harness</title></head>
<body><main><h1>Harness</h1>
<form>
  <label for="named">Named</label><input id="named" name="named">
  <input id="nameless" name="nameless">
</form></main></body></html>`;

describe('browser harness', () => {
  let server: Server;
  let url: string;
  let browser: Browser;

  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'self'" });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the scan reports the unlabelled control, not the labelled one, readably', async () => {
    const opened = await openPage(browser, url);
    try {
      const violations = await scanAccessibility(opened.page);
      const label = violations.find((v) => v.id === 'label');
      assert.ok(label, `the unlabelled input is a violation: ${formatViolations(violations)}`);
      assert.equal(label.impact, 'critical');
      assert.deepEqual(
        label.nodes.map((n) => n.target),
        ['#nameless'],
      );
      const text = formatViolations(violations);
      assert.match(text, /\[critical\] label: .+\n {4}at #nameless: <input id="nameless"/);
      // A second scan on the same page reuses the injected axe.
      assert.equal((await scanAccessibility(opened.page)).length, violations.length);
      assert.deepEqual(opened.errors, []);
    } finally {
      await opened.close();
    }
  });

  test('a screenshot is a PNG file under the results directory', async () => {
    const dir = join(tmpdir(), `playhead-shots-${process.pid}`);
    const opened = await openPage(browser, url);
    try {
      const path = await screenshot(opened.page, 'harness', dir);
      assert.equal(path, join(dir, 'harness.png'));
      assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    } finally {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing Chromium fails with what to install, never a silent skip', async () => {
    await assert.rejects(launchBrowser({ PLAYHEAD_CHROMIUM: '/nonexistent/chromium' }), /no Chromium at \/nonexistent\/chromium: .*apt-get install chromium/);
  });

  test('secretsIn names the secrets a page shows, by label', () => {
    assert.deepEqual(secretsIn('<p>token abc123</p>', { plexToken: 'abc123', jfToken: 'zzz', empty: '' }), ['plexToken']);
  });
});
