// `npm run demo` is the first thing a new user runs: it must keep working and tell the truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/cli/demo.ts';

test('the demo syncs Plex to Jellyfin and Trakt, shows matching positions, its second run writes nothing, and serve carries a stop across in seconds', async () => {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await runDemo({ json: false });
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
  assert.match(out, /serve stopped cleanly/);
  assert.ok(!/owner-token|alice-token|alice-access|admin-token|client-secret/.test(out), 'no token or secret is printed');
});
