// The writer lock and the run lifecycle, through the CLI as a process: SIGINT/SIGTERM stop a sync
// cleanly (the write in flight finishes and is journalled, the run closes as interrupted, the lock
// is released, exit 130/143) and `undo` puts back what the interrupted run wrote; a lock left by a
// dead process is taken over and its run recovered; a live holder elsewhere makes `sync` exit 3
// while `plan` and `status` (read-only) still work; a holder whose heartbeat stopped is taken over.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { createLogger } from '../../src/cli/log.ts';
import { recoverInterrupted } from '../../src/engine/recover.ts';
import { readLockHolder } from '../../src/store/lock.ts';
import { playhead } from '../support/cli.ts';
import { startPlayhead } from '../support/child.ts';
import { items, progressOn, setFaults, setUserState, startPlexPair, twin, userState, type PlexPair } from '../support/plex-pair.ts';

const timelineKeys = (p: PlexPair, since: number): string[] =>
  p.target.requests
    .slice(since)
    .filter((r) => r.path === '/:/timeline')
    .map((r) => String(r.query.ratingKey));

/** A pid that was just alive on this host and is gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const plantLock = (p: PlexPair, holder: { pid: number; host: string; heartbeatAgoMs: number }) => {
  const at = Date.now() - holder.heartbeatAgoMs;
  p.store.setKv(
    'writer_lock',
    JSON.stringify({ pid: holder.pid, host: holder.host, command: 'sync', startedAt: at - 1000, heartbeatAt: at, token: 'planted' }),
  );
};

describe('stopping a sync with a signal', () => {
  let p: PlexPair;
  let next = 0;
  before(async () => {
    p = await startPlexPair({ synthetic: 'movies=30,shows=0,seasons=0,episodes=0', seed: 'signals' });
  });
  after(async () => p.close());

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    test(`${signal}: the write in flight finishes and is journalled, no new one starts, the run is interrupted, exit ${code}; undo puts it back`, async () => {
      const movies = items(p.source, 'movie').slice(next, next + 6);
      next += 6;
      const twins = movies.map((m) => twin(p.source, p.target, progressOn(p.source, m, 0.4).ratingKey).ratingKey);
      const since = p.target.requests.length;
      await setFaults(p.target, { latencyMs: 300, rules: [] });
      const cli = startPlayhead(['--config', p.configPath, 'sync'], p.env);
      // The signal arrives once the first write has been answered: the next one is in flight or about to start.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (timelineKeys(p, since).length > 0 || cli.child.exitCode !== null) {
            clearInterval(timer);
            cli.child.kill(signal);
            resolve();
          }
        }, 2);
      });
      const r = await cli.done;
      await setFaults(p.target, { latencyMs: 0, rules: [] });
      assert.equal(r.signal, null, `killed by ${r.signal} instead of stopping: ${r.stderr}`);
      assert.equal(r.code, code, r.stderr);
      const run = p.store.runs({ limit: 1 })[0];
      assert.equal(run?.status, 'interrupted');
      assert.match(run?.error ?? '', new RegExp(`stopped by ${signal}`));
      assert.match(r.stderr, new RegExp(`main: stopped by ${signal} after finishing the writes in flight: run #${run?.id} closed as interrupted`));

      const written = timelineKeys(p, since);
      assert.ok(written.length >= 1 && written.length < twins.length, `wrote ${written.length} of ${twins.length}`);
      const journal = p.store.journal(run?.id ?? -1);
      assert.deepEqual(
        journal.map((j) => [j.ref, j.status]),
        written.map((k) => [k, 'confirmed']),
      );
      assert.equal(readLockHolder(p.store), undefined);

      const undo = await playhead(['--config', p.configPath, 'undo', String(run?.id)], p.env);
      assert.equal(undo.code, 0, undo.stderr + undo.stdout);
      for (const k of twins) assert.equal(userState(p.target, k)?.viewOffset ?? 0, 0, `item ${k} not put back`);
    });
  }
});

describe('a lock already taken', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair({ synthetic: 'movies=12,shows=0,seasons=0,episodes=0', seed: 'stale' });
  });
  after(async () => p.close());

  test('left by a dead process: taken over, its running run closed as interrupted, its intents settled by re-reading the target', async () => {
    const [landed, lost] = items(p.target, 'movie').slice(0, 2);
    assert.ok(landed && lost);
    const server = p.target.machineIdentifier;
    const pid = deadPid();
    plantLock(p, { pid, host: hostname(), heartbeatAgoMs: 0 });
    const runId = p.store.startRun({ pair: 'main', source: 'src', target: 'dst', dryRun: false, startedAt: Date.now() - 5000 });
    const intent = (ratingKey: string, progressMs: number) =>
      p.store.journalIntent({
        runId,
        ref: { provider: 'dst', server, id: ratingKey },
        key: `plex:${ratingKey}`,
        previous: { watched: false },
        value: { progressMs },
        at: Date.now(),
      });
    const landedId = intent(landed.ratingKey, 600_000);
    const lostId = intent(lost.ratingKey, 700_000);
    setUserState(p.target, landed.ratingKey, { viewOffset: 600_000 }); // the write got there before the crash

    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(r.code, 0, r.stderr);
    const run = p.store.run(runId);
    assert.equal(run?.status, 'interrupted');
    assert.match(run?.error ?? '', new RegExp(`pid ${pid}`));
    const status = new Map(p.store.journal(runId).map((j) => [j.id, j.status]));
    assert.equal(status.get(landedId), 'confirmed');
    assert.equal(status.get(lostId), 'failed');
    assert.equal(readLockHolder(p.store), undefined);

    const shown = await playhead(['--config', p.configPath, 'status'], p.env);
    assert.match(shown.stdout, new RegExp(`${runId} .* interrupted: `));
  });

  test('held by a live process elsewhere: sync and undo exit 3 naming it; plan and status still work', async () => {
    plantLock(p, { pid: 4242, host: 'other-host', heartbeatAgoMs: 1000 });
    const sync = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(sync.code, 3, sync.stderr);
    assert.match(
      sync.stderr,
      /^playhead: \S*state\.db is locked by another Playhead: pid 4242 on other-host \(sync, started \S+Z\); try again later or pass --wait\n$/,
    );
    const undo = await playhead(['--config', p.configPath, 'undo', '1'], p.env);
    assert.equal(undo.code, 3, undo.stderr);
    const waited = await playhead(['--config', p.configPath, 'sync', '--wait', '1'], p.env);
    assert.equal(waited.code, 3, waited.stderr);
    assert.match(waited.stderr, /pid 4242 .*\(waited 1 s\)/);
    for (const readOnly of [['plan'], ['status'], ['explain', 'anything'], ['sync', '--dry-run']]) {
      const r = await playhead(['--config', p.configPath, ...readOnly], p.env);
      assert.equal(r.code, 0, `${readOnly.join(' ')}: ${r.stderr}`);
    }
    assert.equal(readLockHolder(p.store)?.pid, 4242);
  });

  test('whose heartbeat stopped long ago (another host): taken over', async () => {
    plantLock(p, { pid: 4242, host: 'other-host', heartbeatAgoMs: 10 * 60_000 });
    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readLockHolder(p.store), undefined);
  });
});

describe('recovery when the target cannot be read', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair({ synthetic: 'movies=4,shows=0,seasons=0,episodes=0', seed: 'unreadable' });
  });
  after(async () => p.close());

  test('an unreadable target or a provider no longer configured leaves the write unknown, never confirmed or failed', async () => {
    const [item] = items(p.target, 'movie');
    assert.ok(item);
    const runId = p.store.startRun({ pair: 'main', source: 'src', target: 'dst', dryRun: false, startedAt: Date.now() });
    const intent = (provider: string) =>
      p.store.journalIntent({
        runId,
        ref: { provider, server: p.target.machineIdentifier, id: item.ratingKey },
        key: `plex:${item.ratingKey}`,
        previous: { watched: false },
        value: { progressMs: 600_000 },
        at: Date.now(),
      });
    const unreadable = intent('dst');
    const gone = intent('removed');
    await setFaults(p.target, { rules: [{ path: '/library/metadata', status: 500 }] });
    const recovery = await recoverInterrupted({
      config: p.config,
      store: p.store,
      log: createLogger({ level: 'silent' }),
      providerOptions: { minBackoffMs: 1 },
    });
    await setFaults(p.target, { rules: [] });
    assert.deepEqual(recovery, { interrupted: [runId], settled: { confirmed: 0, failed: 0, unknown: 2 } });
    const rows = new Map(p.store.journal(runId).map((j) => [j.id, j]));
    assert.equal(rows.get(unreadable)?.status, 'unknown');
    assert.match(rows.get(unreadable)?.error ?? '', /could not be checked: .*500/);
    assert.equal(rows.get(gone)?.status, 'unknown');
    assert.match(rows.get(gone)?.error ?? '', /provider "removed" is no longer configured/);
    assert.equal(p.store.run(runId)?.status, 'interrupted');
  });
});
