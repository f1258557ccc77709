// One behavioural suite every provider must pass against its emulator. A new provider adds a
// harness (how to start its emulator and set up items there) and one file calling
// `runConformance`. Tests that need an ability a provider lacks skip by capability, not by name.
import { describe, test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ItemIdentity, NativeRef } from '../../src/core/model.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import { decideItem } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { ProviderError, type Capabilities, type Provider } from '../../src/providers/provider.ts';
import { Store } from '../../src/store/store.ts';

/** A catalogue item, named the same way on every kind (external ids are shared). */
export interface TestItem extends ItemIdentity {
  /** Duration in ms on this server. */
  durationMs: number;
}

export interface FaultRule {
  path?: string;
  method?: string;
  status?: number;
  count?: number;
  nonJson?: true;
}

/** What a provider's harness offers the suite; all state changes go through its emulator. */
export interface Harness {
  kind: string;
  /** Provider config pointing at the emulator, for the main test user. */
  config(): ProviderConfig;
  /** The same with a token the server refuses. */
  badConfig(): ProviderConfig;
  /** Prepares the store before the provider is built (e.g. Trakt sign-in tokens; refused ones when `good` is false). */
  prepareStore?(store: Store, providerId: string, good: boolean): void;
  movies(): TestItem[];
  episodes(): TestItem[];
  /** An item with external ids that this server does not have. */
  missing(): TestItem;
  /** Gives the test user a resume position, as if they had stopped playing. */
  setProgress(item: TestItem, fraction: number, atEpochMs: number): Promise<void>;
  /** The user's position for an item: ms, or a percent for percent-only servers. */
  progressOf(item: TestItem): Promise<{ ms?: number; pct?: number } | undefined>;
  setWatched?(item: TestItem): Promise<void>;
  /** Removes the user's position, as "remove from Continue Watching" does. */
  clearProgress?(item: TestItem): Promise<void>;
  /** Replaces the item's external ids on this server (in the server's own id names). */
  setIds?(item: TestItem, ids: Record<string, string>): Promise<void>;
  setPlaying?(item: TestItem): Promise<void>;
  /** The path of the progress listing (for faults), e.g. `/library/sections/1/all`. */
  listingPath: string;
  setFaults(rules: FaultRule[]): Promise<void>;
  requestCount(pathPrefix: string): number;
  close(): Promise<void>;
}

export interface ConformanceOptions {
  kind: string;
  start(): Promise<Harness>;
}

const log = pino({ level: 'silent' });

function build(h: Harness, config: ProviderConfig, store: Store, id = 'under-test', good = true): Provider {
  h.prepareStore?.(store, id, good);
  return createProvider(id, config, { state: store.providerState(id), installationId: 'conformance', log, now: Date.now, dryRun: false }, { minBackoffMs: 1 });
}

async function readAll(p: Provider) {
  const out = [];
  for await (const page of p.listProgress()) out.push(...page);
  return out;
}

async function resolveOne(p: Provider, item: TestItem): Promise<NativeRef | undefined> {
  const key = canonicalKey(item) ?? item.title;
  const outcome = (await p.resolve([{ ...item, key }])).get(key);
  return outcome && 'ref' in outcome ? outcome.ref : undefined;
}

/** Skips a test at run time when the provider lacks the capability it checks. */
function lacks(t: TestContext, p: Provider, cap: keyof Capabilities): boolean {
  if (p.capabilities[cap]) return false;
  t.skip(`${p.kind} has no ${cap}`);
  return true;
}

export function runConformance(opts: ConformanceOptions): void {
  describe(`${opts.kind} provider conformance`, () => {
    let h: Harness;
    let store: Store;
    const fresh = (): Provider => build(h, h.config(), store);
    before(async () => {
      h = await opts.start();
      store = Store.open(':memory:');
      fresh();
    });
    after(async () => {
      store.close();
      await h.close();
    });

    test('connects and names its server', async () => {
      const info = await fresh().connect();
      assert.ok(info.serverId.length > 0);
    });

    test('paged read returns every resumable item with its position, ids and time', async () => {
      const items = [...h.movies().slice(0, 230), ...h.episodes().slice(0, 30)];
      const at = Date.now() - 3_600_000;
      for (const [i, item] of items.entries()) await h.setProgress(item, 0.1 + (i % 7) * 0.1, at);
      const records = await readAll(fresh());
      assert.equal(records.length, items.length);
      const byKey = new Map(records.map((r) => [canonicalKey(r), r]));
      for (const [i, item] of items.entries()) {
        const r = byKey.get(canonicalKey(item));
        assert.ok(r, `${item.title} read back by its external ids`);
        const fraction = 0.1 + (i % 7) * 0.1;
        if (r.progressMs !== undefined) assert.ok(Math.abs(r.progressMs - item.durationMs * fraction) <= 1000, `${item.title} position`);
        else assert.ok(Math.abs((r.progressPct ?? -1) - fraction * 100) <= 0.1, `${item.title} percent`);
        assert.ok(r.progressAt !== undefined && Math.abs(r.progressAt - at) < 120_000, `${item.title} time`);
        assert.equal(r.type, item.type);
      }
    });

    test('write then re-read: the target holds the value', async () => {
      const p = fresh();
      const item = h.movies()[240]!;
      const ref = await resolveOne(p, item);
      assert.ok(ref, 'resolved');
      const progressMs = Math.round(item.durationMs * 0.42);
      await p.write(ref, { progressMs, progressPct: 42, durationMs: item.durationMs, progressAt: Date.now() - 60_000 });
      const state = (await p.targetState([ref])).get(ref.id);
      assert.ok(state);
      if (state.progressMs !== undefined) assert.ok(Math.abs(state.progressMs - progressMs) <= 1000);
      else assert.ok(Math.abs((state.progressPct ?? 0) - 42) <= 0.05);
      const stored = await h.progressOf(item);
      assert.ok(stored?.ms !== undefined ? Math.abs(stored.ms - progressMs) <= 1000 : Math.abs((stored?.pct ?? 0) - 42) <= 0.05);
    });

    test('an episode is found by its show ids and numbers', async () => {
      const p = fresh();
      const episode = h.episodes()[35]!;
      const ref = await resolveOne(p, { ...episode, ids: {} });
      assert.ok(ref, 'resolved without the episode ids');
      await p.write(ref, { progressMs: Math.round(episode.durationMs / 3), progressPct: 33.333, durationMs: episode.durationMs, progressAt: Date.now() });
      const stored = await h.progressOf(episode);
      assert.ok(stored && (stored.ms ?? stored.pct ?? 0) > 0, 'the position landed on that episode');
    });

    test('unchanged: the same source position is not written again (as the engine decides it)', async () => {
      const p = fresh();
      const item = h.movies()[241]!;
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const at = Date.now() - 60_000;
      const source = { ...item, ref: { provider: 'elsewhere', server: 'elsewhere', id: '1' }, progressMs: Math.round(item.durationMs * 0.3), durationMs: item.durationMs, progressAt: at, watched: false };
      const decide = async () => {
        const state = (await p.targetState([ref])).get(ref.id);
        return decideItem({ key: canonicalKey(item) ?? item.title, source, target: state, resolution: 'resolved', settings: DEFAULT_PROGRESS_SETTINGS, sameOrigin: false });
      };
      assert.equal((await decide()).reason, 'write', 'before the write the target differs');
      await p.write(ref, { progressMs: source.progressMs, progressPct: 30, durationMs: item.durationMs, progressAt: at });
      assert.equal((await decide()).reason, 'unchanged', 'after it, the target holds the same position');
    });

    test('clear removes the position', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'clear')) return;
      const item = h.movies()[245]!;
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      await p.write(ref, { progressMs: Math.round(item.durationMs * 0.5), progressPct: 50, durationMs: item.durationMs, progressAt: Date.now() });
      assert.ok(await h.progressOf(item), 'written first');
      assert.ok(p.clear, 'a provider with the clear capability implements clear()');
      await p.clear(ref);
      assert.equal(await h.progressOf(item), undefined);
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(state?.progressMs ?? state?.progressPct, undefined);
    });

    test('playing now is reported', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'playingNow')) return;
      const item = h.movies()[242]!;
      await h.setPlaying?.(item);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      assert.equal((await p.targetState([ref])).get(ref.id)?.playingNow, true);
      const other = await resolveOne(p, h.movies()[243]!);
      assert.ok(other);
      assert.equal((await p.targetState([other])).get(other.id)?.playingNow, false);
    });

    test('a watched item is reported watched', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'watchedState')) return;
      const item = h.movies()[244]!;
      await h.setWatched?.(item);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(state?.watched, true);
      assert.ok((state?.playCount ?? 0) >= 1);
    });

    test('an item the server does not have is unresolved', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'catalogue')) return;
      assert.equal(await resolveOne(p, h.missing()), undefined);
    });

    test('a refused token fails with an auth error naming the provider', async () => {
      const bad = build(h, h.badConfig(), Store.open(':memory:'), 'bad-token', false);
      await assert.rejects(
        (async () => {
          await bad.connect();
          await readAll(bad);
        })(),
        (err: unknown) => err instanceof ProviderError && err.kind === 'auth' && err.message.startsWith('bad-token:'),
      );
    });

    test('a 5xx burst is retried', async () => {
      const p = fresh();
      await p.connect();
      const before = h.requestCount(h.listingPath);
      await h.setFaults([{ path: h.listingPath, status: 503, count: 2 }]);
      const records = await readAll(p);
      await h.setFaults([]);
      assert.ok(records.length > 0);
      assert.ok(h.requestCount(h.listingPath) - before >= 3, 'two failures, then success');
    });

    test('a malformed payload is an error naming the provider and path', async () => {
      const p = fresh();
      await p.connect();
      await h.setFaults([{ path: h.listingPath, nonJson: true }]);
      try {
        await assert.rejects(readAll(p), (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.kind, 'bad_response');
          assert.ok(err.message.startsWith('under-test: GET '), err.message);
          assert.ok(err.message.includes(h.listingPath.replace(/\/$/, '')), err.message);
          return true;
        });
      } finally {
        await h.setFaults([]);
      }
    });

    test('rate limited (429) requests are retried', async () => {
      const p = fresh();
      await p.connect();
      await h.setFaults([{ path: h.listingPath, status: 429, count: 1 }]);
      const records = await readAll(p);
      await h.setFaults([]);
      assert.ok(records.length > 0);
    });
  });
}
