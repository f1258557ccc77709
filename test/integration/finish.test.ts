// Finished items (issue 14) through the engine, on the fake provider: a finish on the source takes
// the item out of the target's Continue Watching (marked watched, or cleared), only on an explicit
// signal, journalled, confirmed, undoable; two-way both ways; item-scoped runs; the cursor.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS, type ProgressSettings } from '../../src/core/pair.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { undoRun } from '../../src/engine/undo.ts';
import type { RunResult } from '../../src/engine/run.ts';
import { Store } from '../../src/store/store.ts';
import { FAKE_KIND, registerFakeKind, type FakeServer } from '../support/fake-provider.ts';
import { until } from '../support/until.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startServe } from '../../src/serve/serve.ts';
import { webhookSecret, webhookUrl } from '../../src/serve/webhooks.ts';

const fake = registerFakeKind();
after(() => fake.unregister());

const LIBRARY = 'movies=6,shows=0,seasons=0,episodes=0';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 6, 21, 0, 0);
const log = pino({ level: 'silent' });

let serial = 0;

interface World {
  src: FakeServer;
  dst: FakeServer;
  store: Store;
  config: Config;
  clock: { now: number };
  sync(opts?: { dryRun?: boolean; items?: { provider: string; nativeId: string }[] }): Promise<RunResult>;
}

/** Two fake servers with the same films, one pair between them (one-way or two-way). */
function world(progress: Partial<ProgressSettings> = {}, mode: 'one-way' | 'two-way' = 'one-way'): World {
  const n = ++serial;
  const src = fake.addServer(`finish-src-${n}`, ['tok-a']);
  const dst = fake.addServer(`finish-dst-${n}`, ['tok-b']);
  src.addSynthetic(LIBRARY, 'finish');
  dst.addSynthetic(LIBRARY, 'finish');
  const provider = (server: FakeServer, token: string) =>
    ({ kind: FAKE_KIND, server: server.name, token, pageSize: 2, retries: 0, maxConcurrentWrites: 4 }) as const;
  const config: Config = {
    providers: { src: provider(src, 'tok-a'), dst: provider(dst, 'tok-b') },
    pairs: [{ name: 'p', source: 'src', target: 'dst', mode, features: { progress: { ...DEFAULT_PROGRESS_SETTINGS, ...progress } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
  const store = Store.open(':memory:');
  after(() => store.close());
  const clock = { now: NOW };
  return {
    src,
    dst,
    store,
    config,
    clock,
    async sync(opts = {}) {
      const [outcome] = await runAll({
        config,
        store,
        log,
        now: () => clock.now,
        dryRun: opts.dryRun === true,
        ...(opts.items ? { pair: 'p', items: opts.items } : {}),
      });
      return ok(outcome);
    },
  };
}

function ok(outcome: PairOutcome | undefined): RunResult {
  assert.ok(outcome);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

/** Film `i` (m1…) in progress on a server: `ms` in, last played at `at`. */
function inProgress(server: FakeServer, id: string, ms: number, at: number): void {
  Object.assign(server.userData(id), { progressMs: ms, progressAt: at, watched: false });
}

const finishRequests = (server: FakeServer) => server.requests.filter((r) => r.path.startsWith('/finished'));

describe('finish: one-way', () => {
  it('a film finished on the source is marked watched on the target (journalled, confirmed), with the reason', async () => {
    const w = world();
    inProgress(w.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
    w.dst.userData('m1').playCount = 2;
    w.src.finish('m1', NOW - HOUR);
    const run = await w.sync();
    assert.deepEqual(run.counts, { finished: 1 });
    const d = run.decisions[0];
    assert.equal(d?.action, 'mark_watched');
    assert.equal(d?.detail?.confirmed, true);
    assert.deepEqual({ ...w.dst.userData('m1') }, { progressMs: 0, progressAt: NOW - 3 * HOUR, watched: true, watchedAt: NOW, playCount: 3 });
    const [row] = w.store.journal(run.runId ?? -1);
    assert.equal(row?.status, 'confirmed');
    assert.deepEqual(row?.value, { progressMs: 0, watched: true });
    assert.deepEqual(row?.previous, {
      progressMs: 1_800_000,
      durationMs: w.dst.item('m1')?.durationMs,
      progressAt: NOW - 3 * HOUR,
      watched: false,
      playCount: 2,
    });
  });

  it('finish: clear removes the position only; finish: off reads nothing at all', async () => {
    const cleared = world({ finish: 'clear' });
    inProgress(cleared.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
    cleared.src.finish('m1', NOW - HOUR);
    const run = await cleared.sync();
    assert.equal(run.decisions[0]?.action, 'clear');
    assert.equal(run.decisions[0]?.reason, 'finished');
    assert.deepEqual([cleared.dst.userData('m1').progressMs, cleared.dst.userData('m1').watched], [0, false]);

    const off = world({ finish: 'off' });
    inProgress(off.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
    off.src.finish('m1', NOW - HOUR);
    const quiet = await off.sync();
    assert.deepEqual(quiet.counts, {});
    assert.equal(finishRequests(off.src).length, 0, 'no finish reads');
    assert.equal(off.dst.userData('m1').progressMs, 1_800_000);
  });

  it('absence never finishes: an item gone from the source, a source that errors', async () => {
    const w = world();
    inProgress(w.src, 'm1', 1_000_000, NOW - 2 * HOUR);
    await w.sync();
    assert.equal(w.dst.userData('m1').progressMs, 1_000_000);
    // The position vanished from the source without any finish: the target keeps it.
    w.src.userData('m1').progressMs = 0;
    w.clock.now += HOUR;
    const gone = await w.sync();
    assert.equal(
      gone.decisions.find((d) => d.reason === 'finished'),
      undefined,
    );
    assert.equal(w.dst.userData('m1').progressMs, 1_000_000);
    // The finished listing fails: the run fails, nothing is finished, the cursor stays.
    w.src.finish('m1', NOW + HOUR);
    w.src.faults = [{ path: '/finished', status: 500 }];
    w.clock.now += HOUR;
    const [failed] = await runAll({ config: w.config, store: w.store, log, now: () => w.clock.now, dryRun: false });
    assert.equal(failed?.ok, false);
    assert.equal(w.dst.userData('m1').progressMs, 1_000_000);
    w.src.faults = [];
    w.clock.now += HOUR;
    assert.deepEqual((await w.sync()).counts, { finished: 1 }, 'read again once the source answers');
  });

  it('a target played after the finish is left alone (finished_skip); a playing target is playing_now', async () => {
    const w = world();
    inProgress(w.dst, 'm1', 1_800_000, NOW - 10 * 60_000);
    inProgress(w.dst, 'm2', 1_800_000, NOW - 3 * HOUR);
    w.dst.playing.add('m2');
    w.src.finish('m1', NOW - HOUR);
    w.src.finish('m2', NOW - HOUR);
    const run = await w.sync();
    assert.deepEqual(run.counts, { playing_now: 1, finished_skip: 1 });
    const skip = run.decisions.find((d) => d.reason === 'finished_skip');
    assert.deepEqual(skip?.detail, { finishedAt: NOW - HOUR, targetAt: NOW - 10 * 60_000, aheadMs: 50 * 60_000, toleranceMs: 30_000 });
    assert.equal(w.dst.userData('m1').progressMs, 1_800_000);
    assert.equal(w.dst.userData('m2').progressMs, 1_800_000);
  });

  it('a finish left alone because the target was playing is read again by the next run', async () => {
    const w = world();
    inProgress(w.dst, 'm2', 1_800_000, NOW - 3 * HOUR);
    w.dst.playing.add('m2');
    w.src.finish('m2', NOW - HOUR);
    assert.deepEqual((await w.sync()).counts, { playing_now: 1 });
    assert.equal(w.store.getKv('finish_cursor:p:src'), String(NOW - HOUR), 'the cursor waits at that finish');
    w.dst.playing.delete('m2');
    w.clock.now += HOUR;
    assert.deepEqual((await w.sync()).counts, { finished: 1 });
    assert.equal(w.dst.userData('m2').watched, true);
    assert.equal(w.store.getKv('finish_cursor:p:src'), String(NOW + HOUR - 30_000));
  });

  it('dry run: the same plan, no writes, cursor not moved', async () => {
    const w = world();
    inProgress(w.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
    w.src.finish('m1', NOW - HOUR);
    const plan = await w.sync({ dryRun: true });
    assert.deepEqual(plan.counts, { finished: 1 });
    assert.equal(w.dst.userData('m1').progressMs, 1_800_000);
    assert.equal(w.store.getKv('finish_cursor:p:src'), undefined);
  });

  it('the cursor: the first run looks back finish_lookback_days, a re-run reads only since the last run', async () => {
    const w = world({ finishLookbackDays: 2 });
    inProgress(w.dst, 'm1', 1_800_000, NOW - 5 * DAY);
    inProgress(w.dst, 'm2', 1_800_000, NOW - 5 * DAY);
    w.src.finish('m1', NOW - 3 * DAY); // before the lookback
    w.src.finish('m2', NOW - DAY);
    assert.deepEqual((await w.sync()).counts, { finished: 1 });
    assert.equal(w.dst.userData('m1').progressMs, 1_800_000, 'older than the lookback: not read');
    assert.equal(finishRequests(w.src)[0]?.path, `/finished?since=${NOW - 2 * DAY}&start=0`);
    assert.equal(w.store.getKv('finish_cursor:p:src'), String(NOW - 30_000));
    w.src.requests.length = 0;
    w.clock.now += HOUR;
    assert.deepEqual((await w.sync()).counts, {});
    assert.deepEqual(
      finishRequests(w.src).map((r) => r.path),
      [`/finished?since=${NOW - 30_000}&start=0`],
    );
  });

  it('undo of a mark_watched un-watches and puts the position back; undo of a finish clear puts it back', async () => {
    for (const finish of ['mark_watched', 'clear'] as const) {
      const w = world({ finish });
      inProgress(w.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
      w.dst.userData('m1').playCount = 1;
      w.src.finish('m1', NOW - HOUR);
      const run = await w.sync();
      assert.equal(run.counts.finished, 1);
      w.clock.now += HOUR;
      const undone = await undoRun({ config: w.config, store: w.store, log, runId: run.runId ?? -1, dryRun: false, now: () => w.clock.now });
      assert.deepEqual(undone.counts, { restore: 1 }, finish);
      assert.equal(undone.decisions[0]?.detail?.confirmed, true);
      const d = w.dst.userData('m1');
      assert.deepEqual([d.progressMs, d.watched, d.playCount], [1_800_000, false, 1], finish);
    }
  });

  it('an item-scoped run (a serve event) finishes the target the same way, reading by id', async () => {
    const w = world();
    inProgress(w.dst, 'm1', 1_800_000, NOW - 3 * HOUR);
    inProgress(w.dst, 'm2', 1_800_000, NOW - 3 * HOUR);
    w.src.finish('m1', NOW - HOUR);
    w.src.finish('m2', NOW - HOUR);
    const run = await w.sync({ items: [{ provider: 'src', nativeId: 'm1' }] });
    assert.deepEqual(run.counts, { finished: 1 });
    assert.deepEqual(
      finishRequests(w.src).map((r) => r.path),
      ['/finished?ids=m1'],
    );
    assert.equal(w.dst.userData('m2').progressMs, 1_800_000, 'only the reported item');
    assert.equal(w.store.getKv('finish_cursor:p:src'), undefined, 'an item-scoped run does not move the cursor');
  });

  it('several users are kept apart: one user finishing does not finish the other', async () => {
    const n = ++serial;
    const src = fake.addServer(`finish-users-src-${n}`, ['alice-a', 'bob-a']);
    const dst = fake.addServer(`finish-users-dst-${n}`, ['alice-b', 'bob-b']);
    src.addSynthetic(LIBRARY, 'finish');
    dst.addSynthetic(LIBRARY, 'finish');
    const p = (server: FakeServer, token: string) =>
      ({ kind: FAKE_KIND, server: server.name, token, pageSize: 10, retries: 0, maxConcurrentWrites: 4 }) as const;
    const progress = { ...DEFAULT_PROGRESS_SETTINGS };
    const config: Config = {
      providers: { 'alice-src': p(src, 'alice-a'), 'alice-dst': p(dst, 'alice-b'), 'bob-src': p(src, 'bob-a'), 'bob-dst': p(dst, 'bob-b') },
      pairs: [
        { name: 'alice', source: 'alice-src', target: 'alice-dst', mode: 'one-way', features: { progress } },
        { name: 'bob', source: 'bob-src', target: 'bob-dst', mode: 'one-way', features: { progress } },
      ],
      state: { path: ':memory:' },
      logLevel: 'silent',
    };
    for (const token of ['alice-b', 'bob-b']) Object.assign(dst.userData('m1', token), { progressMs: 1_800_000, progressAt: NOW - 3 * HOUR });
    src.finish('m1', NOW - HOUR, 'alice-a');
    const store = Store.open(':memory:');
    try {
      const outcomes = await runAll({ config, store, log, now: () => NOW, dryRun: false });
      assert.deepEqual(
        outcomes.map((o) => ok(o).counts),
        [{ finished: 1 }, {}],
      );
      assert.equal(dst.userData('m1', 'alice-b').watched, true);
      assert.deepEqual([dst.userData('m1', 'bob-b').progressMs, dst.userData('m1', 'bob-b').watched], [1_800_000, false]);
    } finally {
      store.close();
    }
  });
});

describe('finish: playhead serve', () => {
  it('a `played` event (a scrobble webhook) finishes the target in an item-scoped run', async () => {
    const w = world();
    const dir = mkdtempSync(join(tmpdir(), 'playhead-finish-serve-'));
    const store = Store.open(join(dir, 'state.db'));
    const config = { ...w.config, state: { path: join(dir, 'state.db') } };
    inProgress(w.dst, 'm1', 1_800_000, Date.now() - 3 * HOUR);
    const serve = await startServe({ config, store, log, host: '127.0.0.1', port: 0, onListening: () => {} });
    try {
      // The run at start finds nothing to do; then the source finishes m1 and says so.
      await until('the first run', () => (store.runs().length > 0 && store.runs()[0]?.status !== 'running' ? true : undefined), 8000);
      w.src.finish('m1', Date.now());
      const res = await request(webhookUrl(serve.url, webhookSecret(store), 'src'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'played', id: 'm1' }),
      });
      await res.body.dump();
      assert.ok(res.statusCode < 300, `webhook answered ${res.statusCode}`);
      await until('m1 marked watched on the target', () => (w.dst.userData('m1').watched ? true : undefined), 8000);
      assert.equal(w.dst.userData('m1').progressMs, 0);
      assert.ok(
        finishRequests(w.src).some((r) => r.path === '/finished?ids=m1'),
        'read by id',
      );
    } finally {
      await serve.stop('test over');
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('finish: two-way', () => {
  it('finished on either side finishes the other', async () => {
    const w = world({}, 'two-way');
    inProgress(w.src, 'm1', 1_800_000, NOW - 3 * HOUR);
    await w.sync();
    assert.equal(w.dst.userData('m1').progressMs, 1_800_000);
    // b finishes it: a leaves Continue Watching.
    w.dst.finish('m1', NOW + HOUR);
    w.clock.now += 2 * HOUR;
    const back = await w.sync();
    assert.equal(back.counts.finished, 1);
    assert.equal(back.decisions.find((d) => d.reason === 'finished')?.detail?.direction, 'dst → src');
    assert.deepEqual([w.src.userData('m1').progressMs, w.src.userData('m1').watched], [0, true]);

    // And the other way: a finishes m2, b had it in progress.
    inProgress(w.src, 'm2', 900_000, w.clock.now - HOUR);
    w.clock.now += HOUR;
    await w.sync();
    assert.equal(w.dst.userData('m2').progressMs, 900_000);
    w.src.finish('m2', w.clock.now + 60_000);
    w.clock.now += HOUR;
    const forth = await w.sync();
    assert.equal(forth.decisions.find((d) => d.reason === 'finished')?.detail?.direction, 'src → dst');
    assert.deepEqual([w.dst.userData('m2').progressMs, w.dst.userData('m2').watched], [0, true]);
    // Nothing ping-pongs afterwards.
    w.clock.now += HOUR;
    assert.deepEqual((await w.sync()).counts, {});
  });

  it('a side played after the other finished keeps its position (finished_skip, recorded beside the other decision)', async () => {
    const w = world({}, 'two-way');
    inProgress(w.src, 'm1', 1_800_000, NOW - 3 * HOUR);
    await w.sync();
    w.src.finish('m1', NOW + HOUR);
    inProgress(w.dst, 'm1', 2_400_000, NOW + 2 * HOUR);
    w.clock.now += 3 * HOUR;
    const run = await w.sync();
    const skip = run.decisions.find((d) => d.reason === 'finished_skip');
    assert.equal(skip?.key, `imdb:${w.src.item('m1')?.ids.imdb}#finish`);
    assert.equal(skip?.detail?.aheadMs, HOUR);
    assert.equal(w.dst.userData('m1').progressMs, 2_400_000, 'the later play is kept');
    assert.equal(w.dst.userData('m1').watched, false);
  });

  it('an item-scoped run on either side finishes the other', async () => {
    const w = world({}, 'two-way');
    inProgress(w.src, 'm1', 1_800_000, NOW - 3 * HOUR);
    await w.sync();
    w.dst.finish('m1', NOW + HOUR);
    w.clock.now += 2 * HOUR;
    w.dst.requests.length = 0;
    const cursor = w.store.getKv('finish_cursor:p:dst');
    const run = await w.sync({ items: [{ provider: 'dst', nativeId: 'm1' }] });
    assert.equal(run.counts.finished, 1);
    assert.deepEqual([w.src.userData('m1').progressMs, w.src.userData('m1').watched], [0, true]);
    assert.deepEqual(
      finishRequests(w.dst).map((r) => r.path),
      ['/finished?ids=m1'],
    );
    assert.equal(w.store.getKv('finish_cursor:p:dst'), cursor, 'an item-scoped run does not move the cursor');
  });
});
