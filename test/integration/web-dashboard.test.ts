// The dashboard of `playhead serve` over two Plex emulators, as a browser without JavaScript uses
// it: real process on port 0, real HTTP. Pages, assets, CSRF, Sync now, undo from the run page,
// the item page, the live stream, and no secret on any page.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { items, progressOn, timelineWrites, twin, userState, type PlexPair, startPlexPair } from '../support/plex-pair.ts';
import { formatDuration } from '../../src/core/time.ts';
import { api, eventually, startServeCli, subscribe, type RunningServeCli } from './serve-support.ts';
import { csrfOf, page, postForm } from './web-support.ts';

interface RunRow {
  id: number;
  status: string;
  trigger?: string;
  counts: Record<string, number>;
}

describe('playhead serve: the dashboard', () => {
  let p: PlexPair;
  let serve: RunningServeCli;
  let movie: ReturnType<typeof items>[number];
  const visited: { path: string; text: string }[] = [];
  const visit = async (path: string) => {
    const r = await page(serve.url, path);
    visited.push({ path, text: r.text });
    return r;
  };

  before(async () => {
    p = await startPlexPair();
    movie = progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
    progressOn(p.source, items(p.source, 'episode')[2]!, 0.5);
    serve = await startServeCli(p.configPath, p.env);
    // The start-up run has finished: the overview shows it.
    await eventually(async () => (await api<{ runs: RunRow[] }>(serve.url, '/api/runs')).body.runs.find((r) => r.status !== 'running'));
  });
  after(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await p.close();
  });

  test('serve prints the dashboard URL', () => {
    assert.equal(serve.dashboard, `${serve.url}/`);
  });

  test('the overview: a card per pair with its last run as reason chips, the two buttons, the activity feed', async () => {
    const r = await visit('/');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
    assert.match(r.text, /<section class="pair card" data-pair="main"/);
    assert.match(r.text, /src \(plex\)/);
    assert.match(r.text, /every 30 min/);
    assert.match(r.text, /<span class="chip reason-write">written<b> 2<\/b><\/span>/);
    assert.match(r.text, /<form method="post" action="\/pairs\/main\/run"/);
    assert.match(r.text, /<button type="submit" name="dryRun" value="0">Sync now<\/button>/);
    assert.match(r.text, /<button type="submit" name="dryRun" value="1" class="secondary">Dry run<\/button>/);
    assert.match(r.text, /<ol id="activity" aria-live="polite"/);
    assert.match(r.text, /<input type="hidden" name="csrf" value="[^"]+"/);
    // The fragment app.js swaps in after a run: the cards alone.
    const fragment = await visit('/?fragment=pairs');
    assert.match(fragment.text, /^<div id="pairs" class="cards">/);
    assert.match(fragment.text, /<table id="runs">/);
    assert.ok(!fragment.text.includes('<html'));
  });

  test('assets are served from files with their types and revalidation; the API keeps its paths', async () => {
    const css = await page(serve.url, '/assets/style.css');
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['cache-control'], 'no-cache');
    assert.match(css.text, /prefers-color-scheme: dark/);
    const etag = String(css.headers.etag);
    assert.equal((await page(serve.url, '/assets/style.css', { 'if-none-match': etag })).status, 304);
    const js = await page(serve.url, '/assets/app.js');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(js.text, /new EventSource\('\/live'\)/);
    assert.equal((await page(serve.url, '/assets/nope.js')).status, 404);
    assert.equal((await api(serve.url, '/healthz')).status, 200);
    assert.equal((await api<{ pairs: unknown[] }>(serve.url, '/api/pairs')).body.pairs.length, 1);
    const missing = await visit('/no/such/page');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /There is no page here/);
  });

  test('a POST without the CSRF token, or with a wrong one, is refused (403) and starts nothing', async () => {
    const runsBefore = (await api<{ runs: RunRow[] }>(serve.url, '/api/runs')).body.runs.length;
    const none = await postForm(serve.url, '/pairs/main/run', { dryRun: '0' });
    assert.equal(none.status, 403);
    const wrong = await postForm(serve.url, '/pairs/main/run', { dryRun: '0', csrf: 'x'.repeat(43) });
    assert.equal(wrong.status, 403);
    const header = await postForm(serve.url, '/runs/1/undo', {}, { 'x-csrf-token': 'nope' });
    assert.equal(header.status, 403);
    assert.equal((await api<{ runs: RunRow[] }>(serve.url, '/api/runs')).body.runs.length, runsBefore);
  });

  test('Sync now runs the pair through the scheduler and comes back with a line saying how it went; Dry run writes nothing', async () => {
    const sse = await subscribe(serve.url, '/live');
    try {
      const csrf = csrfOf((await visit('/')).text);
      const writesBefore = timelineWrites(p.target);
      const dry = await postForm(serve.url, '/pairs/main/run', { csrf, dryRun: '1' });
      assert.equal(dry.status, 303);
      assert.match(dry.location ?? '', /dry=1/);
      assert.equal(timelineWrites(p.target), writesBefore);

      progressOn(p.source, movie, 0.7, Math.floor(Date.now() / 1000) - 60);
      const ran = await postForm(serve.url, '/pairs/main/run', { csrf, dryRun: '0' });
      assert.equal(ran.status, 303);
      const runId = Number(/run=(\d+)/.exec(ran.location ?? '')?.[1]);
      assert.ok(runId > 0, ran.location);
      const back = await visit(ran.location ?? '/');
      assert.match(back.text, new RegExp(`Run #${runId} of main: ok \\(written 1, unchanged 1\\)\\.`));
      const row = (await api<{ run: RunRow }>(serve.url, `/api/runs/${runId}`)).body.run;
      assert.equal(row.trigger, 'api');
      assert.deepEqual(row.counts, { write: 1, unchanged: 1 });
      assert.equal(timelineWrites(p.target), writesBefore + 1);
      // The page's live stream carried it (what app.js appends to #activity).
      const finished = await sse.until((e) => e.event === 'run-finished' && e.data.runId === runId);
      assert.equal(finished.data.status, 'ok');

      // app.js's way: fetch with the token in a header, the run as JSON.
      const json = await postForm(serve.url, '/pairs/main/run', { dryRun: '1' }, { 'x-csrf-token': csrf, accept: 'application/json' });
      assert.equal(json.status, 200);
      assert.equal((JSON.parse(json.text) as { run: { dryRun: boolean; status: string } }).run.dryRun, true);
    } finally {
      sse.close();
    }
  });

  test('the run page: decisions linking to items, filtered by reason and title; undo previewed, then confirmed, puts the value back', async () => {
    const last = (await api<{ runs: RunRow[] }>(serve.url, '/api/runs?pair=main&limit=1')).body.runs[0]!;
    const target = twin(p.source, p.target, movie.ratingKey);
    const written = userState(p.target, target.ratingKey)?.viewOffset;
    assert.equal(written, Math.round(movie.durationMs! * 0.7));

    const r = await visit(`/runs/${last.id}`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<table id="decisions">/);
    assert.match(r.text, new RegExp(`<a href="/items/[^"]+">${movie.title}</a>`));
    const onlyWrites = await visit(`/runs/${last.id}?reason=write`);
    assert.ok(onlyWrites.text.includes(movie.title));
    assert.ok(!/reason-unchanged">not/.test(onlyWrites.text));
    assert.equal((onlyWrites.text.match(/<tr><th scope="row">/g) ?? []).length, 1);
    const unchanged = await visit(`/runs/${last.id}?reason=unchanged`);
    assert.ok(!unchanged.text.includes(`>${movie.title}</a>`));
    const searched = await visit(`/runs/${last.id}?q=${encodeURIComponent(movie.title.slice(0, 5).toLowerCase())}`);
    assert.ok(searched.text.includes(`>${movie.title}</a>`));
    const noMatch = await visit(`/runs/${last.id}?q=zzzz-nothing`);
    assert.match(noMatch.text, /No decisions match/);
    // Filters a page cannot use are ignored, not an error.
    assert.equal((await visit(`/runs/${last.id}?q=${'x'.repeat(300)}&reason=nope&offset=-4`)).status, 200);
    assert.match(r.text, /<button type="submit" class="secondary">Preview undo<\/button>/);

    const csrf = csrfOf(r.text);
    const writes = timelineWrites(p.target);
    const preview = await postForm(serve.url, `/runs/${last.id}/undo`, { csrf, dryRun: '1' });
    visited.push({ path: 'undo preview', text: preview.text });
    assert.equal(preview.status, 200);
    assert.match(preview.text, /would put back 0?\d+:\d\d/);
    assert.match(preview.text, /Undo this run<\/button>/);
    assert.equal(timelineWrites(p.target), writes, 'a preview wrote');

    const done = await postForm(serve.url, `/runs/${last.id}/undo`, { csrf: csrfOf(preview.text) });
    assert.equal(done.status, 303);
    const undoId = Number(/^\/runs\/(\d+)\?undone=/.exec(done.location ?? '')?.[1]);
    assert.ok(undoId > last.id, done.location);
    assert.equal(userState(p.target, target.ratingKey)?.viewOffset, Math.round(movie.durationMs! * 0.4));
    const undoPage = await visit(done.location ?? '');
    assert.match(undoPage.text, new RegExp(`This run undid run #${last.id}\\.`));
    assert.match(undoPage.text, /reason-restore/);

    assert.equal((await visit('/runs/99999')).status, 404);
    assert.equal((await postForm(serve.url, '/runs/99999/undo', { csrf })).status, 404);
  });

  test('the item page: identity, native ids, decisions in words, the journal with previous values, the SVG timeline', async () => {
    const runPage = await visit('/runs/1');
    const href = new RegExp(`<a href="(/items/[^"]+)">${movie.title}</a>`).exec(runPage.text)?.[1];
    assert.ok(href);
    const r = await visit(href);
    assert.equal(r.status, 200);
    assert.match(r.text, new RegExp(`<h1>${movie.title}</h1>`));
    assert.match(r.text, /<dt>imdb<\/dt><dd><code>tt\d+<\/code>/);
    assert.match(r.text, new RegExp(`<tr data-provider="src"><th scope="row">src \\(plex\\)</th><td><code>${movie.ratingKey}</code></td><td>read</td>`));
    // The target's id and position as last read there: the re-read that confirmed the undo's restore.
    const [at40, at70] = [formatDuration(Math.round(movie.durationMs! * 0.4)), formatDuration(Math.round(movie.durationMs! * 0.7))];
    assert.match(
      r.text,
      new RegExp(
        `<tr data-provider="dst"><th scope="row">dst \\(plex\\)</th><td><code>${twin(p.source, p.target, movie.ratingKey).ratingKey}</code></td><td>read</td><td><time[^>]*>[^<]*</time></td><td>${at40}</td>`,
      ),
    );
    assert.match(r.text, /written and confirmed by re-reading/);
    assert.match(r.text, /put back and confirmed by re-reading/);
    assert.match(r.text, /<table id="journal">/);
    // The first write replaced nothing; the second replaced the first's value; the undo put it back.
    const journal = r.text.slice(r.text.indexOf('<table id="journal">'));
    assert.ok(journal.includes(`<td>no position</td><td>${at40}</td>`));
    assert.ok(journal.includes(`<td>${at40}</td><td>${at70}</td>`));
    assert.ok(journal.includes(`<td>${at70}</td><td>${at40}</td>`));
    assert.match(journal, /status-confirmed/);
    assert.match(r.text, /<svg role="img" aria-label="Position of [^"]+ over time on dst, src, from [^"]+"/);
    assert.match(r.text, /<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+/);
    assert.equal((await visit('/items/imdb%3Att0000000')).status, 404);
  });

  test('no page carries a secret', () => {
    assert.ok(visited.length >= 10);
    for (const { path, text } of visited) {
      for (const secret of [p.source.ownerToken, p.target.ownerToken]) assert.ok(!text.includes(secret), `a server token on ${path}`);
      assert.ok(!/X-Plex-Token=/i.test(text), `a token in a URL on ${path}`);
    }
  });
});
