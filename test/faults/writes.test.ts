// Ambiguous writes over real HTTP, to every kind of target: a write whose reply goes wrong after
// the server applied it lands exactly once and is confirmed by re-reading; one that timed out
// without landing is re-sent once; when the re-read fails too the journal says `unknown`, the
// run is partial (exit 1), and undo puts it back only where the target holds what was written.
// Plus the CLI: a failed confirm re-read exits 1 (not 0, "ok"), and re-sends are counted.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { request } from 'undici';
import { exitCodeFor } from '../../src/cli/main.ts';
import { runReport } from '../../src/cli/output.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { TypedDecision } from '../../src/core/pipeline.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import { undoRun } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';
import type { FaultRule } from '../../emulators/common/faults.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES } from '../harness/index.ts';
import { playhead } from '../support/cli.ts';
import { items, progressOn, startPlexPair, twin, userState, type PlexPair } from '../support/plex-pair.ts';

const log = pino({ level: 'silent' });
const LIBRARY = 'movies=30,shows=1,seasons=1,episodes=2';
/** The target's per-request timeout in these tests; a `delayMs` fault is well beyond it. */
const TIMEOUT_MS = 1000;
const LATE_MS = 2500;

type TargetKind = 'plex' | 'jellyfin' | 'emby' | 'trakt';
/** Where each kind's writes go and where its target state is read (fault rule paths: a prefix, or `^` a regex). */
const PATHS: Record<TargetKind, { write: string; read: string }> = {
  plex: { write: '/:/timeline', read: '/library/metadata' },
  jellyfin: { write: '/UserItems/', read: '/Items' },
  emby: { write: '^/Users/[^/]+/Items/[^/]+/UserData$', read: '^/Users/[^/]+/Items$' },
  trakt: { write: '/scrobble/pause', read: '/sync/playback' },
};

interface LoggedRequest {
  method: string;
  path: string;
}

async function control(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.body.text();
  assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text);
}

const matches = (pattern: string, path: string) => (pattern.startsWith('^') ? new RegExp(pattern).test(path) : path.startsWith(pattern));

/** Requests the emulator at `baseUrl` logged with this method and path pattern. */
async function logged(baseUrl: string, method: string, pattern: string): Promise<number> {
  const requests = (await control(baseUrl, 'GET', '/__emulator/requests')) as LoggedRequest[];
  return requests.filter((r) => r.method === method && matches(pattern, r.path)).length;
}

const setFaults = (baseUrl: string, rules: FaultRule[]) => control(baseUrl, 'POST', '/__emulator/faults', { rules });

function decisionOf(outcome: PairOutcome | undefined, key: string): TypedDecision {
  assert.ok(outcome?.ok, `the pair ran: ${outcome && !outcome.ok ? outcome.error.message : 'no outcome'}`);
  const d = outcome.result.decisions.find((x) => x.key === key);
  assert.ok(d, `a decision for ${key}`);
  return d;
}

for (const kind of Object.keys(PATHS) as TargetKind[]) {
  describe(`ambiguous writes to ${kind}`, () => {
    let source: Harness;
    let target: Harness;
    let store: Store;
    let config: Config;
    let targetUrl: string;
    let shared: TestItem[];
    const { write: writePath, read: readPath } = PATHS[kind];

    const run = async (dryRun = false): Promise<PairOutcome | undefined> =>
      (await runAll({ config, store, log, dryRun, providerOptions: { minBackoffMs: 1 } }))[0];
    const twinOf = (item: TestItem) => target.movies().find((t) => canonicalKey(t) === canonicalKey(item)) as TestItem;
    /** A film not written yet, given a position on the source: the next run writes it (and only it). */
    let next = 0;
    let fraction = 0.3;
    let current: TestItem | undefined;
    const played = async (): Promise<{ item: TestItem; key: string; fraction: number }> => {
      const item = shared[next++];
      assert.ok(item, 'enough shared films');
      current = item;
      // Trakt takes one write per second per user; the previous scenario's write must not make
      // this one a 429 that the fault then hides (the applier handles that too, but re-sends).
      if (kind === 'trakt') await new Promise((r) => setTimeout(r, 1100));
      fraction += 0.02;
      await source.setProgress(item, fraction, Date.now() - 3_600_000);
      return { item, key: canonicalKey(item) as string, fraction };
    };
    /** Target-state reads a run makes before it writes: a dry run makes the same ones. */
    const readsBeforeWriting = async (): Promise<number> => {
      const mark = await logged(targetUrl, 'GET', readPath);
      await run(true);
      return (await logged(targetUrl, 'GET', readPath)) - mark;
    };
    const holds = async (item: TestItem, expected: number) => {
      const held = await target.progressOf(twinOf(item));
      assert.ok(held, `${item.title} has a position on ${kind}`);
      if (held.ms !== undefined) assert.ok(Math.abs(held.ms - expected * twinOf(item).durationMs) <= 1000, `${held.ms} ms`);
      else assert.ok(Math.abs((held.pct ?? -1) - expected * 100) <= 0.1, `${held.pct}%`);
    };

    before(async () => {
      source = await HARNESSES.plex(`writes-${kind}-src`, LIBRARY);
      target = await HARNESSES[kind](`writes-${kind}-dst`, LIBRARY);
      store = Store.open(':memory:');
      source.prepareStore?.(store, 'src', true);
      target.prepareStore?.(store, 'dst', true);
      const targetConfig = { ...target.config(), timeoutMs: TIMEOUT_MS };
      targetUrl = (targetConfig as unknown as { url: string }).url;
      config = {
        providers: { src: source.config(), dst: targetConfig } as Config['providers'],
        pairs: [{ name: 'writes', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
        state: { path: ':memory:' },
        logLevel: 'silent',
      };
      const onTarget = new Set(target.movies().map((m) => canonicalKey(m)));
      shared = source.movies().filter((m) => canonicalKey(m) !== undefined && onTarget.has(canonicalKey(m)));
    });
    // Each scenario's film leaves the source again, so no later run writes it (a failed one would be retried).
    afterEach(async () => {
      // Position 0: nothing to resume (the Plex harness has no clearProgress).
      if (current) await source.setProgress(current, 0, Date.now());
      current = undefined;
    });
    after(async () => {
      store.close();
      await Promise.all([source.close(), target.close()]);
    });

    for (const [shape, rule] of [
      ['its connection reset after the server applied it', { reset: true, afterApply: true }],
      ['a 502 after the server applied it', { status: 502, afterApply: true }],
      ['its reply cut off', { truncate: true }],
      ['a reply slower than the client timeout', { delayMs: LATE_MS }],
    ] as const) {
      test(`${kind}: a write with ${shape} lands exactly once and is confirmed by re-reading`, async () => {
        const { item, key, fraction: at } = await played();
        await setFaults(targetUrl, [{ method: 'POST', path: writePath, count: 1, ...rule }]);
        const sent = await logged(targetUrl, 'POST', writePath);
        const outcome = await run();
        await setFaults(targetUrl, []);
        assert.equal((await logged(targetUrl, 'POST', writePath)) - sent, 1, 'one write request: no re-send');
        const d = decisionOf(outcome, key);
        assert.deepEqual([d.reason, d.detail?.confirmed], ['write', true], JSON.stringify(d));
        assert.ok(outcome?.ok);
        assert.equal(outcome.result.status, 'ok');
        assert.equal(outcome.result.resent, 0);
        assert.deepEqual(
          store.journal(outcome.result.runId as number).map((j) => [j.key, j.status]),
          [[key, 'confirmed']],
        );
        assert.equal(exitCodeFor([outcome]), 0);
        await holds(item, at);
      });
    }

    test(`${kind}: a write that timed out without landing is re-sent once, then confirmed`, async () => {
      const { item, key, fraction: at } = await played();
      await setFaults(targetUrl, [{ method: 'POST', path: writePath, count: 1, delayMs: LATE_MS, reset: true }]);
      const sent = await logged(targetUrl, 'POST', writePath);
      const outcome = await run();
      await setFaults(targetUrl, []);
      assert.equal((await logged(targetUrl, 'POST', writePath)) - sent, 2, 'the write and one re-send');
      const d = decisionOf(outcome, key);
      assert.deepEqual([d.reason, d.detail?.confirmed, d.detail?.resent], ['write', true, 1], JSON.stringify(d));
      assert.ok(outcome?.ok);
      assert.equal(outcome.result.status, 'ok');
      assert.equal(outcome.result.resent, 1, 'the run summary counts the re-send');
      assert.deepEqual(
        store.journal(outcome.result.runId as number).map((j) => j.status),
        ['confirmed'],
      );
      await holds(item, at);
    });

    test(`${kind}: a write that keeps failing after it was sent is re-sent at most twice, and fails once a re-read proves it did not land`, async () => {
      const { key } = await played();
      await setFaults(targetUrl, [{ method: 'POST', path: writePath, status: 500 }]);
      const sent = await logged(targetUrl, 'POST', writePath);
      const outcome = await run();
      await setFaults(targetUrl, []);
      assert.equal((await logged(targetUrl, 'POST', writePath)) - sent, 3, 'the write and two re-sends');
      const d = decisionOf(outcome, key);
      assert.equal(d.reason, 'failed');
      assert.equal(d.detail?.unknown, undefined, 'proved not applied');
      assert.match(String(d.detail?.error), /answered 500.*a re-read shows it did not land after 2 re-sends/);
      assert.ok(outcome?.ok);
      assert.deepEqual(
        store.journal(outcome.result.runId as number).map((j) => j.status),
        ['failed'],
      );
      assert.equal(outcome.result.resent, 2);
      assert.equal(exitCodeFor([outcome]), 1);
    });

    for (const landed of [true, false]) {
      test(`${kind}: an ambiguous write whose re-read fails too is unknown (exit 1); undo ${landed ? 'puts back the write that had landed' : 'leaves alone the write that never landed'}`, async () => {
        const { item, key, fraction: at } = await played();
        const before = await target.progressOf(twinOf(item));
        const reads = await readsBeforeWriting();
        await setFaults(targetUrl, [
          { method: 'POST', path: writePath, count: 1, reset: true, ...(landed ? { afterApply: true as const } : {}) },
          { method: 'GET', path: readPath, skip: reads, status: 500 },
        ]);
        const sent = await logged(targetUrl, 'POST', writePath);
        const outcome = await run();
        await setFaults(targetUrl, []);
        assert.equal((await logged(targetUrl, 'POST', writePath)) - sent, 1, 'never re-sent blind');
        const d = decisionOf(outcome, key);
        assert.deepEqual([d.reason, d.detail?.unknown], ['failed', true], JSON.stringify(d));
        assert.match(String(d.detail?.error), /outcome unknown: .*the re-read failed too/);
        assert.ok(outcome?.ok);
        const runId = outcome.result.runId as number;
        assert.equal(outcome.result.status, 'partial');
        assert.equal(exitCodeFor([outcome]), 1);
        const rows = store.journal(runId).filter((j) => j.key === key);
        assert.deepEqual(
          rows.map((j) => j.status),
          ['unknown'],
        );
        if (landed) await holds(item, at);
        else assert.deepEqual(await target.progressOf(twinOf(item)), before);

        const writesBeforeUndo = await logged(targetUrl, 'POST', writePath);
        const undone = await undoRun({ config, store, log, runId, dryRun: false, providerOptions: { minBackoffMs: 1 } });
        const u = undone.decisions.find((x) => x.key === key);
        assert.ok(u, 'undo looked at the unknown row');
        assert.deepEqual(undone.skipped, [], 'no row is left unexamined');
        if (landed) {
          assert.deepEqual([u.reason, u.detail?.confirmed], ['restore', true], JSON.stringify(u));
          assert.equal(await target.progressOf(twinOf(item)), undefined, 'the film had no position before: it has none again');
        } else {
          assert.deepEqual([u.action, u.reason, u.detail?.unknown], ['skip', 'changed_since', true], JSON.stringify(u));
          assert.equal(await logged(targetUrl, 'POST', writePath), writesBeforeUndo, 'nothing written');
          assert.deepEqual(await target.progressOf(twinOf(item)), before);
        }
      });
    }
  });
}

describe('exit codes and the run summary through the CLI (Plex → Plex)', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair({ targetExtra: 'timeout_seconds: 1' });
  });
  after(async () => p.close());
  const sourceFilm = (i: number) => items(p.source, 'movie').filter((m) => m.guids.length > 0)[i]!;
  const metadataReads = () => p.target.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/library/metadata')).length;
  const controlFaults = (rules: FaultRule[]) => setFaults(p.target.url, rules);

  test('a sync whose confirming re-read fails exits 1 and lists the write as unknown (it was exit 0, "ok")', async () => {
    const film = progressOn(p.source, sourceFilm(0), 0.4);
    const mark = metadataReads();
    await p.run({ dryRun: true });
    const reads = metadataReads() - mark;
    await controlFaults([{ method: 'GET', path: '/library/metadata', skip: reads, status: 500 }]);
    const r = await playhead(['--config', p.configPath, 'sync'], p.env);
    await controlFaults([]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      new RegExp(`Not confirmed:\\n  unknown: ${film.title}: outcome unknown: the write was answered, but the re-read to confirm it failed`),
    );
    const runId = p.store.runs({ limit: 1 })[0]?.id as number;
    assert.equal(p.store.run(runId)?.status, 'partial');
    assert.deepEqual(
      p.store.journal(runId).map((j) => j.status),
      ['unknown'],
    );
    assert.ok(userState(p.target, twin(p.source, p.target, film.ratingKey).ratingKey)?.viewOffset, 'the write itself went through');
  });

  test('sync --json and the text summary count re-sends', async () => {
    const film = progressOn(p.source, sourceFilm(1), 0.45);
    const dst = twin(p.source, p.target, film.ratingKey);
    await controlFaults([{ method: 'POST', path: '/:/timeline', count: 1, delayMs: 2500, reset: true }]);
    const r = await playhead(['--config', p.configPath, '--json', 'sync'], p.env);
    await controlFaults([]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as {
      runs: { status: string; resent: number; decisions: { title: string; detail?: { resent?: number; confirmed?: boolean } }[] }[];
    };
    assert.equal(out.runs[0]?.status, 'ok');
    assert.equal(out.runs[0]?.resent, 1);
    assert.deepEqual(out.runs[0]?.decisions.find((d) => d.title === film.title)?.detail?.resent, 1);
    assert.equal(p.target.requests.filter((q) => q.path === '/:/timeline' && q.query.ratingKey === dst.ratingKey).length, 2);

    // The text report, in process (one CLI start is enough for this file's time budget).
    const again = progressOn(p.source, sourceFilm(2), 0.5);
    await controlFaults([{ method: 'POST', path: '/:/timeline', count: 1, delayMs: 2500, reset: true }]);
    const result = await p.sync();
    await controlFaults([]);
    assert.equal(result.resent, 1);
    assert.match(runReport(result, 50), /re-sent 1 \(a reply went wrong and a re-read showed the write had not landed\)/);
    assert.ok(userState(p.target, twin(p.source, p.target, again.ratingKey).ratingKey)?.viewOffset);
  });
});
