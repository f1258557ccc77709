// `npm run demo` is the first thing a new user runs: it must keep working and tell the truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { keepServingFor, runDemo } from '../../src/cli/demo.ts';
import { playhead } from '../support/cli.ts';

test('the demo syncs Plex to Jellyfin and Trakt, shows matching positions, its second run writes nothing, serve carries a stop across in seconds, and (as in a terminal) it serves the dashboard until stopped', async () => {
  const chunks: string[] = [];
  // What a person at a terminal gets: the dashboard's URL, and serve answering there until Ctrl-C (here: until this returns).
  let served: { url: string; pairs: string[]; printed: boolean } | undefined;
  const keepServing = async (url: string) => {
    const res = await request(`${url}api/pairs`);
    const body = (await res.body.json()) as { pairs: { name: string }[] };
    served = { url, pairs: body.pairs.map((p) => p.name), printed: chunks.join('').includes(`The dashboard of this serve: ${url} (`) };
  };
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await runDemo({ json: false, keepServing });
  } finally {
    process.stdout.write = original;
  }
  const out = chunks.join('');
  assert.equal(code, 0, out);
  for (const reason of ['write', 'capped', 'below_minimum', 'near_complete', 'target_newer', 'already_watched', 'playing_now', 'missing_ids']) {
    assert.match(out, new RegExp(reason), `the demo shows ${reason}`);
  }
  assert.match(out, /Database after the plan: 0 runs recorded/);
  assert.match(out, /Writes: 0; write requests to any server: 0/);
  assert.match(out, /All 10 items to sync now resume at the same point everywhere/);
  assert.match(out, /Signed in\. trakt-alice is ready/);
  assert.match(out, /Sync alice-trakt \(living-room-alice → trakt-alice\), run #3\n[\s\S]*?write 3/);
  // Step 8: serve on the same emulators, a stop in the living room arrives upstairs, measured.
  const live = /It arrived upstairs: (.+?) resumes at (\S+) on Jellyfin (\d+) ms after the stop, in (\d+) requests/.exec(out);
  assert.ok(live, out);
  const title = /owner plays (.+?) in the living room and stops it at (\S+) /.exec(out);
  assert.ok(title, out);
  assert.equal(live[1], title[1], 'the film stopped is the film that arrived');
  assert.equal(live[2], title[2], 'at the position it was stopped at');
  assert.ok(Number(live[3]) < 5_000, `arrived after ${live[3]} ms`);
  assert.ok(Number(live[4]) > 0 && Number(live[4]) <= 6, `${live[4]} requests`);
  assert.ok(served, 'the demo kept serving the dashboard');
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(served.printed, 'the URL was printed before serving');
  assert.deepEqual(served.pairs, ['owner', 'alice', 'alice-trakt']);
  assert.match(out, /The dashboard of this serve: \S+ \(.+\)\.\n {3}serve stopped cleanly\.\n/, 'serve stops once it is told to, cleanly');
  await assert.rejects(request(served.url), 'nothing listens after the demo');
  assert.ok(!/owner-token|alice-token|alice-access|admin-token|client-secret/.test(out), 'no token or secret is printed');
});

test('`playhead demo --no-serve` (and any demo whose stdout is not a terminal) ends with its steps', async () => {
  assert.equal(keepServingFor({ serve: true, tty: false }), undefined, 'a pipe, CI or a script: no serving');
  assert.equal(keepServingFor({ serve: false, tty: true }), undefined, '--no-serve in a terminal');
  assert.equal(typeof keepServingFor({ serve: true, tty: true }), 'function', 'a person at a terminal');
  const run = await playhead(['demo', '--no-serve'], {});
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /It arrived upstairs/);
  assert.match(run.stdout, /serve stopped cleanly\.\n\nTry it yourself/);
  assert.doesNotMatch(run.stdout, /The dashboard of this serve|Serving until Ctrl-C/);
});
