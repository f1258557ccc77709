// Faults of time and of server lifetime: a server whose clock is an hour off on a two-way pair
// (no ping-pong; the side that really changed wins), and a server restarting mid-run, losing its
// sessions and dropping a connection (the run ends cleanly; nothing is written twice).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { control, label, runSync, scenario, SERVER_DIRECTIONS, TWO_WAY_DIRECTIONS, type Ran, type World } from './support.ts';

const HOUR = 3_600_000;

const writesOf = (ran: Ran): number => ran.outcomes.reduce((n, o) => n + (o.ok ? (o.result.counts.write ?? 0) : 0), 0);

for (const offsetMs of [HOUR, -HOUR]) {
  describe(`clock skew ${offsetMs > 0 ? '+' : '-'}1 h on two-way: no ping-pong, the newest change wins`, () => {
    for (const d of TWO_WAY_DIRECTIONS)
      test(label(d), () =>
        scenario(
          d,
          { mode: 'two-way' },
          (w) => control(w.target, 'POST', 'clock', { offsetMs }).then(() => undefined),
          { written: 'all' },
          {
            act: async (w: World) => {
              const first = await runSync(w);
              assert.equal(first.exitCode, 0, first.output);
              const second = await runSync(w);
              assert.equal(writesOf(second), 0, `the second run wrote again (ping-pong): ${second.output}`);
              // The user goes on watching on the source; the target's stamp of our own write must not win.
              const p = w.planned[0]!;
              p.fraction = 0.6;
              await w.source.setProgress(p.item, p.fraction, Date.now());
              const third = await runSync(w);
              const fourth = await runSync(w);
              assert.equal(writesOf(fourth), 0, `the fourth run wrote again (ping-pong): ${fourth.output}`);
              return third;
            },
            check: async (w) => {
              const p = w.planned[0]!;
              const held = await w.source.progressOf(p.item);
              if (held?.ms !== undefined)
                assert.ok(Math.abs(held.ms - 0.6 * p.item.durationMs) <= 1500, `the source's newer position was overwritten: ${JSON.stringify(held)}`);
            },
          },
        ),
      );
  });
}

describe('server restart mid-run: sessions forgotten, nothing written twice', () => {
  for (const d of SERVER_DIRECTIONS)
    test(label(d), () =>
      scenario(
        d,
        {},
        async (w) => {
          await w.target.setPlaying?.(w.planned[1]!.twin);
          await control(w.target, 'POST', 'faults', { latencyMs: 40, rules: [] });
        },
        { written: 'any' },
        {
          act: async (w) => {
            let restarting: Promise<unknown> | undefined;
            const first = await runSync(w, {
              onEvent: (_pair, e) => {
                // The restart: sessions gone, and the next request's connection dropped.
                restarting ??= control(w.target, 'POST', 'restart').then(() => control(w.target, 'POST', 'faults', { rules: [{ reset: true, count: 1 }] }));
                void e;
              },
            });
            await restarting;
            // Playhead's own client session may come back; nothing is playing any more.
            const state = (await control(w.target, 'GET', 'state')) as { sessions: { itemId?: string; ratingKey?: string }[] };
            assert.deepEqual(
              state.sessions.filter((s) => s.itemId ?? s.ratingKey),
              [],
              'the restarted server plays nothing',
            );
            const again = await runSync(w);
            const confirmedFirst = first.runId === undefined ? 0 : w.store.journal(first.runId).filter((r) => r.status === 'confirmed').length;
            assert.ok(writesOf(again) <= w.planned.length - confirmedFirst, `the second run re-wrote a confirmed item: ${again.output}`);
            return again;
          },
        },
      ),
    );
});
