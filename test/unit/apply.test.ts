// applyWrites against a scripted in-memory target: how each write's outcome is settled after an
// ambiguous failure (re-read, confirm, re-send from the step that went wrong, or unknown), and
// that a failed confirm re-read never passes for a confirmed write, and what the target's last read becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeRef, ProgressValue, TargetState } from '../../src/core/model.ts';
import { decided, type PlannedWrite } from '../../src/core/pipeline.ts';
import { applyWrites } from '../../src/engine/apply.ts';
import { targetReads } from '../../src/engine/steps.ts';
import { ProviderError, type Capabilities, type Provider } from '../../src/providers/provider.ts';
import { Store } from '../../src/store/store.ts';

type Call = 'write' | 'markWatched' | 'clear' | 'read';
/** What a scripted call does: land (or not), then answer fine, ambiguously, or with a refusal. */
type Script = { lands: boolean; answer: 'ok' | 'ambiguous' | 'refused' };

const ref: NativeRef = { provider: 'dst', server: 's1', id: 'i1' };
const CAPS: Capabilities = {
  clear: true,
  units: 'ms',
  setsProgressTime: true,
  playingNow: false,
  watchedState: true,
  logsPlays: false,
  finishedReads: false,
  catalogue: true,
  maxConcurrentWrites: 1,
};

/** `logsPlays`: a target like Trakt, where marking watched logs a play and drops the position, and no watched flag is kept. */
function scriptedTarget(scripts: Partial<Record<Call, Script[]>>, opts: { logsPlays?: true } = {}) {
  const state: TargetState = { ref, watched: false, playCount: 0, playingNow: false };
  const calls: Call[] = [];
  const run = async (call: Call, apply: () => void) => {
    calls.push(call);
    const script = scripts[call]?.shift() ?? { lands: true, answer: 'ok' };
    if (script.lands) apply();
    if (script.answer === 'ambiguous') throw new ProviderError('unavailable', 'dst', `dst: ${call} timed out`, undefined, { ambiguous: true });
    if (script.answer === 'refused') throw new ProviderError('bad_response', 'dst', `dst: ${call} answered 400`, 400);
  };
  const provider: Provider = {
    id: 'dst',
    kind: 'scripted',
    capabilities: opts.logsPlays ? { ...CAPS, watchedState: false, logsPlays: true } : CAPS,
    connect: async () => ({ serverId: 's1', name: 's1', version: '1' }),
    async *listProgress() {},
    readItems: async () => [],
    resolve: async () => new Map(),
    async targetState() {
      await run('read', () => {});
      return new Map([[ref.id, { ...state }]]);
    },
    write: (_r: NativeRef, value: ProgressValue) =>
      run('write', () => {
        state.progressMs = value.progressMs;
        state.watched = false;
      }),
    markWatched: () =>
      run('markWatched', () => {
        state.watched = !opts.logsPlays;
        state.playCount++;
        delete state.progressMs;
      }),
    clear: () =>
      run('clear', () => {
        delete state.progressMs;
      }),
    close: async () => {},
  };
  return { provider, calls, state };
}

const VALUE = { progressMs: 600_000, durationMs: 6_000_000 };
function plannedWrite(extra: Partial<PlannedWrite> = {}): PlannedWrite {
  const decision = decided({ key: 'imdb:tt1', title: 'Heat', type: 'movie', source: { progressMs: VALUE.progressMs } }, 'write', 'write', {});
  return { key: 'imdb:tt1', ref, change: { kind: 'write', value: VALUE, unwatchFirst: false }, previous: {}, orderAt: 0, decision, ...extra };
}

async function apply(provider: Provider, w: PlannedWrite) {
  const store = Store.open(':memory:');
  const runId = store.startRun({ pair: 'p', source: 'src', target: 'dst', dryRun: false, startedAt: 1 });
  const outcomes = await applyWrites(provider, [w], { store, runId, now: () => 2 });
  const journal = store.journal(runId);
  store.close();
  const decision = outcomes.get(w.key);
  assert.ok(decision);
  return { decision, journal: journal.map((j) => [j.status, j.error]) };
}

test('an answered write is confirmed by the one batched re-read', async () => {
  const t = scriptedTarget({});
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read']);
  assert.deepEqual([decision.reason, decision.detail?.confirmed, decision.detail?.resent], ['write', true, undefined]);
  assert.deepEqual(journal, [['confirmed', undefined]]);
});

test('an ambiguous write that landed is confirmed by its own re-read and never re-sent', async () => {
  const t = scriptedTarget({ write: [{ lands: true, answer: 'ambiguous' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read']);
  assert.equal(decision.detail?.confirmed, true);
  assert.deepEqual(journal, [['confirmed', undefined]]);
});

test('an ambiguous write that did not land is re-sent, and the re-send confirmed by the batched re-read', async () => {
  const t = scriptedTarget({ write: [{ lands: false, answer: 'ambiguous' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read', 'write', 'read']);
  assert.deepEqual([decision.detail?.confirmed, decision.detail?.resent], [true, 1]);
  assert.deepEqual(journal, [['confirmed', undefined]]);
});

test('a re-send starts at the step that went wrong: an item is not marked watched twice', async () => {
  const t = scriptedTarget({ write: [{ lands: false, answer: 'ambiguous' }] });
  const { decision } = await apply(t.provider, plannedWrite({ change: { kind: 'write', value: VALUE, unwatchFirst: false, markWatched: true } }));
  assert.deepEqual(t.calls, ['markWatched', 'write', 'read', 'write', 'read']);
  assert.equal(t.state.playCount, 1);
  assert.equal(decision.detail?.confirmed, true);

  const c = scriptedTarget({ markWatched: [{ lands: false, answer: 'ambiguous' }] });
  await apply(c.provider, plannedWrite({ change: { kind: 'clear', markWatched: true }, expectWatched: true }));
  assert.deepEqual(c.calls, ['clear', 'markWatched', 'read', 'markWatched', 'read']);
  assert.equal(c.state.playCount, 1);
});

test('a finish marked watched on a target that logs plays is confirmed by its position being gone (it keeps no watched flag)', async () => {
  const t = scriptedTarget({}, { logsPlays: true });
  t.state.progressMs = 1_200_000;
  const decision = decided({ key: 'imdb:tt1', title: 'Heat', type: 'movie', source: {}, target: { progressMs: 1_200_000 } }, 'mark_watched', 'finished', {
    mode: 'mark_watched',
    finishedAt: 1,
  });
  // As planFinish plans it: no `expectWatched`, the journalled value says watched.
  const finish = plannedWrite({ change: { kind: 'mark_watched' }, previous: { progressMs: 1_200_000 }, decision });
  const { decision: outcome, journal } = await apply(t.provider, finish);
  assert.deepEqual(t.calls, ['markWatched', 'read']);
  assert.deepEqual([outcome.reason, outcome.detail?.confirmed], ['finished', true]);
  assert.deepEqual(journal, [['confirmed', undefined]]);

  // The same read on a target that keeps a watched flag but did not set it is not a finish.
  const flagless = scriptedTarget({});
  flagless.provider.markWatched = async () => {
    delete flagless.state.progressMs;
  };
  const { decision: notConfirmed } = await apply(flagless.provider, finish);
  assert.equal(notConfirmed.reason, 'failed');
});

test('at most two re-sends; then the write failed, proved not applied by the last re-read', async () => {
  const never = { lands: false, answer: 'ambiguous' } as const;
  const t = scriptedTarget({ write: [never, never, never, never] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read', 'write', 'read', 'write', 'read']);
  assert.deepEqual([decision.reason, decision.detail?.unknown, decision.detail?.resent], ['failed', undefined, 2]);
  assert.equal(journal[0]?.[0], 'failed');
  assert.match(String(journal[0]?.[1]), /^dst: write timed out; a re-read shows it did not land after 2 re-sends$/);
});

test('a refused write fails at once: no re-read, no re-send', async () => {
  const t = scriptedTarget({ write: [{ lands: false, answer: 'refused' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write']);
  assert.deepEqual([decision.reason, decision.detail?.unknown], ['failed', undefined]);
  assert.equal(journal[0]?.[0], 'failed');
});

test('an ambiguous write whose re-read fails too is unknown, not failed and not confirmed', async () => {
  const t = scriptedTarget({ write: [{ lands: true, answer: 'ambiguous' }], read: [{ lands: true, answer: 'ambiguous' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read']);
  assert.deepEqual([decision.reason, decision.detail?.unknown], ['failed', true]);
  assert.equal(journal[0]?.[0], 'unknown');
  assert.match(String(journal[0]?.[1]), /^outcome unknown: dst: write timed out, and the re-read failed too \(dst: read timed out\)$/);
});

test('an answered write whose batched confirm re-read fails is unknown: the run cannot call it confirmed', async () => {
  const t = scriptedTarget({ read: [{ lands: true, answer: 'refused' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual(t.calls, ['write', 'read']);
  assert.deepEqual([decision.reason, decision.detail?.unknown, decision.detail?.confirmed], ['failed', true, undefined]);
  assert.equal(journal[0]?.[0], 'unknown');
});

test('an answered write the re-read does not show is unknown (the server may have applied it and moved on)', async () => {
  const t = scriptedTarget({ write: [{ lands: false, answer: 'ok' }] });
  const { decision, journal } = await apply(t.provider, plannedWrite());
  assert.deepEqual([decision.reason, decision.detail?.unknown], ['failed', true]);
  assert.deepEqual(journal[0]?.[0], 'unknown');
  assert.match(String(journal[0]?.[1]), /^not confirmed: after writing 600000 ms the server reports position none$/);
});

test("the target's last read: a confirmed write's re-read (with the value's own time), else the state read before the write", async () => {
  const before: TargetState = { ref, progressMs: 60_000, progressAt: 10, watched: false, playCount: 0, playingNow: false };
  const value = { ...VALUE, progressAt: 500 };
  const planned = (w: PlannedWrite) => new Map([[w.key, { decision: w.decision, write: w, targetRead: before }]]);
  const cases: [string, Partial<Record<Call, Script[]>>, boolean][] = [
    ['answered', {}, true],
    ['ambiguous, landed', { write: [{ lands: true, answer: 'ambiguous' }] }, true],
    ['refused', { write: [{ lands: false, answer: 'refused' }] }, false],
    ['re-read failed', { read: [{ lands: true, answer: 'refused' }] }, false],
  ];
  for (const [name, scripts, confirmed] of cases) {
    const t = scriptedTarget(scripts);
    const w = plannedWrite({ change: { kind: 'write', value, unwatchFirst: false } });
    const store = Store.open(':memory:');
    const runId = store.startRun({ pair: 'p', source: 'src', target: 'dst', dryRun: false, startedAt: 1 });
    const seen = new Map<string, { write: PlannedWrite; state: TargetState }>();
    await applyWrites(t.provider, [w], { store, runId, now: () => 2, onConfirmed: (write, state) => seen.set(write.key, { write, state }) });
    store.close();
    assert.equal(seen.size, confirmed ? 1 : 0, name);
    const [read] = targetReads(planned(w), seen);
    assert.deepEqual([read?.key, read?.state.progressMs, read?.state.progressAt], confirmed ? [w.key, VALUE.progressMs, 500] : [w.key, 60_000, 10], name);
  }
});
