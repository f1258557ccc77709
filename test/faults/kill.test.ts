// The kill test: a real `playhead sync` process killed with SIGKILL at 20 seeded random points
// (after its k-th request to the emulators, plus a few ms), over real HTTP with latency so a run
// lasts long enough to be hit mid-write. The next run must recover (the killed run closed as
// interrupted, its journalled intents settled by re-reading the target), no item may be written
// twice (the target's request log), and undoing every run must put every item back.
//
// To keep it fast, the next point's process is started while the current one runs, with
// `--wait`: it loads, finds the lock held and waits; the SIGKILL leaves a lock whose pid is gone,
// which it takes over at once. Only the lock holder talks to the emulators, so requests counted
// since the last kill are the holder's. About 30 s on 2 idle cores (22 processes start); the
// timeout only guards against a hang on a loaded machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../emulators/random.ts';
import { createLogger } from '../../src/cli/log.ts';
import { undoRun } from '../../src/engine/undo.ts';
import { readLockHolder } from '../../src/store/lock.ts';
import { startPlayhead, type RunningCli } from '../support/child.ts';
import { items, progressOn, setFaults, startPlexPair, twin, userState } from '../support/plex-pair.ts';

const POINTS = 20;
const SEED = 'kill-test';
/** New positions on the source per point, so every run has writes to be killed in. */
const NEW_PER_POINT = 2;

test('SIGKILL at 20 seeded points: each next run recovers, nothing is written twice, undo restores everything', { timeout: 600_000 }, async (t) => {
  const p = await startPlexPair({ synthetic: `movies=${POINTS * NEW_PER_POINT + NEW_PER_POINT + 2},shows=0,seasons=0,episodes=0`, seed: SEED });
  try {
    const rng = Rng.from(SEED);
    await setFaults(p.source, { latencyMs: 15, rules: [] });
    await setFaults(p.target, { latencyMs: 15, rules: [] });
    const movies = items(p.source, 'movie');
    const positioned: { source: string; target: string }[] = [];
    const addPositions = () => {
      for (const m of movies.slice(positioned.length, positioned.length + NEW_PER_POINT)) {
        progressOn(p.source, m, 0.2 + 0.6 * rng.next());
        positioned.push({ source: m.ratingKey, target: twin(p.source, p.target, m.ratingKey).ratingKey });
      }
    };
    const targetBefore = new Map(items(p.target, 'movie').map((m) => [m.ratingKey, structuredClone(userState(p.target, m.ratingKey))]));

    // Requests answered by either emulator, counted from the last kill (only the lock holder sends any).
    let answered = 0;
    let onAnswer: (() => void) | undefined;
    for (const server of [p.source, p.target]) {
      const push = server.requests.push.bind(server.requests);
      server.requests.push = (...entries) => {
        answered += entries.length;
        onAnswer?.();
        return push(...entries);
      };
    }
    const sync = () => startPlayhead(['--config', p.configPath, 'sync', '--wait', '60'], p.env);
    const holds = async (cli: RunningCli) => {
      while (readLockHolder(p.store)?.pid !== cli.child.pid) {
        if (cli.child.exitCode !== null) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    addPositions();
    let current = sync();
    const outcomes: string[] = [];
    for (let point = 0; point < POINTS; point++) {
      await holds(current);
      const next = sync(); // loads meanwhile, then waits for the lock
      const k = 1 + Math.floor(rng.next() * 12);
      const extraMs = Math.floor(rng.next() * 25);
      answered = 0;
      const killed = new Promise<void>((resolve) => {
        onAnswer = () => {
          if (answered < k) return;
          onAnswer = undefined;
          setTimeout(() => {
            current.child.kill('SIGKILL');
            resolve();
          }, extraMs);
        };
      });
      const end = await Promise.race([current.done, killed.then(() => current.done)]);
      onAnswer = undefined;
      outcomes.push(end.signal === 'SIGKILL' ? `killed after ${answered} requests` : `finished (${end.code}) after ${answered} requests`);
      if (end.signal !== 'SIGKILL') assert.equal(end.code, 0, end.stderr);
      // Before the next holder reads the source (same event loop as the emulators): new positions.
      addPositions();
      current = next;
    }
    const last = await current.done;
    t.diagnostic(outcomes.join('; '));
    assert.equal(last.code, 0, `${last.stderr}\n${outcomes.join('\n')}`);
    assert.ok(outcomes.filter((o) => o.startsWith('killed')).length >= POINTS / 2, outcomes.join('\n'));

    // Recovery: nothing left running, no write left at intent, the lock released.
    const runs = p.store.runs({ limit: 1000 });
    assert.deepEqual(
      runs.filter((r) => r.status !== 'ok' && r.status !== 'interrupted').map((r) => `${r.id} ${r.status} ${r.error}`),
      [],
    );
    assert.ok(runs.some((r) => r.status === 'interrupted'));
    const journal = runs.flatMap((r) => p.store.journal(r.id));
    assert.deepEqual(
      journal.filter((j) => j.status === 'intent' || j.status === 'unknown'),
      [],
    );
    assert.equal(readLockHolder(p.store), undefined);

    // Every positioned item reached the target, with exactly one write each.
    const writesPerItem = new Map<string, number>();
    for (const r of p.target.requests)
      if (r.path === '/:/timeline') writesPerItem.set(String(r.query.ratingKey), (writesPerItem.get(String(r.query.ratingKey)) ?? 0) + 1);
    assert.deepEqual(
      [...writesPerItem].filter(([, n]) => n !== 1),
      [],
      'an item was written more than once',
    );
    for (const { source, target } of positioned) {
      assert.equal(writesPerItem.get(target), 1, `item ${target} never written`);
      assert.ok(Math.abs((userState(p.target, target)?.viewOffset ?? 0) - (userState(p.source, source)?.viewOffset ?? 0)) < 1000);
    }

    // Undo every run, newest first (interrupted ones included): the target is as it was.
    await setFaults(p.target, { latencyMs: 0, rules: [] });
    const log = createLogger({ level: 'silent' });
    for (const run of runs.filter((r) => p.store.journal(r.id).some((j) => j.status === 'confirmed'))) {
      const undone = await undoRun({ config: p.config, store: p.store, log, runId: run.id, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.equal(undone.status, 'ok', JSON.stringify(undone.decisions));
    }
    for (const [ratingKey, before] of targetBefore) {
      const now = userState(p.target, ratingKey);
      assert.equal(now?.viewOffset ?? 0, before?.viewOffset ?? 0, `item ${ratingKey} not restored`);
      assert.equal(now?.viewCount ?? 0, before?.viewCount ?? 0, `item ${ratingKey} watched state changed`);
    }
  } finally {
    await p.close();
  }
});
