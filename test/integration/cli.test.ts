// The `playhead` command as a user runs it: a real process, a config file, exit codes, stdout.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { items, progressOn, setFaults, startPlexPair, timelineWrites, twin, type PlexPair } from '../support/plex-pair.ts';
import { playhead } from '../support/cli.ts';

describe('playhead CLI', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair();
    progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
    progressOn(p.source, items(p.source, 'episode')[2]!, 0.5);
  });
  after(async () => p.close());

  test('plan --json prints the plan and writes nothing', async () => {
    const r = await playhead(['--config', p.configPath, '--json', 'plan'], p.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      runs: {
        pair: string;
        dryRun: boolean;
        counts: Record<string, number>;
        decisions: {
          key: string;
          title: string;
          action: string;
          reason: string;
          source: { progressMs: number; durationMs: number; progressAt: number };
          target?: unknown;
        }[];
      }[];
    };
    assert.equal(out.runs.length, 1);
    const run = out.runs[0]!;
    assert.equal(run.pair, 'main');
    assert.equal(run.dryRun, true);
    assert.deepEqual(run.counts, { write: 2 });
    for (const d of run.decisions) {
      assert.equal(d.action, 'write');
      assert.equal(d.reason, 'write');
      assert.equal(typeof d.key, 'string');
      assert.equal(typeof d.title, 'string');
      assert.equal(typeof d.source.progressMs, 'number');
      assert.equal(typeof d.source.durationMs, 'number');
      assert.equal(typeof d.source.progressAt, 'number');
    }
    assert.equal(timelineWrites(p.target), 0);
  });

  test('sync writes, prints a table, then status and explain show what happened', async () => {
    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Sync main \(src → dst\), run #1/);
    assert.match(r.stdout, /written and confirmed/);
    assert.equal(timelineWrites(p.target), 2);

    const status = await playhead(['--config', p.configPath, 'status'], p.env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /main .* ok .* write 2/s);

    const title = items(p.source, 'movie')[0]!.title;
    const explain = await playhead(['--config', p.configPath, '--json', 'explain', title.slice(0, 6)], p.env);
    assert.equal(explain.code, 0, explain.stderr);
    const rows = (JSON.parse(explain.stdout) as { decisions: { title: string; reason: string; runId: number }[] }).decisions;
    assert.ok(rows.some((d) => d.title === title && d.reason === 'write' && d.runId === 1));
  });

  test('sync --json after a change: the second run is unchanged, with exit 0', async () => {
    const r = await playhead(['--config', p.configPath, '--json', 'sync'], p.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { runs: { dryRun: boolean; counts: Record<string, number> }[] };
    assert.equal(out.runs[0]?.dryRun, false);
    assert.deepEqual(out.runs[0]?.counts, { unchanged: 2 });
  });

  test('a refused token gives a clear error, exit 2, and never prints the token', async () => {
    const bad = 'not-a-valid-token-123';
    const r = await playhead(['--config', p.configPath, 'sync'], { ...p.env, DST_TOKEN: bad });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dst: GET \S+ answered 401: the token was refused/);
    assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad));
    assert.ok(!r.stderr.includes(p.env.SRC_TOKEN!) && !r.stdout.includes(p.env.SRC_TOKEN!));
  });

  test('a bad config names file, line and field, with exit 2', async () => {
    const bad = join(p.dir, 'bad.yaml');
    writeFileSync(bad, p.yaml.replace('enable: true', 'enable: true, max_percent: 120'));
    const r = await playhead(['--config', bad, 'plan'], p.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:5: pairs\[0\]\.features\.progress\.max_percent: must be 1\.\.100/);
  });

  test('a partly failed sync exits 1 and lists the item under "Not confirmed"', async () => {
    const doomed = twin(p.source, p.target, progressOn(p.source, items(p.source, 'movie')[3]!, 0.6).ratingKey);
    progressOn(p.source, items(p.source, 'movie')[4]!, 0.6);
    await setFaults(p.target, { rules: [{ path: '/:/timeline', query: { ratingKey: doomed.ratingKey }, status: 500 }] });
    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    await setFaults(p.target, { rules: [] });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /FAILED/);
    assert.match(
      r.stdout,
      new RegExp(`Not confirmed:\\n  failed: ${items(p.source, 'movie')[3]!.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*answered 500`),
    );
    // status lists what waits for another try, with its error.
    const status = await playhead(['--config', p.configPath, 'status'], p.env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Waiting for another try:/);
    assert.match(status.stdout, new RegExp(`${items(p.source, 'movie')[3]!.title.slice(0, 12)}[\\s\\S]*failed[\\s\\S]*answered 500`));
  });
});
