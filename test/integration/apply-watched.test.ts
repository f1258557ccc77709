// The applier's invariant (issue 10, defect 1): whoever plans a write (sync, two-way, undo),
// applyWrites never sends a position that lands at or past the target's watched point, and says
// why it did not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyWrites } from '../../src/engine/apply.ts';
import { decided, type PlannedWrite } from '../../src/core/pipeline.ts';
import { Store } from '../../src/store/store.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { fakeKind, FAKE_KIND, type FakeServer } from '../support/fake-provider.ts';

const WATCHED_AT = 90; // the fake target's completionPercent

function setup(durations: number[]): { server: FakeServer; target: Provider; store: Store; runId: number } {
  const kind = fakeKind();
  const server = kind.addServer('cabin', ['tok']);
  for (const [i, durationMs] of durations.entries())
    server.items.push({ id: `m${i}`, type: 'movie', ids: { imdb: `tt${1000 + i}` }, title: `M${i}`, durationMs });
  const config = { kind: FAKE_KIND, server: 'cabin', token: 'tok', pageSize: 100, retries: 0, maxConcurrentWrites: 4 } as const;
  const target = kind.module.create('fake-cabin', config, {} as never, {} as never);
  const store = Store.open(':memory:');
  const runId = store.startRun({ pair: 'p', source: 's', target: 'fake-cabin', dryRun: false, startedAt: 1 });
  return { server, target, store, runId };
}

function write(server: FakeServer, i: number, progressMs: number, progressPct: number | undefined, targetDurationMs: number | undefined): PlannedWrite {
  const decision = decided({ key: `imdb:tt${1000 + i}`, title: `M${i}`, type: 'movie', source: {} }, 'write', 'write', {});
  return {
    key: decision.key,
    ref: { provider: 'fake-cabin', server: server.serverId, id: `m${i}` },
    change: { kind: 'write', value: { progressMs, ...(progressPct !== undefined ? { progressPct } : {}) }, unwatchFirst: false },
    previous: {},
    ...(targetDurationMs !== undefined ? { targetDurationMs } : {}),
    orderAt: i,
    decision,
  };
}

describe('applyWrites: the watched point is an invariant', () => {
  it('a write landing at the watched point is not sent: failed, saying why; the others go through', async () => {
    const { server, target, store, runId } = setup([6_000_000, 6_000_000, 6_000_000]);
    const outcomes = await applyWrites(
      target,
      [write(server, 0, 5_400_000, 90, 6_000_000), write(server, 1, 5_399_000, 89.983, 6_000_000), write(server, 2, 3_000_000, 93, undefined)],
      { store, runId, now: () => 2 },
    );
    const m0 = outcomes.get('imdb:tt1000');
    assert.equal(m0?.reason, 'failed');
    assert.match(String(m0?.detail?.error), /not sent: 5400000 ms of its 6000000 ms runtime could reach fake-cabin's 90% watched point/);
    assert.equal(outcomes.get('imdb:tt1001')?.detail?.confirmed, true);
    // Runtime unknown and 93 % of the source's: not proved safe.
    assert.match(String(outcomes.get('imdb:tt1002')?.detail?.error), /of an unknown runtime could reach/);
    assert.deepEqual(
      server.writes.map((w) => w.id),
      ['m1'],
    );
    // Nothing journalled for what was never sent.
    assert.deepEqual(
      store.journal(runId).map((r) => r.key),
      ['imdb:tt1001'],
    );
  });

  it('clears always pass', async () => {
    const { server, target, store, runId } = setup([6_000_000]);
    server.userData('m0').progressMs = 1000;
    const decision = decided({ key: 'imdb:tt1000', title: 'M0', type: 'movie', source: {} }, 'clear', 'clear', { clearedAt: 1 });
    const clear: PlannedWrite = {
      key: 'imdb:tt1000',
      ref: { provider: 'fake-cabin', server: server.serverId, id: 'm0' },
      change: { kind: 'clear' },
      previous: {},
      orderAt: 0,
      decision,
    };
    const outcomes = await applyWrites(target, [clear], { store, runId, now: () => 2 });
    assert.equal(outcomes.get('imdb:tt1000')?.detail?.confirmed, true);
  });

  it('no sequence of planned writes makes the target hold a position at or past its watched point', async () => {
    const durations = fc.array(fc.integer({ min: 60_000, max: 20_000_000 }), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        durations.chain((ds) =>
          fc.tuple(
            fc.constant(ds),
            fc.array(
              fc.record({
                item: fc.nat({ max: ds.length - 1 }),
                fraction: fc.double({ min: 0, max: 1.5, noNaN: true }),
                // The target's copy against the source's: a different cut, never under half its length
                // (the assumption behind writing on an unknown runtime, see unknownRuntimeSafePercent).
                cut: fc.option(fc.double({ min: 0.5, max: 3, noNaN: true }), { nil: undefined }),
                runtimeKnown: fc.boolean(),
              }),
              { minLength: 1, maxLength: 12 },
            ),
          ),
        ),
        async ([ds, plans]) => {
          const { server, target, store, runId } = setup(ds);
          // Several batches in a row, as several runs (or an undo after a sync) would send.
          for (const [n, p] of plans.entries()) {
            const d = ds[p.item] as number;
            const ms = Math.round(d * p.fraction);
            // The value's percent is of the source's runtime (unknown without one).
            const pct = p.cut === undefined ? undefined : Math.round(((ms * 100) / (d / p.cut)) * 1000) / 1000;
            await applyWrites(target, [write(server, p.item, ms, pct, p.runtimeKnown ? d : undefined)], { store, runId, now: () => n });
          }
          return server.writes.every((w) => {
            const d = server.item(w.id)?.durationMs as number;
            return w.progressMs * 100 < WATCHED_AT * d;
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
