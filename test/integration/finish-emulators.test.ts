// Finished items (issue 14) end to end over real HTTP, every kind as source and as target: the
// source finishes an item the target holds in progress; the engine marks it watched there (Trakt:
// logs a play) or clears it (`finish: clear`), journalled and confirmed; undo brings the position
// back; a target played after the finish is left alone; a no-change re-run costs one finished
// read per section and writes nothing; two-way finishes either way; absence (a deleted item, a
// source answering 500) never finishes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKey } from '../../src/core/ids.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import type { Kind } from '../harness/index.ts';
import { sharedMovies, startKindPair, twinIn, type KindPair } from '../support/kind-pair.ts';

const LIBRARY = 'movies=30,shows=2,seasons=2,episodes=4';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The fraction of the item the target holds before the finish. */
const HELD = 0.4;
/** The fraction of the item a target played after the finish holds. */
const LATER = 0.55;

/** The position a side holds for an item, as a fraction of it (ms or percent servers alike). */
async function fractionOn(side: Harness, item: TestItem): Promise<number | undefined> {
  const p = await side.progressOf(item);
  if (!p) return undefined;
  return p.ms !== undefined ? p.ms / item.durationMs : (p.pct ?? 0) / 100;
}

async function assertHolds(side: Harness, item: TestItem, fraction: number, what: string): Promise<void> {
  const held = await fractionOn(side, item);
  assert.ok(held !== undefined && Math.abs(held - fraction) < 0.01, `${what}: ${side.kind} holds ${held}, expected ${fraction}`);
}

/** Whether the target shows the item finished: watched, or (Trakt) a play logged since `sinceMs`. */
async function finishedOn(side: Harness, item: TestItem, sinceMs: number): Promise<boolean> {
  if (side.isWatched) return side.isWatched(item);
  assert.ok(side.playsOf, `${side.kind} can say whether it is watched or count plays`);
  return (await side.playsOf(item, sinceMs)) > 0;
}

const decisionOf = (run: RunResult, item: TestItem) => run.decisions.filter((d) => d.key.startsWith(canonicalKey(item) ?? '?'));

/** Requests of the side's finished read so far. */
function finishedReads(side: Harness): number {
  assert.ok(side.finishedRead, `${side.kind} reads finished items`);
  return side.requestCount(side.finishedRead.path, side.finishedRead.query);
}

const ONE_WAY: { from: Kind; to: Kind; finish?: 'clear' }[] = [
  { from: 'plex', to: 'jellyfin' },
  { from: 'jellyfin', to: 'plex' },
  { from: 'emby', to: 'plex' },
  { from: 'plex', to: 'emby' },
  { from: 'plex', to: 'trakt' },
  { from: 'trakt', to: 'plex' },
  { from: 'emby', to: 'jellyfin', finish: 'clear' },
];

for (const { from, to, finish = 'mark_watched' } of ONE_WAY) {
  describe(`finish ${from} → ${to} (${finish})`, () => {
    let pair: KindPair;
    let finished: TestItem;
    let playedLater: TestItem;
    let first: RunResult;

    before(async () => {
      pair = await startKindPair(from, to, { name: `fin-${from}-${to}`, library: LIBRARY, progress: { finish } });
      const { source, target } = pair;
      [finished, playedLater] = sharedMovies(source, target) as [TestItem, TestItem];
      const now = Date.now();
      const finishAt = now - HOUR;
      // A target that logs plays keeps an older play of its own: undo must leave it.
      if (target.playsOf) await target.setFinished?.(twinIn(target, finished), now - 7 * 24 * HOUR);
      await target.setProgress(twinIn(target, finished), HELD, now - 3 * HOUR);
      await target.setProgress(twinIn(target, playedLater), LATER, finishAt + 10 * MINUTE);
      assert.ok(source.setFinished);
      await source.setFinished(finished, finishAt);
      await source.setFinished(playedLater, finishAt);
      first = await pair.run();
    });
    after(() => pair.close());

    test('the finish takes the item out of the target’s Continue Watching, journalled and confirmed', async () => {
      const [d, ...more] = decisionOf(first, finished);
      assert.equal(more.length, 0);
      assert.deepEqual([d?.reason, d?.action, d?.detail?.confirmed], ['finished', finish, true], JSON.stringify(first.decisions));
      const { target } = pair;
      const twin = twinIn(target, finished);
      assert.equal(await target.progressOf(twin), undefined, 'no resume position left');
      assert.equal(await finishedOn(target, twin, first.startedAt), finish === 'mark_watched');
      const rows = pair.store.journal(first.runId ?? -1).filter((r) => r.key === d?.key);
      assert.deepEqual(
        rows.map((r) => r.status),
        ['confirmed'],
      );
      assert.ok(rows[0]?.previous.progressMs || rows[0]?.previous.progressPct, 'the previous position is journalled');
    });

    test('a target played after the finish keeps its position (finished_skip)', async () => {
      const [d] = decisionOf(first, playedLater);
      assert.deepEqual([d?.reason, d?.action], ['finished_skip', 'skip']);
      assert.ok(Number(d?.detail?.aheadMs) >= 10 * MINUTE - 1000, JSON.stringify(d?.detail));
      await assertHolds(pair.target, twinIn(pair.target, playedLater), LATER, 'played later');
    });

    test('a no-change re-run adds at most one finished read per section and writes nothing', async () => {
      const { source } = pair;
      const readsBefore = finishedReads(source);
      const again = await pair.run();
      assert.equal(again.stats.writes, 0, JSON.stringify(again.counts));
      assert.equal(again.counts.finished ?? 0, 0);
      // One page per library, a movie and a show one (Trakt: /sync/last_activities, and one
      // history page when its plays moved within the tolerance the cursor keeps behind the run).
      assert.ok(finishedReads(source) - readsBefore <= 2, `${finishedReads(source) - readsBefore} finished reads`);
    });

    test('undo brings back the position and the unwatched state', async () => {
      const undone = await pair.undo(first.runId ?? -1);
      assert.deepEqual(undone.counts, { restore: 1 }, JSON.stringify(undone.decisions));
      assert.equal(undone.decisions[0]?.detail?.confirmed, true);
      const { target } = pair;
      const twin = twinIn(target, finished);
      await assertHolds(target, twin, HELD, 'restored');
      assert.equal(await finishedOn(target, twin, first.startedAt), false, 'not watched any more');
      if (target.playsOf) assert.equal(await target.playsOf(twin, 0), 1, 'the older play is kept');
    });
  });
}

describe('finish two-way plex ⇄ jellyfin', () => {
  let pair: KindPair;
  after(() => pair.close());

  test('finished on either side finishes the other, and nothing ping-pongs', async () => {
    pair = await startKindPair('plex', 'jellyfin', { name: 'fin-two-way', library: LIBRARY, mode: 'two-way' });
    const { source: a, target: b } = pair;
    const [onA, onB] = sharedMovies(a, b) as [TestItem, TestItem];
    await a.setProgress(onA, 0.3, Date.now() - 3 * HOUR);
    await b.setProgress(twinIn(b, onB), 0.6, Date.now() - 3 * HOUR);
    assert.equal((await pair.run()).counts.write, 2);
    await assertHolds(b, twinIn(b, onA), 0.3, 'synced to b');
    await assertHolds(a, onB, 0.6, 'synced to a');

    // b finishes the first, a the second, each after the other side's last play.
    const at = Date.now() + 1000;
    await b.setFinished?.(twinIn(b, onA), at);
    await a.setFinished?.(onB, at);
    const run = await pair.run();
    assert.equal(run.counts.finished, 2, JSON.stringify(run.decisions));
    assert.deepEqual(
      run.decisions
        .filter((d) => d.reason === 'finished')
        .map((d) => d.detail?.direction)
        .sort(),
      ['dst → src', 'src → dst'],
    );
    assert.equal(await a.progressOf(onA), undefined);
    assert.equal(await a.isWatched?.(onA), true);
    assert.equal(await b.progressOf(twinIn(b, onB)), undefined);
    assert.equal(await b.isWatched?.(twinIn(b, onB)), true);

    const quiet = await pair.run();
    assert.equal(quiet.stats.writes, 0, JSON.stringify(quiet.counts));
  });
});

const ABSENCE: [Kind, Kind][] = [
  ['plex', 'jellyfin'],
  ['emby', 'plex'],
  ['trakt', 'emby'],
];

for (const [from, to] of ABSENCE) {
  describe(`finish ${from} → ${to}: absence never finishes`, () => {
    let pair: KindPair;
    after(() => pair.close());

    test('a deleted item or a finished read answering 500 finishes nothing; the read is tried again', async () => {
      pair = await startKindPair(from, to, { name: `fin-absent-${from}-${to}`, library: LIBRARY });
      const { source, target } = pair;
      const [vanished, finishedLater] = sharedMovies(source, target) as [TestItem, TestItem];
      const now = Date.now();
      await target.setProgress(twinIn(target, finishedLater), HELD, now - 3 * HOUR);
      if (source.removeItem) {
        await source.setProgress(vanished, HELD, now - 2 * HOUR);
        assert.equal((await pair.run()).counts.write, 1);
        await assertHolds(target, twinIn(target, vanished), HELD, 'synced');
        await source.removeItem(vanished);
      }
      // Finished after the first run (a finish before it would have been read by it).
      await source.setFinished?.(finishedLater, Date.now());
      assert.ok(source.finishedRead);
      await source.setFaults([{ ...source.finishedRead, status: 500 }]);
      const failed = await pair.runOutcome();
      if (failed.ok) assert.equal(failed.result.counts.finished ?? 0, 0, JSON.stringify(failed.result.counts));
      await assertHolds(target, twinIn(target, finishedLater), HELD, 'the read failed');
      if (source.removeItem) await assertHolds(target, twinIn(target, vanished), HELD, 'deleted on the source');

      await source.setFaults([]);
      const again = await pair.run();
      assert.deepEqual(
        again.decisions.filter((d) => d.reason === 'finished').map((d) => d.key),
        [canonicalKey(finishedLater)],
        'only the real finish, read again once the source answers',
      );
      if (source.removeItem) await assertHolds(target, twinIn(target, vanished), HELD, 'still held');
    });
  });
}
