// Faults in the libraries themselves: ids two items share, runtimes that differ or are missing,
// positions out of range, an item deleted between the read and the write. Whatever the data,
// nothing is marked watched, no position moves back, and nothing lands on the wrong item.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  awaiting,
  control,
  decisionOf,
  deleteItem,
  label,
  runSync,
  scenario,
  SERVER_DIRECTIONS,
  setRawPosition,
  setRuntime,
  shareIds,
  twinIn,
  type Planned,
  type Ran,
  type World,
} from './support.ts';

/** Percent of the runtime past which the emulated servers mark an item watched (Plex 90 %, MediaBrowser maxResumePct 90). */
const WATCHED_AT = 0.9;

function assertReason(ran: Ran, p: Planned, reasons: string[]): void {
  const d = decisionOf(ran, p);
  assert.ok(d && reasons.includes(d.reason), `${p.item.title}: decided ${d?.reason ?? 'nothing'}, expected ${reasons.join(' or ')}`);
}

/** The target's copy holds no position at or past its own watched point. */
async function assertBelowWatchedPoint(w: World, p: Planned, targetRuntimeMs: number): Promise<void> {
  const held = await w.target.progressOf(p.twin);
  if (held?.ms !== undefined) assert.ok(held.ms < WATCHED_AT * targetRuntimeMs, `${p.item.title}: ${held.ms} ms on a ${targetRuntimeMs} ms copy`);
}

describe('duplicated id on the source: neither item is written', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('duplicated id on the source: neither item is written'), () =>
      scenario(
        d,
        {},
        async (w) => {
          const [first, second] = w.planned as [Planned, Planned];
          await shareIds(w.source, second.item, first.item);
        },
        { written: 'none', exitCode: 0 },
        {
          check: async (w, ran) => {
            const first = w.planned[0]!;
            assertReason(ran, first, ['ambiguous_ids']);
            // Both items are listed.
            assert.match(ran.output, new RegExp(w.planned[1]!.item.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          },
        },
      ),
    );
});

describe('duplicated id on the target: nothing is written to either copy', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('duplicated id on the target: nothing is written to either copy'), () =>
      scenario(
        d,
        {},
        async (w) => {
          const first = w.planned[0]!;
          const other = w.target.movies().find((m) => !w.planned.some((p) => p.twin === m) && m !== first.twin)!;
          await shareIds(w.target, other, first.twin);
        },
        { written: 'any' },
        {
          check: async (w, ran) => {
            const first = w.planned[0]!;
            assertReason(ran, first, ['ambiguous_ids']);
            assert.deepEqual(await w.target.progressOf(first.twin), first.targetBefore, 'the ambiguous copy is untouched');
          },
        },
      ),
    );
});

describe("shorter target runtime: never past the target's watched point", () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting("shorter target runtime: never past the target's watched point"), async () => {
      let runtime = 0;
      await scenario(
        d,
        {},
        async (w) => {
          // The source stopped at 45 %; the target's cut is half as long: 90 % of it.
          const p = w.planned[1]!;
          runtime = Math.round(p.twin.durationMs / 2);
          await setRuntime(w.target, p.twin, runtime);
        },
        { written: 'capped' },
        { check: (w) => assertBelowWatchedPoint(w, w.planned[1]!, runtime) },
      );
    });
});

describe('missing duration on the source: the target is not marked watched', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('missing duration on the source: the target is not marked watched'), () =>
      scenario(
        d,
        {},
        async (w) => {
          const p = w.planned[1]!;
          // 95 % in, and the source does not know the runtime.
          await setRawPosition(w.source, p.item, Math.round(0.95 * p.item.durationMs));
          await setRuntime(w.source, p.item, undefined);
        },
        { written: 'capped' },
        { check: (w) => assertBelowWatchedPoint(w, w.planned[1]!, w.planned[1]!.twin.durationMs) },
      ),
    );
});

describe('missing duration on the target: skipped as target_runtime_unknown or written safely low', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('missing duration on the target: skipped as target_runtime_unknown or written safely low'), () =>
      scenario(
        d,
        {},
        async (w) => {
          const p = w.planned[1]!;
          // 92 % in on the source (not yet "nearly finished"), past a 90 % watched point on the
          // target, whose copy (as long, really) shows no runtime.
          await setRawPosition(w.source, p.item, Math.round(0.92 * p.item.durationMs));
          await setRuntime(w.target, p.twin, undefined);
        },
        { written: 'capped' },
        {
          check: async (w, ran) => {
            const p = w.planned[1]!;
            const d = decisionOf(ran, p);
            if (d?.action === 'write') await assertBelowWatchedPoint(w, p, p.twin.durationMs);
            else assertReason(ran, p, ['target_runtime_unknown']);
          },
        },
      ),
    );
});

describe('over-runtime position on the source: skipped as bad_position', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('over-runtime position on the source: skipped as bad_position'), () =>
      scenario(
        d,
        {},
        async (w) => {
          const p = w.planned[1]!;
          await setRawPosition(w.source, p.item, Math.round(1.5 * p.item.durationMs));
        },
        { written: 'any' },
        {
          check: async (w, ran) => {
            const p = w.planned[1]!;
            assertReason(ran, p, ['bad_position']);
            assert.deepEqual(await w.target.progressOf(p.twin), p.targetBefore);
          },
        },
      ),
    );
});

describe('item deleted between read and write: nothing written, the run goes on', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), awaiting('item deleted between read and write: nothing written, the run goes on'), () =>
      scenario(
        d,
        {},
        async (w) => {
          // Every target request waits, so the deletion lands while the run is under way.
          await control(w.target, 'POST', 'faults', { latencyMs: 60, rules: [] });
        },
        { written: 'any', gone: true, message: { side: 'dst' } },
        {
          act: async (w) => {
            let deleting: Promise<void> | undefined;
            const ran = await runSync(w, {
              onEvent: (_pair, e) => {
                if (e.phase === 'read' && deleting === undefined) deleting = deleteItem(w.target, w.planned[0]!.twin);
              },
            });
            await deleting;
            return ran;
          },
          check: async (w, ran) => {
            const p = w.planned[0]!;
            assert.equal(twinIn(w.target, p.item) !== undefined, true);
            assert.notEqual(decisionOf(ran, p)?.reason, 'write', `${p.item.title} was written to a deleted item`);
          },
        },
      ),
    );
});
