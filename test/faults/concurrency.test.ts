// Two `playhead sync` processes started at once on one state database. Without --wait, one of
// them holds the writer lock and the other exits 3 naming it; with --wait, the second waits, then
// finds nothing left to do. Either way every item is written exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlayhead } from '../support/child.ts';
import { items, progressOn, setFaults, startPlexPair, twin, type PlexPair } from '../support/plex-pair.ts';

const POSITIONS = 4;

describe('two syncs at once on one state file', () => {
  let p: PlexPair;
  let targets: string[] = [];
  before(async () => {
    p = await startPlexPair({ synthetic: 'movies=12,shows=0,seasons=0,episodes=0', seed: 'concurrency' });
  });
  after(async () => p.close());

  /** Fresh positions on the source, on items not positioned before. */
  const position = (from: number) => {
    targets = items(p.source, 'movie')
      .slice(from, from + POSITIONS)
      .map((m) => twin(p.source, p.target, progressOn(p.source, m, 0.3).ratingKey).ratingKey);
  };
  const writesPerItem = (since: number) => {
    const counts = new Map<string, number>(targets.map((t) => [t, 0]));
    for (const r of p.target.requests.slice(since))
      if (r.path === '/:/timeline') counts.set(String(r.query.ratingKey), (counts.get(String(r.query.ratingKey)) ?? 0) + 1);
    return Object.fromEntries(counts);
  };
  const once = () => Object.fromEntries(targets.map((t) => [t, 1]));

  test('without --wait: one writes, the other exits 3 naming the holder pid, its start time and the state file', async () => {
    position(0);
    const since = p.target.requests.length;
    // Slow enough that the first to take the lock still holds it when the other starts.
    await setFaults(p.source, { latencyMs: 3000, rules: [] });
    const a = startPlayhead(['--config', p.configPath, 'sync'], p.env);
    const b = startPlayhead(['--config', p.configPath, 'sync'], p.env);
    const first = await Promise.race([a.done.then((r) => ({ r, loser: a, winner: b })), b.done.then((r) => ({ r, loser: b, winner: a }))]);
    await setFaults(p.source, { latencyMs: 0, rules: [] });
    const second = await first.winner.done;
    assert.equal(first.r.code, 3, first.r.stderr);
    const line = first.r.stderr.trim().split('\n').at(-1) ?? '';
    assert.match(
      line,
      new RegExp(
        `^playhead: .*state\\.db is locked by another Playhead: pid ${first.winner.child.pid} on \\S+ \\(sync, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)`,
      ),
    );
    assert.equal(first.r.stdout, '');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(writesPerItem(since), once());
  });

  test('with --wait: both finish, each item is written once, the second finds nothing to do', async () => {
    position(POSITIONS);
    const since = p.target.requests.length;
    // The source answers slowly until one of them says it waits for the other, so without a lock
    // both would read before either writes.
    await setFaults(p.source, { latencyMs: 2000, rules: [] });
    const runsBefore = p.store.runs({ limit: 100 }).length;
    const started = [
      startPlayhead(['--config', p.configPath, '--json', 'sync', '--wait'], p.env),
      startPlayhead(['--config', p.configPath, '--json', 'sync', '--wait', '30'], p.env),
    ];
    const waiting = /playhead: waiting for pid \d+ on \S+ \(sync, started \S+\) to finish with \S*state\.db\n/;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ...started.map((cli) => cli.stderrMatches(waiting).catch(() => new Promise(() => {}))),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 20_000);
      }),
    ]);
    clearTimeout(timer);
    await setFaults(p.source, { latencyMs: 0, rules: [] });
    const [a, b] = await Promise.all([started[0]!.done, started[1]!.done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(writesPerItem(since), once());
    assert.ok(
      [a, b].some((r) => waiting.test(r.stderr)),
      'neither waited for the other',
    );
    const counts = [a, b].map((r) => (JSON.parse(r.stdout) as { runs: { counts: Record<string, number> }[] }).runs[0]?.counts);
    const wrote = counts.find((c) => (c?.write ?? 0) > 0);
    const idle = counts.find((c) => c !== wrote);
    assert.equal(wrote?.write, POSITIONS);
    assert.equal(idle?.write, undefined, JSON.stringify(counts));
    assert.equal(idle?.unchanged, POSITIONS * 2, JSON.stringify(counts));
    assert.equal(p.store.runs({ limit: 100 }).length, runsBefore + 2);
  });
});
