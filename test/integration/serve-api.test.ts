// `playhead serve` over two Plex emulators: a real process on port 0, real HTTP and SSE.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { items, progressOn, setFaults, startPlexPair, timelineWrites, type PlexPair } from '../support/plex-pair.ts';
import { playhead } from '../support/cli.ts';
import { api, eventually, startServeCli, subscribe, type RunningServeCli } from './serve-support.ts';

interface RunRow {
  id: number;
  pair: string;
  status: string;
  trigger?: string;
  counts: Record<string, number>;
}

describe('playhead serve: API, events, metrics, lock', () => {
  let p: PlexPair;
  let serve: RunningServeCli;
  let movieTitle: string;
  before(async () => {
    p = await startPlexPair();
    movieTitle = progressOn(p.source, items(p.source, 'movie')[0]!, 0.4).title;
    progressOn(p.source, items(p.source, 'episode')[2]!, 0.5);
    serve = await startServeCli(p.configPath, p.env);
  });
  after(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await p.close();
  });

  test('the start-up run writes through the engine and is listed with its trigger', async () => {
    const run = await eventually(async () => {
      const r = await api<{ runs: RunRow[] }>(serve.url, '/api/runs');
      return r.body.runs.find((x) => x.status !== 'running');
    });
    assert.equal(run.pair, 'main');
    assert.equal(run.status, 'ok');
    assert.equal(run.trigger, 'schedule');
    assert.deepEqual(run.counts, { write: 2 });
    assert.equal(timelineWrites(p.target), 2);

    const one = await api<{ run: RunRow; decisions: { title: string; reason: string }[] }>(serve.url, `/api/runs/${run.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.decisions.length, 2);
    assert.ok(one.body.decisions.some((d) => d.title === movieTitle && d.reason === 'write'));

    const missing = await api<{ error: string }>(serve.url, '/api/runs/9999');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /no run #9999/);
    const bad = await api<{ error: string }>(serve.url, '/api/runs/abc');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /run id/);
  });

  test('GET /api/pairs: the pair without secrets, its last and next run', async () => {
    const r = await api<{ pairs: Record<string, unknown>[] }>(serve.url, '/api/pairs');
    assert.equal(r.status, 200);
    const pair = r.body.pairs[0]!;
    assert.equal(pair.name, 'main');
    assert.deepEqual(pair.source, { provider: 'src', kind: 'plex' });
    assert.deepEqual(pair.schedule, { everyMs: 30 * 60_000 });
    assert.equal(typeof pair.nextRunAt, 'string');
    const next = Date.parse(String(pair.nextRunAt)) - Date.now();
    assert.ok(next > 29 * 60_000 && next < 32 * 60_000, `next run in ${next} ms`);
    assert.equal((pair.lastRun as RunRow).status, 'ok');
    for (const secret of [p.source.ownerToken, p.target.ownerToken]) assert.ok(!r.text.includes(secret), 'a token leaked into /api/pairs');
  });

  test('GET /api/items explains, GET /api/pending lists, bad queries are 400 with a reason', async () => {
    const r = await api<{ decisions: { title: string; reason: string; explanation: string }[] }>(
      serve.url,
      `/api/items?q=${encodeURIComponent(movieTitle.slice(0, 6))}`,
    );
    assert.equal(r.status, 200);
    const row = r.body.decisions.find((d) => d.title === movieTitle);
    assert.ok(row);
    assert.equal(row.reason, 'write');
    assert.ok(row.explanation.length > 0);
    const noQ = await api<{ error: string }>(serve.url, '/api/items');
    assert.equal(noQ.status, 400);
    assert.match(noQ.body.error, /q/);
    const pending = await api<{ pending: unknown[] }>(serve.url, '/api/pending');
    assert.equal(pending.status, 200);
    assert.deepEqual(pending.body.pending, []);
  });

  test('POST /api/pairs/{name}/run: SSE sees it start and finish; a dry run writes nothing; unknown pair 404, bad body 400', async () => {
    const sse = await subscribe(serve.url);
    try {
      progressOn(p.source, items(p.source, 'movie')[1]!, 0.3);
      const before = timelineWrites(p.target);
      const dry = await api<{ run: { dryRun: boolean; counts: Record<string, number>; runId?: number } }>(serve.url, '/api/pairs/main/run', {
        method: 'POST',
        body: { dryRun: true },
      });
      assert.equal(dry.status, 200, dry.text);
      assert.equal(dry.body.run.dryRun, true);
      assert.equal(dry.body.run.runId, undefined);
      assert.deepEqual(dry.body.run.counts, { unchanged: 2, write: 1 });
      assert.equal(timelineWrites(p.target), before);

      const real = await api<{ run: { runId: number; trigger: string; counts: Record<string, number> } }>(serve.url, '/api/pairs/main/run', { method: 'POST' });
      assert.equal(real.status, 200, real.text);
      assert.equal(real.body.run.trigger, 'api');
      assert.deepEqual(real.body.run.counts, { unchanged: 2, write: 1 });
      assert.equal(timelineWrites(p.target), before + 1);
      const started = await sse.until((e) => e.event === 'run-started' && e.data.trigger === 'api' && e.data.dryRun === false);
      assert.equal(started.data.pair, 'main');
      const finished = await sse.until((e) => e.event === 'run-finished' && e.data.runId === real.body.run.runId);
      assert.equal(finished.data.status, 'ok');
      await sse.until((e) => e.event === 'decision' && e.data.runId === real.body.run.runId && e.data.reason === 'write');
      const row = (await api<{ run: RunRow }>(serve.url, `/api/runs/${real.body.run.runId}`)).body.run;
      assert.equal(row.trigger, 'api');

      const unknown = await api<{ error: string }>(serve.url, '/api/pairs/nope/run', { method: 'POST' });
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error, /no pair named "nope"/);
      const badBody = await api<{ error: string }>(serve.url, '/api/pairs/main/run', { method: 'POST', body: { dryRun: 'yes' } });
      assert.equal(badBody.status, 400);
      assert.match(badBody.body.error, /dryRun/);
    } finally {
      sse.close();
    }
  });

  test('POST /api/runs/{id}/undo: dry run first, then puts back what the run wrote', async () => {
    const runs = (await api<{ runs: RunRow[] }>(serve.url, '/api/runs?pair=main&limit=1')).body.runs;
    const last = runs[0]!;
    const dry = await api<{ undo: { dryRun: boolean; counts: Record<string, number> } }>(serve.url, `/api/runs/${last.id}/undo`, {
      method: 'POST',
      body: { dryRun: true },
    });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.undo.dryRun, true);
    assert.deepEqual(dry.body.undo.counts, { restore: 1 });
    const before = p.target.requests.length;
    const real = await api<{ undo: { of: number; status: string; runId: number; counts: Record<string, number> } }>(serve.url, `/api/runs/${last.id}/undo`, {
      method: 'POST',
    });
    assert.equal(real.status, 200, real.text);
    assert.equal(real.body.undo.of, last.id);
    assert.equal(real.body.undo.status, 'ok');
    assert.deepEqual(real.body.undo.counts, { restore: 1 });
    assert.ok(p.target.requests.length > before);
    const undoRow = (await api<{ run: RunRow }>(serve.url, `/api/runs/${real.body.undo.runId}`)).body.run;
    assert.equal(undoRow.pair, 'undo:main');
    assert.equal(undoRow.trigger, 'api');
    const none = await api<{ error: string }>(serve.url, '/api/runs/9999/undo', { method: 'POST' });
    assert.equal(none.status, 400);
    assert.match(none.body.error, /no run #9999/);
  });

  test('/metrics counts runs, decisions by reason and writes; /healthz and /readyz answer', async () => {
    const m = await api(serve.url, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /playhead_runs_total\{pair="main",trigger="schedule",status="ok",dry_run="false"\} 1/);
    assert.match(m.text, /playhead_runs_total\{pair="main",trigger="api",status="ok",dry_run="true"\} 1/);
    assert.match(m.text, /playhead_decisions_total\{pair="main",reason="write"\} 3/);
    assert.match(m.text, /playhead_writes_total\{pair="main"\} 3/);
    assert.deepEqual((await api(serve.url, '/healthz')).body, { ok: true });
    assert.deepEqual((await api(serve.url, '/readyz')).body, { ready: true });
  });

  test('GET /api/positions: a run shows the position it wrote and confirmed on the target; a dry run changes nothing there', async () => {
    type Positions = { items: { item: { title: string }; positions: { provider: string; progressMs?: number; observedAt?: number }[] }[] };
    const onDst = async () => {
      const r = await api<Positions>(serve.url, '/api/positions?provider=dst');
      assert.equal(r.status, 200, r.text);
      return r.body.items.find((i) => i.item.title === movieTitle)?.positions.find((x) => x.provider === 'dst');
    };
    const before = await onDst();
    assert.ok(before, 'the start-up run read (and wrote) the film on dst');
    const film = progressOn(p.source, items(p.source, 'movie')[0]!, 0.6);
    const at = Math.round((film.durationMs ?? 0) * 0.6);

    const dry = await api<{ run: { counts: Record<string, number> } }>(serve.url, '/api/pairs/main/run', { method: 'POST', body: { dryRun: true } });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.run.counts.write, 1);
    assert.deepEqual(await onDst(), before, 'a dry run records no read');

    const real = await api<{ run: { counts: Record<string, number> } }>(serve.url, '/api/pairs/main/run', { method: 'POST' });
    assert.equal(real.status, 200, real.text);
    assert.equal(real.body.run.counts.write, 1);
    const after = await onDst();
    assert.ok(after && Math.abs((after.progressMs ?? 0) - at) < 1000, `dst shows ${after?.progressMs}, the confirmed write of ${at}`);
    assert.ok((after.observedAt ?? 0) > (before.observedAt ?? 0), 'read by the later run');
  });

  test('a `playhead sync` while serve runs is refused, and told to ask serve instead; status and plan still work', async () => {
    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /in use by a running `playhead serve`: pid \d+ .*\(serve, started/);
    assert.match(r.stderr, /POST \/api\/pairs\/\{name\}\/run/);
    // Reading commands take no lock: they still work beside serve.
    const status = await playhead(['--config', p.configPath, 'status'], p.env);
    assert.equal(status.code, 0, status.stderr);
    const plan = await playhead(['--config', p.configPath, 'plan'], p.env);
    assert.equal(plan.code, 0, plan.stderr);
  });

  test('SIGTERM during a run: the writes in flight finish, the run closes, exit 0 within 10 s, lock released', async () => {
    for (const item of items(p.source, 'movie').slice(5, 25)) progressOn(p.source, item, 0.6);
    await setFaults(p.target, { latencyMs: 300 });
    const sse = await subscribe(serve.url);
    const from = p.target.requests.length;
    const run = api(serve.url, '/api/pairs/main/run', { method: 'POST' }).catch(() => undefined);
    await sse.until((e) => e.event === 'run-started' && e.data.trigger === 'api');
    await eventually(() => (timelineWrites(p.target, from) > 0 ? true : undefined));
    const t0 = Date.now();
    serve.child.kill('SIGTERM');
    const done = await serve.done;
    sse.close();
    await run;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(Date.now() - t0 < 10_000);
    await setFaults(p.target, {});
    const running = p.store.db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'running'").get() as { n: number };
    assert.equal(running.n, 0);
    // The signal reached the run mid-way: it closed as interrupted, and what it wrote is journalled as confirmed.
    const last = p.store.runs({ pair: 'main', limit: 1 })[0]!;
    assert.equal(last.trigger, 'api');
    assert.equal(last.status, 'interrupted');
    const journal = p.store.journal(last.id);
    assert.ok(journal.length > 0 && journal.length < 20, `${journal.length} journal rows`);
    assert.ok(journal.every((j) => j.status === 'confirmed'));
    const intents = p.store.db.prepare("SELECT count(*) AS n FROM journal WHERE status = 'intent'").get() as { n: number };
    assert.equal(intents.n, 0);
    // The lock is free again: a sync runs.
    const sync = await playhead(['--config', p.configPath, 'sync'], p.env);
    assert.equal(sync.code, 0, sync.stderr);
  });
});
