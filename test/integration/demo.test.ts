// `npm run demo` is the first thing a new user runs: it must keep working and tell the truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/cli/demo.ts';

test('the demo syncs Plex to Jellyfin and Trakt, shows matching positions, and its second run writes nothing', async () => {
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
  assert.ok(!/owner-token|alice-token|alice-access|admin-token|client-secret/.test(out), 'no token or secret is printed');
});
