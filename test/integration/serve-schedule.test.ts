// The scheduler of `playhead serve`, end to end: pairs on `schedule: { every: 1s }`, a real
// process, the runs table as the witness. One pair failing every time does not stop another's
// schedule; runs of one pair never overlap, whether the schedule or the API asks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { items, progressOn, setFaults, startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { api, eventually, startServeCli, subscribe, type RunningServeCli } from './serve-support.ts';

interface RunRow {
  id: number;
  pair: string;
  status: string;
  trigger?: string;
  startedAt: number;
  finishedAt?: number;
}

async function runsOf(url: string, pair: string): Promise<RunRow[]> {
  return (await api<{ runs: RunRow[] }>(url, `/api/runs?pair=${pair}&limit=100`)).body.runs;
}

describe('playhead serve: schedules', () => {
  let p: PlexPair;
  let serve: RunningServeCli | undefined;
  before(async () => {
    p = await startPlexPair();
    progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
    progressOn(p.source, items(p.source, 'movie')[1]!, 0.5);
  });
  after(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await p.close();
  });

  async function startWith(pairs: string[], name: string): Promise<RunningServeCli> {
    const yaml = [
      'providers:',
      `  src: { kind: plex, url: ${p.source.url}, token: \${SRC_TOKEN} }`,
      `  dst: { kind: plex, url: ${p.target.url}, token: \${DST_TOKEN} }`,
      `  refused: { kind: plex, url: ${p.target.url}, token: not-a-token-of-this-server }`,
      'pairs:',
      ...pairs.map((line) => `  - ${line}`),
      `state: { path: ${join(p.dir, `${name}.db`)} }`,
      // Every log line serve writes, so the test below can look for secrets in all of them.
      'log_level: debug',
      '',
    ].join('\n');
    const path = join(p.dir, `${name}.yaml`);
    writeFileSync(path, yaml, { mode: 0o600 });
    return startServeCli(path, p.env);
  }

  async function stop(s: RunningServeCli): Promise<void> {
    s.child.kill('SIGTERM');
    const done = await s.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /"msg":"run finished"/);
    for (const secret of [p.source.ownerToken, p.target.ownerToken, 'not-a-token-of-this-server']) {
      assert.ok(!done.stderr.includes(secret), `a token appeared in serve's logs`);
    }
  }

  test("a pair that fails every run does not stop another pair's schedule", async () => {
    serve = await startWith(
      ['{ name: good, source: src, target: dst, schedule: { every: 1s } }', '{ name: broken, source: src, target: refused, schedule: { every: 1s } }'],
      'failing',
    );
    const url = serve.url;
    await eventually(async () => ((await runsOf(url, 'good')).filter((r) => r.status === 'ok').length >= 3 ? true : undefined));
    const broken = await runsOf(url, 'broken');
    assert.ok(broken.filter((r) => r.status === 'failed').length >= 2, JSON.stringify(broken));
    assert.ok(broken.every((r) => r.trigger === 'schedule'));
    const m = await api(url, '/metrics');
    assert.match(m.text, /playhead_runs_total\{pair="broken",trigger="schedule",status="failed",dry_run="false"\} [2-9]/);
    await stop(serve);
  });

  test('runs of one pair never overlap: ticks during a slow run are skipped, an API request is refused with 409', async () => {
    await setFaults(p.target, { latencyMs: 250 });
    try {
      serve = await startWith(['{ name: slow, source: src, target: dst, schedule: { every: 1s } }'], 'overlap');
      const url = serve.url;
      const sse = await subscribe(url);
      await sse.until((e) => e.event === 'run-started' && e.data.pair === 'slow');
      const busy = await api<{ error: string }>(url, '/api/pairs/slow/run', { method: 'POST' });
      assert.equal(busy.status, 409, busy.text);
      assert.match(busy.body.error, /already (running|queued)/);
      sse.close();
      const runs = await eventually(async () => {
        const done = (await runsOf(url, 'slow')).filter((r) => r.finishedAt !== undefined);
        return done.length >= 3 ? done : undefined;
      }, 30_000);
      const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1]!;
        assert.ok(sorted[i]!.startedAt >= (prev.finishedAt ?? Number.POSITIVE_INFINITY), `run ${sorted[i]!.id} started before run ${prev.id} finished`);
      }
      // The runs were slow (> 1 s) on a 1 s schedule: without the guard they would have stacked up.
      assert.ok(
        sorted.some((r) => (r.finishedAt ?? 0) - r.startedAt > 1_000),
        'the runs were not slower than the schedule',
      );
      await stop(serve);
    } finally {
      await setFaults(p.target, {});
    }
  });
});
