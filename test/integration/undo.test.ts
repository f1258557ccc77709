// `undo` over real HTTP against emulators: what a run wrote is put back where the target still
// holds it, left alone where someone played since, and an undo can itself be undone.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.ts';
import type { Decision } from '../../src/core/model.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { undoRun, type UndoResult } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';
import { startMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { isLegacy, items, nowS, progressOn, setFaults, setUserState, startPlexPair, twin, userState, type PlexPair } from '../support/plex-pair.ts';
import { playhead } from '../support/cli.ts';

const log = pino({ level: 'silent' });

const decisionFor = (decisions: Decision[], title: string): Decision => {
  const d = decisions.find((x) => x.title === title);
  assert.ok(d, `no decision for ${title}; got ${decisions.map((x) => x.title).join(', ')}`);
  return d;
};
const writesTo = (requests: { method: string }[], from: number) => requests.slice(from).filter((r) => r.method !== 'GET');

describe('undo, Plex → Plex', () => {
  let p: PlexPair;
  let sync: RunResult;
  let undone: UndoResult;
  // On the target: (a) no position, (b) an older position then played further, (c) watched
  // (replay on), (d) an older position left alone.
  const t: Record<'a' | 'b' | 'c' | 'd', { src: PlexItem; dst: PlexItem; before?: number }> = {} as never;
  const undo = (runId: number, dryRun: boolean) => undoRun({ config: p.config, store: p.store, log, runId, dryRun, providerOptions: { minBackoffMs: 1 } });

  before(async () => {
    p = await startPlexPair({ progress: 'replay: true' });
    const movies = items(p.source, 'movie').filter((m) => !isLegacy(m));
    const dayAgo = nowS() - 86_400;
    (['a', 'b', 'c', 'd'] as const).forEach((name, i) => {
      const src = progressOn(p.source, movies[i]!, [0.3, 0.5, 0.4, 0.6][i]!);
      t[name] = { src, dst: twin(p.source, p.target, src.ratingKey) };
    });
    t.b.before = Math.round((t.b.dst.durationMs ?? 0) * 0.2);
    t.d.before = Math.round((t.d.dst.durationMs ?? 0) * 0.1);
    setUserState(p.target, t.b.dst.ratingKey, { viewOffset: t.b.before, lastViewedAt: dayAgo });
    setUserState(p.target, t.c.dst.ratingKey, { viewCount: 1, lastViewedAt: dayAgo });
    setUserState(p.target, t.d.dst.ratingKey, { viewOffset: t.d.before, lastViewedAt: dayAgo });
    sync = await p.sync();
    assert.equal(sync.counts.write, 4, JSON.stringify(sync.decisions));
    assert.equal(decisionFor(sync.decisions, t.c.src.title).detail?.unwatchFirst, true, 'the watched item was replayed');
    assert.ok(!userState(p.target, t.c.dst.ratingKey)?.viewCount, 'and is unwatched now');
    // Someone plays (b) further on the target after the sync.
    setUserState(p.target, t.b.dst.ratingKey, { viewOffset: Math.round((t.b.dst.durationMs ?? 0) * 0.7), lastViewedAt: nowS() });
  });
  after(async () => p.close());

  test('--dry-run plans restore / changed_since per item and changes nothing anywhere', async () => {
    const mark = p.target.requests.length;
    const stateBefore = JSON.stringify(p.target.state);
    const countsBefore = p.store.counts();
    const plan = await undo(sync.runId!, true);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.runId, undefined);
    assert.equal(plan.of, sync.runId);
    assert.deepEqual(plan.counts, { changed_since: 1, restore: 3 });
    const a = decisionFor(plan.decisions, t.a.src.title);
    assert.deepEqual([a.action, a.reason], ['clear', 'restore']);
    const b = decisionFor(plan.decisions, t.b.src.title);
    assert.deepEqual([b.action, b.reason], ['skip', 'changed_since']);
    const c = decisionFor(plan.decisions, t.c.src.title);
    assert.deepEqual([c.action, c.reason, c.detail?.markWatched], ['clear', 'restore', true]);
    const d = decisionFor(plan.decisions, t.d.src.title);
    assert.deepEqual([d.action, d.reason, d.source.progressMs], ['write', 'restore', t.d.before]);
    assert.deepEqual(writesTo(p.target.requests, mark), [], 'no write request');
    assert.equal(JSON.stringify(p.target.state), stateBefore);
    assert.deepEqual(p.store.counts(), countsBefore, 'no run, decision or journal row');
  });

  test('undo clears (a), leaves (b), re-marks (c) watched, puts back (d), and confirms by re-reading', async () => {
    const mark = p.target.requests.length;
    const playedFurther = userState(p.target, t.b.dst.ratingKey)?.viewOffset;
    undone = await undo(sync.runId!, false);
    assert.equal(undone.status, 'ok');
    assert.deepEqual(undone.counts, { changed_since: 1, restore: 3 });
    assert.ok(!userState(p.target, t.a.dst.ratingKey)?.viewOffset, '(a) has no position again');
    assert.ok(
      p.target.requests.slice(mark).some((r) => r.path === '/:/unscrobble' && r.query.key === t.a.dst.ratingKey),
      'Plex clears by /:/unscrobble',
    );
    assert.equal(userState(p.target, t.b.dst.ratingKey)?.viewOffset, playedFurther, '(b) keeps what was played since');
    assert.ok((userState(p.target, t.c.dst.ratingKey)?.viewCount ?? 0) >= 1, '(c) is watched again');
    assert.ok(!userState(p.target, t.c.dst.ratingKey)?.viewOffset, '(c) has no position');
    assert.equal(userState(p.target, t.d.dst.ratingKey)?.viewOffset, t.d.before, '(d) is back at its old position');
    for (const d of undone.decisions.filter((x) => x.reason === 'restore')) assert.equal(d.detail?.confirmed, true, `${d.title} confirmed`);
    // The undo is a run of its own, with decisions and a journal.
    assert.ok(undone.runId !== undefined);
    assert.equal(p.store.run(undone.runId)?.pair, 'undo:main');
    assert.equal(p.store.decisionsOfRun(undone.runId).length, 4);
    const journal = p.store.journal(undone.runId);
    assert.equal(journal.length, 3);
    assert.ok(journal.every((j) => j.status === 'confirmed'));
  });

  test('an undo can be undone: the synced positions come back, (c) unwatched again', async () => {
    const again = await undo(undone.runId!, false);
    assert.equal(again.status, 'ok');
    assert.deepEqual(again.counts, { restore: 3 }, JSON.stringify(again.decisions));
    assert.equal(again.pair, 'undo:undo:main');
    for (const name of ['a', 'c', 'd'] as const) {
      const { src, dst } = t[name];
      assert.equal(userState(p.target, dst.ratingKey)?.viewOffset, userState(p.source, src.ratingKey)?.viewOffset, `${name} holds the synced position`);
      assert.ok(!userState(p.target, dst.ratingKey)?.viewCount, `${name} is unwatched`);
    }
  });

  test('an unknown run id is a usage error that lists recent runs', async () => {
    await assert.rejects(undo(999, true), /no run #999; recent runs: 3 \(undo:undo:main\), 2 \(undo:main\), 1 \(main\)/);
  });
});

describe('undo, Plex → Jellyfin', () => {
  test('the previous position comes back to the tick, with its LastPlayedDate', async () => {
    const library = 'movies=12,shows=1,seasons=1,episodes=3';
    const plex = await startPlexEmulator({ name: 'undo-src', synthetic: library, seed: 'undo', quiet: true });
    const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'undo-dst', synthetic: library, seed: 'undo', quiet: true });
    const store = Store.open(':memory:');
    try {
      const movie = plex.state.items.find((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://')));
      assert.ok(movie?.durationMs);
      const imdb = movie.guids.find((g) => g.startsWith('imdb://'))?.slice('imdb://'.length);
      const item = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdb);
      const alice = jf.users.find((u) => u.name === 'alice');
      assert.ok(item?.RunTimeTicks && alice);
      plex.state.userState['1'] = { [movie.ratingKey]: { viewOffset: Math.round(movie.durationMs * 0.4), lastViewedAt: nowS() - 3600 } };
      // An older position on Jellyfin, at an odd millisecond so a rounded time would show.
      const previousMs = Math.round((item.RunTimeTicks / 10_000) * 0.15);
      const previousAt = Date.now() - 2 * 86_400_000 + 123;
      jf.state.userData[alice.id] = {
        [item.Id]: {
          PlaybackPositionTicks: previousMs * 10_000,
          PlayCount: 2,
          Played: false,
          IsFavorite: true,
          LastPlayedDate: new Date(previousAt).toISOString(),
        },
      };
      const config: Config = {
        providers: {
          src: { kind: 'plex', url: plex.url, token: plex.ownerToken, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
          dst: { kind: 'jellyfin', url: jf.url, token: alice.token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 },
        },
        pairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
        state: { path: ':memory:' },
        logLevel: 'silent',
      };
      const [outcome] = await runAll({ config, store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : 'no outcome');
      assert.equal(outcome.result.counts.write, 1);
      assert.notEqual(jf.state.userData[alice.id]?.[item.Id]?.PlaybackPositionTicks, previousMs * 10_000);

      const result = await undoRun({ config, store, log, runId: outcome.result.runId!, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.equal(result.status, 'ok');
      assert.deepEqual(result.counts, { restore: 1 });
      assert.equal(result.decisions[0]?.detail?.confirmed, true);
      const after = jf.state.userData[alice.id]?.[item.Id];
      assert.equal(after?.PlaybackPositionTicks, previousMs * 10_000, 'the old position, to the tick');
      assert.equal(Date.parse(after?.LastPlayedDate ?? ''), previousAt, 'the old LastPlayedDate');
      assert.equal(after?.PlayCount, 2);
      assert.equal(after?.IsFavorite, true);
    } finally {
      store.close();
      await Promise.all([plex.close(), jf.close()]);
    }
  });
});

describe('playhead undo (CLI)', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair();
    progressOn(p.source, items(p.source, 'movie').filter((m) => !isLegacy(m))[0]!, 0.4);
    await p.sync();
  });
  after(async () => p.close());

  test('an unknown run id exits 2 and lists recent run ids', async () => {
    for (const id of ['999', 'abc']) {
      const r = await playhead(['--config', p.configPath, 'undo', id], p.env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no run .*; recent runs: 1 \(main\)/);
    }
  });

  test('--json --dry-run prints the plan and changes nothing', async () => {
    const countsBefore = p.store.counts();
    const r = await playhead(['--config', p.configPath, '--json', 'undo', '--dry-run', '1'], p.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      undo: { runId?: number; of: number; dryRun: boolean; counts: Record<string, number>; decisions: { reason: string; action: string }[] };
    };
    assert.equal(out.undo.of, 1);
    assert.equal(out.undo.dryRun, true);
    assert.equal(out.undo.runId, undefined);
    assert.deepEqual(out.undo.counts, { restore: 1 });
    assert.deepEqual(
      out.undo.decisions.map((d) => [d.action, d.reason]),
      [['clear', 'restore']],
    );
    assert.deepEqual(p.store.counts(), countsBefore);
  });

  test('a real undo prints the table and records itself', async () => {
    const r = await playhead(['--config', p.configPath, 'undo', '1'], p.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Undo of run #1 \(main\), run #2/);
    assert.match(r.stdout, /restore: clear/);
    assert.match(r.stdout, /put back and confirmed by re-reading/);
    assert.equal(p.store.run(2)?.pair, 'undo:main');
  });

  test('undoing that undo while the target refuses writes exits 1 and says which item failed', async () => {
    await setFaults(p.target, { rules: [{ path: '/:/timeline', status: 500 }] });
    const r = await playhead(['--config', p.configPath, 'undo', '2'], p.env);
    await setFaults(p.target, { rules: [] });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /FAILED [^\n]*dst: POST[\s\S]*answered 500/);
    assert.equal(p.store.run(3)?.status, 'partial');
    assert.deepEqual(
      p.store.journal(3).map((j) => j.status),
      ['failed'],
    );
  });
});
