// The writer lock (store/lock.ts) on one state file, two connections standing in for two processes.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireWriterLock, LockedError, readLockHolder, type LockHolder } from '../../src/store/lock.ts';
import { Store } from '../../src/store/store.ts';

describe('writer lock', () => {
  let dir: string;
  let path: string;
  let a: Store;
  let b: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'playhead-lock-'));
    path = join(dir, 'state.db');
    a = Store.open(path);
    b = Store.open(path);
  });
  afterEach(() => {
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plant = (store: Store, holder: Partial<LockHolder>) =>
    store.setKv(
      'writer_lock',
      JSON.stringify({ pid: 4242, host: hostname(), command: 'sync', startedAt: Date.now(), heartbeatAt: Date.now(), token: 'planted', ...holder }),
    );

  test('a second writer is refused with the holder named, until the first releases', async () => {
    const first = await acquireWriterLock(a, { command: 'sync', path });
    assert.equal(readLockHolder(b)?.pid, process.pid);
    await assert.rejects(acquireWriterLock(b, { command: 'undo', path, isAlive: () => true }), (err: unknown) => {
      assert.ok(err instanceof LockedError);
      assert.equal(
        err.message,
        `${path} is locked by another Playhead: pid ${process.pid} on ${hostname()} (sync, started ${new Date(first.holder.startedAt).toISOString()}); try again later or pass --wait`,
      );
      return true;
    });
    first.release();
    assert.equal(readLockHolder(b), undefined);
    const second = await acquireWriterLock(b, { command: 'undo', path });
    assert.equal(second.tookOverFrom, undefined);
    second.release();
  });

  test('a waiter gets the lock once it is released, and gives up after its wait', async () => {
    const first = await acquireWriterLock(a, { command: 'sync', path });
    await assert.rejects(acquireWriterLock(b, { command: 'sync', path, waitMs: 60, pollMs: 10 }), LockedError);
    const waiting = acquireWriterLock(b, { command: 'sync', path, waitMs: 5_000, pollMs: 10 });
    setTimeout(() => first.release(), 50);
    const second = await waiting;
    assert.equal(readLockHolder(a)?.token, second.holder.token);
    second.release();
  });

  test('a holder whose pid is gone on this host is taken over at once; a live one is not', async () => {
    plant(a, { pid: 4242 });
    await assert.rejects(acquireWriterLock(b, { command: 'sync', path, isAlive: () => true }), LockedError);
    const lock = await acquireWriterLock(b, { command: 'sync', path, isAlive: (pid) => pid !== 4242 });
    assert.equal(lock.tookOverFrom?.pid, 4242);
    assert.equal(readLockHolder(a)?.pid, process.pid);
    lock.release();
  });

  test('a pid on another host is never probed: only a stopped heartbeat frees it', async () => {
    plant(a, { host: 'elsewhere', heartbeatAt: Date.now() - 30_000 });
    await assert.rejects(acquireWriterLock(b, { command: 'sync', path, isAlive: () => false, staleMs: 60_000 }), LockedError);
    const lock = await acquireWriterLock(b, { command: 'sync', path, isAlive: () => false, staleMs: 20_000 });
    assert.equal(lock.tookOverFrom?.host, 'elsewhere');
    lock.release();
  });

  test('the holder keeps its heartbeat fresh, and release leaves a lock taken over by another alone', async () => {
    const lock = await acquireWriterLock(a, { command: 'sync', path, heartbeatMs: 10 });
    const first = readLockHolder(b)?.heartbeatAt ?? 0;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok((readLockHolder(b)?.heartbeatAt ?? 0) > first, 'no heartbeat');
    plant(b, { token: 'someone-else' });
    lock.release();
    assert.equal(readLockHolder(b)?.token, 'someone-else');
  });

  test('an unreadable lock row protects nothing', async () => {
    a.setKv('writer_lock', '{not json');
    const lock = await acquireWriterLock(b, { command: 'sync', path });
    lock.release();
  });
});
