// Store.positions() and GET /api/positions — each item's last read on every provider,
// the most recently played first, paged, and which pairs' two sides are apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Store } from '../../src/store/store.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { Config } from '../../src/config/types.ts';
import { createApi } from '../../src/serve/api.ts';
import { EventBus } from '../../src/serve/events.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import type { Scheduler } from '../../src/serve/scheduler.ts';
import type { RunOutcome } from '../../src/serve/runner.ts';
import type { ProgressRecord } from '../../src/core/model.ts';

const MIN = 60_000;

function record(id: string, over: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    type: 'movie',
    ids: { imdb: `tt${id}` },
    title: `Film ${id}`,
    year: 2001,
    ref: { provider: 'x', server: 's', id: `r${id}` },
    watched: false,
    durationMs: 100 * MIN,
    ...over,
  };
}

function seeded() {
  const store = Store.open(':memory:');
  const runId = store.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: 1_000 });
  const observe = (provider: string, id: string, over: Partial<ProgressRecord>) =>
    store.recordObservations(runId, provider, [{ key: `movie:imdb:tt${id}`, record: record(id, over) }]);
  // 1: in step (10 s apart, delta 30 s); 2: 20 min apart; 3: watched on one side only;
  // 4: only on a; 5: percent-only on c (Trakt-like) against a's ms, 10 min apart.
  observe('a', '1', { progressMs: 10 * MIN, progressAt: 5_000 });
  observe('b', '1', { progressMs: 10 * MIN + 10_000, progressAt: 4_000 });
  observe('a', '2', { progressMs: 30 * MIN, progressAt: 9_000 });
  observe('b', '2', { progressMs: 10 * MIN, progressAt: 2_000 });
  observe('a', '3', { watched: true, progressAt: 7_000 });
  observe('b', '3', { progressMs: 5 * MIN });
  observe('a', '4', {});
  observe('a', '5', { progressMs: 50 * MIN, progressAt: 3_000 });
  observe('c', '5', { progressPct: 40, durationMs: undefined });
  return { store, runId };
}

const pairs = [
  { name: 'ab', source: 'a', target: 'b', deltaMs: 30_000 },
  { name: 'ac', source: 'a', target: 'c', deltaMs: 30_000 },
];

test('positions: every provider of each item, most recently played first, with identity and when read', () => {
  const { store } = seeded();
  const { items, more } = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: false, limit: 10, offset: 0 });
  assert.equal(more, false);
  assert.deepEqual(
    items.map((i) => i.key),
    ['movie:imdb:tt2', 'movie:imdb:tt3', 'movie:imdb:tt1', 'movie:imdb:tt5', 'movie:imdb:tt4'],
  );
  const two = items[0]!;
  assert.equal(two.item.title, 'Film 2');
  assert.equal(two.item.year, 2001);
  assert.deepEqual(two.item.ids, { imdb: 'tt2' });
  assert.deepEqual(
    two.positions.map((p) => [p.provider, p.progressMs, p.durationMs, p.watched, p.observedAt, p.ref]),
    [
      ['a', 30 * MIN, 100 * MIN, false, 1_000, 'r2'],
      ['b', 10 * MIN, 100 * MIN, false, 1_000, 'r2'],
    ],
  );
});

test('positions: out of step by more than the pair delta, or watched on one side only; percent against a known duration', () => {
  const { store } = seeded();
  const all = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: false, limit: 10, offset: 0 });
  const apart = Object.fromEntries(all.items.map((i) => [i.key.slice(-1), i.outOfStep]));
  assert.deepEqual(apart, { '1': [], '2': ['ab'], '3': ['ab'], '4': [], '5': ['ac'] });
  const only = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: true, limit: 10, offset: 0 });
  assert.deepEqual(
    only.items.map((i) => i.key.slice(-1)),
    ['2', '3', '5'],
  );
  // A wider delta puts 2 and 5 back in step (20 and 10 minutes apart).
  const wide = pairs.map((p) => ({ ...p, deltaMs: 25 * MIN }));
  assert.deepEqual(
    store.positions({ providers: ['a', 'b', 'c'], pairs: wide, outOfStepOnly: true, limit: 10, offset: 0 }).items.map((i) => i.key.slice(-1)),
    ['3'],
  );
});

test('positions: only the providers asked for, and pages that follow each other', () => {
  const { store } = seeded();
  const onlyC = store.positions({ providers: ['c'], pairs: [], outOfStepOnly: false, limit: 10, offset: 0 });
  assert.deepEqual(
    onlyC.items.map((i) => [i.key, i.positions.map((p) => p.provider)]),
    [['movie:imdb:tt5', ['c']]],
  );
  const first = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: false, limit: 2, offset: 0 });
  const second = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: false, limit: 2, offset: 2 });
  const last = store.positions({ providers: ['a', 'b', 'c'], pairs, outOfStepOnly: false, limit: 2, offset: 4 });
  assert.deepEqual([first.more, second.more, last.more], [true, true, false]);
  assert.deepEqual(
    [...first.items, ...second.items, ...last.items].map((i) => i.key.slice(-1)),
    ['2', '3', '1', '5', '4'],
  );
});

test('positions: a page over 100 000 observations stays fast', () => {
  const store = Store.open(':memory:');
  const runId = store.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: 1 });
  for (const provider of ['a', 'b']) {
    const batch = Array.from({ length: 50_000 }, (_, i) => ({
      key: `movie:imdb:tt${i}`,
      record: record(String(i), { progressMs: (i % 7) * MIN + (provider === 'b' && i % 3 === 0 ? 10 * MIN : 0), progressAt: i }),
    }));
    store.recordObservations(runId, provider, batch);
  }
  const started = performance.now();
  const page = store.positions({ providers: ['a', 'b'], pairs: [pairs[0]!], outOfStepOnly: true, limit: 50, offset: 0 });
  const ms = performance.now() - started;
  assert.equal(page.items.length, 50);
  assert.ok(page.items.every((i) => i.outOfStep.includes('ab')));
  assert.equal(page.items[0]!.key, 'movie:imdb:tt49998');
  assert.ok(ms < 1500, `a page took ${ms.toFixed(0)} ms`);
});

test('GET /api/positions: ?user= shows that user’s providers and compares only their pairs; ?provider= narrows further', async () => {
  const store = Store.open(':memory:');
  const runId = store.startRun({ pair: 'p', source: 'a', target: 'b', dryRun: false, startedAt: 1_000 });
  const observe = (provider: string, progressMs: number) =>
    store.recordObservations(runId, provider, [{ key: 'movie:imdb:tt1', record: record('1', { progressMs, progressAt: 5_000 }) }]);
  observe('plex@ann', 10 * MIN);
  observe('jf@ann', 40 * MIN);
  observe('plex@bob', 20 * MIN);
  observe('jf@bob', 20 * MIN);
  const progress = { ...DEFAULT_PROGRESS_SETTINGS };
  const pair = (user: string) => ({ name: `p@${user}`, source: `plex@${user}`, target: `jf@${user}`, mode: 'one-way' as const, features: { progress } });
  const config: Config = {
    providers: Object.fromEntries(['plex@ann', 'jf@ann', 'plex@bob', 'jf@bob'].map((p) => [p, { kind: p.startsWith('plex') ? 'plex' : 'jellyfin' }])),
    pairs: [pair('ann'), pair('bob')],
    users: { ann: { providers: ['plex@ann', 'jf@ann'], pairs: ['p@ann'] }, bob: { providers: ['plex@bob', 'jf@bob'], pairs: ['p@bob'] } },
    state: { path: ':memory:' },
    logLevel: 'silent',
  };
  const stop = new AbortController();
  const app = createApi({
    config,
    store,
    log: pino({ level: 'silent' }),
    // The positions route touches neither.
    scheduler: {} as unknown as Scheduler<RunOutcome>,
    events: new EventBus(),
    metrics: new ServeMetrics({ signal: stop.signal }),
    signal: stop.signal,
    ready: () => true,
  });
  type Page = { items: { positions: { provider: string }[]; outOfStep: string[] }[] };
  const get = async (query: string) => {
    const res = await app.request(`/api/positions?${query}`);
    return { status: res.status, body: (await res.json()) as Page & { error?: string } };
  };
  const shown = (page: Page) => page.items.map((i) => [i.positions.map((p) => p.provider), i.outOfStep]);

  assert.deepEqual(shown((await get('')).body), [[['jf@ann', 'jf@bob', 'plex@ann', 'plex@bob'], ['p@ann']]]);
  assert.deepEqual(shown((await get('user=ann')).body), [[['jf@ann', 'plex@ann'], ['p@ann']]]);
  assert.deepEqual(shown((await get('user=bob')).body), [[['jf@bob', 'plex@bob'], []]]);
  assert.deepEqual((await get('user=bob&outOfStep=1')).body.items, []);
  // One side of ann's pair only: nothing to compare.
  assert.deepEqual(shown((await get('user=ann&provider=plex@ann')).body), [[['plex@ann'], []]]);
  assert.deepEqual((await get('user=ann&provider=plex@bob')).body.items, []);
  const unknown = await get('user=carol');
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error ?? '', /no user "carol"; configured users: ann, bob/);
  stop.abort();
  store.close();
});
