// One behavioural suite every provider must pass against its emulator: every Provider method,
// every Capabilities field (each claim checked against behaviour), the error kinds, paging,
// users, write-then-read and write order. A new provider adds a harness (how to start its
// emulator and set up items there, see `Harness`) and one file calling `runConformance`. Tests
// that need an ability a provider lacks skip by capability, never by kind.
import { describe, test, before, after, afterEach, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { pino } from 'pino';
import type { ItemIdentity, NativeRef, ProgressRecord, ProgressValue, TargetState } from '../../src/core/model.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import { decideItem } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { ProviderError, type Capabilities, type Provider, type ProviderErrorKind } from '../../src/providers/provider.ts';
import { Store } from '../../src/store/store.ts';

/** A catalogue item, named the same way on every kind (external ids are shared). */
export interface TestItem extends ItemIdentity {
  /** Duration in ms on this server. */
  durationMs: number;
}

/** A fault rule of the emulators' `/__emulator/faults` (emulators/common/faults.ts). */
export interface FaultRule {
  /** A path prefix, or a regular expression when it starts with "^". */
  path?: string;
  /** Query parameters the request must carry with these values. */
  query?: Record<string, string>;
  method?: string;
  status?: number;
  count?: number;
  nonJson?: true;
}

/** `main` is the user the suite syncs; `other` is a second user of the same server. */
export type TestUser = 'main' | 'other';

/**
 * What a provider's harness offers the suite; all state changes go through its emulator.
 * Required: everything without `?`. The optional setters are needed exactly when the matching
 * capability is claimed (`setWatched` for watchedState, `setPlaying` for playingNow).
 */
export interface Harness {
  kind: string;
  /** Provider config pointing at the emulator, for a user (default `main`). */
  config(user?: TestUser): ProviderConfig;
  /** The same with a token the server refuses. */
  badConfig(): ProviderConfig;
  /** The config of a server that refuses connections; `deadUrl` is a local URL nothing listens on. */
  unreachableConfig(deadUrl: string): ProviderConfig;
  /** Prepares the store before the provider is built (e.g. Trakt sign-in tokens; refused ones when `good` is false). */
  prepareStore?(store: Store, providerId: string, good: boolean, user?: TestUser): void;
  /** Movies with a duration; there must be more than `listingPageSize` + 40 of them. */
  movies(): TestItem[];
  episodes(): TestItem[];
  /** An item with external ids that this server does not have. */
  missing(): TestItem;
  /** A native id (ratingKey, item id) in this server's format that names no item. */
  unknownId: string;
  /** Rows per page of the progress listing: the suite seeds more than one page. */
  listingPageSize: number;
  /** Gives a user (default `main`) a resume position, as if they had stopped playing. */
  setProgress(item: TestItem, fraction: number, atEpochMs: number, user?: TestUser): Promise<void>;
  /** A user's position for an item: ms, or a percent for percent-only servers. */
  progressOf(item: TestItem, user?: TestUser): Promise<{ ms?: number; pct?: number } | undefined>;
  setWatched?(item: TestItem): Promise<void>;
  /** Whether the main user's item is marked watched (watchedState kinds). */
  isWatched?(item: TestItem): Promise<boolean>;
  /** Deletes the item from the server's library, as a removed file does. */
  removeItem?(item: TestItem): Promise<void>;
  /** The requests of a finished read (`listFinished`), for faults and counting; with finishedReads. */
  finishedRead?: { path: string; query?: Record<string, string> };
  /** Marks the item finished (watched, no position) at `atMs` by `user` (else the main user), as
   * the server records a finish; needed when `finishedReads` is claimed (the suite's finish cases). */
  setFinished?(item: TestItem, atMs: number, user?: TestUser): Promise<void>;
  /** How many plays of the item the server's history holds at or after `sinceMs`, for a user
   * (else the main user); needed when `logsPlays` is claimed. */
  playsOf?(item: TestItem, sinceMs: number, user?: TestUser): Promise<number>;
  /** Removes the user's position, as "remove from Continue Watching" does. */
  clearProgress?(item: TestItem): Promise<void>;
  /** Replaces the item's external ids on this server (in the server's own id names). */
  setIds?(item: TestItem, ids: Record<string, string>): Promise<void>;
  setPlaying?(item: TestItem): Promise<void>;
  /** The path of the progress listing (for faults), e.g. `/library/sections/1/all`. */
  listingPath: string;
  setFaults(rules: FaultRule[]): Promise<void>;
  /** Requests to a path prefix (a regular expression when it starts with "^") carrying `query`. */
  requestCount(pathPrefix: string, query?: Record<string, string>): number;
  /** Connections the server holds open right now (see ../harness/util.ts); absent when it is not reached over the network. */
  openConnections?(): number;
  close(): Promise<void>;
}

export interface ConformanceOptions {
  kind: string;
  start(): Promise<Harness>;
}

const log = pino({ level: 'silent' });
/** How close a position read back must be to the one written. */
const MS_SLACK = 1000;
const PCT_SLACK = 0.05;

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

/** A value to write: `fraction` of the item, as the engine hands it over (ms, percent, duration, time). */
function valueAt(item: TestItem, fraction: number, progressAt = Date.now() - 60_000): ProgressValue {
  return { progressMs: Math.round(item.durationMs * fraction), progressPct: Math.round(fraction * 100_000) / 1000, durationMs: item.durationMs, progressAt };
}

/** The position a state or record holds, in the unit the provider claims (`units`). */
function positionIn(caps: Capabilities, s: { progressMs?: number | undefined; progressPct?: number | undefined } | undefined): number | undefined {
  if (!s) return undefined;
  if (caps.units === 'pct') {
    assert.equal(s.progressMs, undefined, 'a percent-only provider reports no ms');
    return s.progressPct;
  }
  return s.progressMs;
}

/** The state / stored position holds `fraction` of the item (in the provider's units). */
function assertHolds(caps: Capabilities, item: TestItem, fraction: number, state: TargetState | undefined, what: string): void {
  const at = positionIn(caps, state);
  assert.ok(at !== undefined, `${what}: a position`);
  if (caps.units === 'pct') assert.ok(Math.abs(at - fraction * 100) <= PCT_SLACK, `${what}: ${at} % ≈ ${fraction * 100} %`);
  else assert.ok(Math.abs(at - item.durationMs * fraction) <= MS_SLACK, `${what}: ${at} ms ≈ ${item.durationMs * fraction} ms`);
}

function assertStored(item: TestItem, fraction: number, stored: { ms?: number; pct?: number } | undefined, what: string): void {
  assert.ok(stored, `${what}: the server holds a position`);
  if (stored.ms !== undefined) assert.ok(Math.abs(stored.ms - item.durationMs * fraction) <= MS_SLACK, `${what}: ${stored.ms} ms on the server`);
  else assert.ok(Math.abs((stored.pct ?? -1) - fraction * 100) <= PCT_SLACK, `${what}: ${stored.pct} % on the server`);
}

/** Rejects with a ProviderError of this kind whose message names the provider. */
async function rejectsWith(work: Promise<unknown>, kind: ProviderErrorKind, provider: string, check?: (err: ProviderError) => void): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof ProviderError, `a ProviderError, not ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(err.message.startsWith(`${provider}:`), err.message);
    check?.(err);
    return true;
  });
}

/** A local port nothing listens on (connection refused). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

export function runConformance(opts: ConformanceOptions): void {
  describe(`${opts.kind} provider conformance`, () => {
    let h: Harness;
    let store: Store;
    /** Every provider a test built; closed after each test, so connections never pile up. */
    let built: Provider[] = [];
    /** Movies not used by an earlier test: each test writes to items of its own. */
    let unused: TestItem[] = [];
    const take = (n: number): TestItem[] => {
      assert.ok(unused.length >= n, `the ${h.kind} harness has too few movies for the suite`);
      return unused.splice(0, n);
    };
    const takeOne = (): TestItem => take(1)[0]!;

    const build = (config: ProviderConfig, opt: { id?: string; user?: TestUser; good?: boolean; store?: Store } = {}): Provider => {
      const id = opt.id ?? 'under-test';
      const db = opt.store ?? store;
      h.prepareStore?.(db, id, opt.good ?? true, opt.user ?? 'main');
      const p = createProvider(
        id,
        config,
        { state: db.providerState(id), installationId: 'conformance', log, now: Date.now, dryRun: false },
        { minBackoffMs: 1 },
      );
      built.push(p);
      return p;
    };
    /** A new instance for the main user, sharing nothing in memory with earlier ones. */
    const fresh = (): Provider => build(h.config());
    /** A ref found by one instance, for use by another (as undo on a later run would). */
    const refOf = async (item: TestItem): Promise<NativeRef> => {
      const ref = await resolveOne(fresh(), item);
      assert.ok(ref, `${item.title} resolved`);
      return ref;
    };
    const stateOf = async (ref: NativeRef): Promise<TargetState | undefined> => (await fresh().targetState([ref])).get(ref.id);

    before(async () => {
      h = await opts.start();
      store = Store.open(':memory:');
      unused = [...h.movies()];
    });
    afterEach(async () => {
      const open = built;
      built = [];
      await Promise.all(open.map((p) => p.close()));
    });
    after(async () => {
      store.close();
      await h.close();
    });

    // --- connect, listProgress, paging ---

    test('connects and names its server', async () => {
      const info = await fresh().connect();
      assert.ok(info.serverId.length > 0);
      assert.ok(info.name.length > 0);
      assert.ok(info.version.length > 0);
    });

    test('paged read returns every resumable item with its position, ids and time', async () => {
      const p = fresh();
      // More than one page of movies, so a provider that stops after the first page fails here.
      const items = [...take(h.listingPageSize + 30), ...h.episodes().slice(0, 30)];
      const at = Date.now() - 3_600_000;
      for (const [i, item] of items.entries()) await h.setProgress(item, 0.1 + (i % 7) * 0.1, at);
      const pagesBefore = h.requestCount(h.listingPath);
      const seen: number[] = [];
      const records = [];
      for await (const page of p.listProgress({ onPage: (n) => seen.push(n) })) records.push(...page);
      assert.ok(h.requestCount(h.listingPath) - pagesBefore >= 2, 'the listing was read in more than one page');
      assert.equal(records.length, items.length);
      assert.equal(seen.at(-1), records.length, 'onPage counts every record');
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        'onPage counts only grow',
      );
      const byKey = new Map(records.map((r) => [canonicalKey(r), r]));
      assert.equal(byKey.size, records.length, 'no item is read twice');
      for (const [i, item] of items.entries()) {
        const r = byKey.get(canonicalKey(item));
        assert.ok(r, `${item.title} read back by its external ids`);
        const fraction = 0.1 + (i % 7) * 0.1;
        const position = positionIn(p.capabilities, r);
        if (p.capabilities.units === 'ms') assert.ok(Math.abs((position ?? -1) - item.durationMs * fraction) <= MS_SLACK, `${item.title} position`);
        else assert.ok(Math.abs((position ?? -1) - fraction * 100) <= 0.1, `${item.title} percent`);
        assert.ok(r.progressAt !== undefined && Math.abs(r.progressAt - at) < 120_000, `${item.title} time`);
        assert.equal(r.type, item.type);
        assert.equal(r.ref.provider, 'under-test');
      }
    });

    test('readItems gives the listed records of the ids asked, and nothing for an id it would not list', async () => {
      const p = fresh();
      const gone = takeOne();
      const items = [...take(2), h.episodes()[33]!];
      for (const item of [gone, ...items]) await h.setProgress(item, 0.4, Date.now() - 600_000);
      const keys = new Set(items.map((i) => canonicalKey(i)));
      const all = await readAll(p);
      const listed = all.filter((r) => keys.has(canonicalKey(r)));
      assert.equal(listed.length, items.length);
      // An item whose position is gone since: the listing would not show it, nor may readItems.
      const goneId = all.find((r) => canonicalKey(r) === canonicalKey(gone))?.ref.id;
      assert.ok(goneId !== undefined);
      await h.setProgress(gone, 0, Date.now() - 60_000);
      const byId = (rs: ProgressRecord[]) => [...rs].sort((a, b) => a.ref.id.localeCompare(b.ref.id));
      const read = await fresh().readItems([...listed.map((r) => r.ref.id), goneId, h.unknownId]);
      assert.deepEqual(byId(read), byId(listed), 'the same records as the listing; none for an item without a position or an unknown id');
      assert.deepEqual(await fresh().readItems([]), []);
    });

    // --- resolve, targetState, write ---

    test('resolve answers every request of a batch under its key', async () => {
      const p = fresh();
      const items = [...h.movies().slice(-2), h.episodes()[36]!];
      const requests = items.map((i) => ({ ...i, key: canonicalKey(i) ?? i.title }));
      const found = await p.resolve(requests);
      assert.equal(found.size, requests.length);
      for (const r of requests) {
        const outcome = found.get(r.key);
        assert.ok(outcome && 'ref' in outcome, `${r.title} resolved`);
        assert.equal(outcome.ref.provider, 'under-test');
        assert.equal(outcome.ref.server, (await p.connect()).serverId);
      }
    });

    test('write then re-read: the target holds the value', async () => {
      const p = fresh();
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref, 'resolved');
      await p.write(ref, valueAt(item, 0.42));
      assertHolds(p.capabilities, item, 0.42, (await p.targetState([ref])).get(ref.id), 'targetState');
      assertStored(item, 0.42, await h.progressOf(item), 'emulator');
      // A read of the listing sees it too.
      const listed = (await readAll(fresh())).find((r) => canonicalKey(r) === canonicalKey(item));
      assert.ok(listed, 'the written item is listed as resumable');
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(positionIn(p.capabilities, listed), positionIn(p.capabilities, state), 'listing and targetState agree');
    });

    test('targetState without the playing-now lookup still reports the item', async () => {
      const p = fresh();
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      await p.write(ref, valueAt(item, 0.33));
      const state = (await p.targetState([ref], { playing: false })).get(ref.id);
      assertHolds(p.capabilities, item, 0.33, state, 'targetState(playing: false)');
      assert.equal(state?.playingNow, false);
      assert.deepEqual(state?.ref, ref, 'the state carries the ref it was asked for');
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
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const at = Date.now() - 60_000;
      const source = {
        ...item,
        ref: { provider: 'elsewhere', server: 'elsewhere', id: '1' },
        progressMs: Math.round(item.durationMs * 0.3),
        durationMs: item.durationMs,
        progressAt: at,
        watched: false,
      };
      const decide = async () => {
        const state = (await p.targetState([ref])).get(ref.id);
        return decideItem({
          key: canonicalKey(item) ?? item.title,
          source,
          target: state,
          resolution: 'resolved',
          settings: DEFAULT_PROGRESS_SETTINGS,
          sameOrigin: false,
        });
      };
      assert.equal((await decide()).reason, 'write', 'before the write the target differs');
      await p.write(ref, { progressMs: source.progressMs, progressPct: 30, durationMs: item.durationMs, progressAt: at });
      assert.equal((await decide()).reason, 'unchanged', 'after it, the target holds the same position');
    });

    // --- no ordering assumption: a fresh instance with only a ref ---

    test('write on a fresh provider, without resolve or targetState first, then read back', async () => {
      const item = takeOne();
      const ref = await refOf(item);
      await fresh().write(ref, valueAt(item, 0.37));
      assertHolds(fresh().capabilities, item, 0.37, await stateOf(ref), 'read back by another fresh instance');
      assertStored(item, 0.37, await h.progressOf(item), 'emulator');
    });

    test('a ref from the listing works on a fresh provider: targetState, then write', async () => {
      const item = takeOne();
      await h.setProgress(item, 0.6, Date.now() - 60_000);
      const listed = (await readAll(fresh())).find((r) => canonicalKey(r) === canonicalKey(item));
      assert.ok(listed, 'listed');
      const caps = fresh().capabilities;
      assertHolds(caps, item, 0.6, (await fresh().targetState([listed.ref])).get(listed.ref.id), 'state by the listed ref');
      await fresh().write(listed.ref, valueAt(item, 0.2));
      assertStored(item, 0.2, await h.progressOf(item), 'written by the listed ref');
    });

    /** A fresh instance with `cap` (else the test is skipped), an item with a position, and its ref from another instance. */
    const positionedOnFresh = async (t: TestContext, cap: 'clear' | 'watchedState') => {
      const p = fresh();
      if (lacks(t, p, cap)) return undefined;
      const item = takeOne();
      await h.setProgress(item, 0.5, Date.now() - 60_000);
      return { p, item, ref: await refOf(item) };
    };

    test('clear on a fresh provider, without resolve or targetState first', async (t) => {
      const given = await positionedOnFresh(t, 'clear');
      if (!given) return;
      assert.ok(given.p.clear, 'a provider with the clear capability implements clear()');
      await given.p.clear(given.ref);
      assert.equal(await h.progressOf(given.item), undefined);
    });

    test('markWatched on a fresh provider, without resolve or targetState first', async (t) => {
      const given = await positionedOnFresh(t, 'watchedState');
      if (!given) return;
      assert.ok(given.p.markWatched, 'a provider with watched state implements markWatched()');
      await given.p.markWatched(given.ref);
      assert.equal((await stateOf(given.ref))?.watched, true);
    });

    test('a write keeps the watched history (play count) of the item, also on a fresh provider', async (t) => {
      if (lacks(t, fresh(), 'watchedState')) return;
      const item = takeOne();
      await h.setWatched?.(item);
      const ref = await refOf(item);
      await fresh().write(ref, valueAt(item, 0.25));
      const state = await stateOf(ref);
      assert.ok((state?.playCount ?? 0) >= 1, 'the play count survives the write');
      assertHolds(fresh().capabilities, item, 0.25, state, 'the position');
    });

    test("a change after the provider's own earlier change starts from the server's record, not a copy read before", async (t) => {
      const p = fresh();
      if (lacks(t, p, 'watchedState')) return;
      const item = takeOne();
      await h.setProgress(item, 0.5, Date.now() - 60_000);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      assert.equal((await p.targetState([ref])).get(ref.id)?.watched, false, 'read unwatched first');
      // As undo restores a rewatch: mark watched, then put the old position back.
      await p.markWatched?.(ref);
      await p.write(ref, valueAt(item, 0.3));
      const state = await stateOf(ref);
      assert.equal(state?.watched, true, 'the write kept the watched flag set just before');
      assertHolds(p.capabilities, item, 0.3, state, 'the position');
    });

    test('write with unwatchFirst: a watched item becomes unwatched at the new position', async (t) => {
      if (lacks(t, fresh(), 'watchedState')) return;
      const item = takeOne();
      await h.setWatched?.(item);
      const ref = await refOf(item);
      assert.equal((await stateOf(ref))?.watched, true, 'watched before');
      await fresh().write(ref, valueAt(item, 0.4), { unwatchFirst: true });
      const state = await stateOf(ref);
      assert.equal(state?.watched, false);
      assertHolds(fresh().capabilities, item, 0.4, state, 'the position');
    });

    // --- capabilities, each claim against behaviour ---

    test('clear: the capability and the method come together, and clear removes the position', async (t) => {
      const p = fresh();
      assert.equal(typeof p.clear === 'function', p.capabilities.clear, 'clear() exists exactly when capabilities.clear');
      if (lacks(t, p, 'clear')) return;
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      await p.write(ref, valueAt(item, 0.5));
      assert.ok(await h.progressOf(item), 'written first');
      assert.ok(p.clear);
      await p.clear(ref);
      assert.equal(await h.progressOf(item), undefined);
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(state?.progressMs ?? state?.progressPct, undefined);
      await p.clear(ref); // clearing what is already clear is not an error
    });

    test('playing now is reported', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'playingNow')) return;
      const [item, other] = take(2) as [TestItem, TestItem];
      assert.ok(h.setPlaying, 'a harness for a playingNow provider can start a session');
      await h.setPlaying(item);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      assert.equal((await p.targetState([ref])).get(ref.id)?.playingNow, true);
      const otherRef = await resolveOne(p, other);
      assert.ok(otherRef);
      assert.equal((await p.targetState([otherRef])).get(otherRef.id)?.playingNow, false);
    });

    test('watchedState: the capability and markWatched come together, and a watched item is reported watched', async (t) => {
      const p = fresh();
      const marks = p.capabilities.watchedState || p.capabilities.logsPlays;
      assert.equal(typeof p.markWatched === 'function', marks, 'markWatched() exists exactly when capabilities.watchedState or logsPlays');
      assert.equal(typeof p.markUnwatched === 'function', marks, 'markUnwatched() exists exactly when capabilities.watchedState or logsPlays');
      if (p.capabilities.logsPlays) assert.equal(p.capabilities.watchedState, false, 'a server that logs plays keeps no watched flag next to positions');
      if (lacks(t, p, 'watchedState')) return;
      const item = takeOne();
      assert.ok(h.setWatched, 'a harness for a watchedState provider can mark items watched');
      await h.setWatched(item);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(state?.watched, true);
      assert.ok((state?.playCount ?? 0) >= 1);
    });

    test('logsPlays: markWatched logs a play and drops the position; markUnwatched(since) removes that play and keeps an older one', async (t) => {
      if (lacks(t, fresh(), 'logsPlays')) return;
      const { playsOf, setFinished } = h;
      assert.ok(playsOf && setFinished, 'a harness for a logsPlays provider counts plays and logs older ones');
      const [byKey, byListing] = take(2) as [TestItem, TestItem];
      const weekAgo = Date.now() - 7 * 86_400_000;
      for (const item of [byKey, byListing]) {
        // Played to the end a week ago, started again since.
        await setFinished(item, weekAgo);
        await h.setProgress(item, 0.4, Date.now() - 3_600_000);
      }
      const listedRef = (await readAll(fresh())).find((r) => canonicalKey(r) === canonicalKey(byListing))?.ref;
      assert.ok(listedRef, 'listed');
      // Both forms of ref, each used by instances that share nothing in memory (as undo on a later run).
      for (const [item, ref] of [
        [byKey, await refOf(byKey)],
        [byListing, listedRef],
      ] as const) {
        const since = Date.now();
        const p = fresh();
        assert.ok(p.markWatched && p.markUnwatched);
        await p.markWatched(ref);
        assert.equal(await h.progressOf(item), undefined, `${item.title}: the position is gone`);
        const state = await stateOf(ref);
        assert.equal(positionIn(p.capabilities, state), undefined, `${item.title}: the target state holds no position`);
        assert.equal(state?.watched, false, `${item.title}: a logged play is no watched flag`);
        assert.equal(await playsOf(item, since), 1, `${item.title}: one play logged`);
        await fresh().markUnwatched?.(ref, since);
        assert.equal(await playsOf(item, since), 0, `${item.title}: the logged play is removed`);
        assert.equal(await playsOf(item, weekAgo), 1, `${item.title}: the play of a week ago is kept`);
        // Undo then puts the position back by the same ref, and reads it back.
        await fresh().write(ref, valueAt(item, 0.4));
        assertStored(item, 0.4, await h.progressOf(item), `${item.title}: restored`);
        assertHolds(p.capabilities, item, 0.4, await stateOf(ref), `${item.title}: restored, read by the same ref`);
      }
    });

    test('finishedReads: the capability and listFinished/readFinished come together', () => {
      const p = fresh();
      const both = typeof p.listFinished === 'function' && typeof p.readFinished === 'function';
      assert.equal(both, p.capabilities.finishedReads, 'listFinished() and readFinished() exist exactly when capabilities.finishedReads');
      // A kind that reads finished items can undo marking one watched (finish: mark_watched).
      if (p.capabilities.finishedReads && p.capabilities.watchedState)
        assert.equal(typeof p.markUnwatched, 'function', 'markUnwatched() comes with watchedState');
    });

    test('finishedReads: a finished item is listed from its watched time (not after it) and read by id; an unwatched one is absent', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'finishedReads')) return;
      assert.ok(h.setFinished, 'a harness for a finishedReads provider can finish items');
      assert.ok(p.listFinished && p.readFinished);
      const [item, unwatched] = take(2) as [TestItem, TestItem];
      // Whole seconds: servers keep watched times in seconds.
      const at = Math.floor((Date.now() - 600_000) / 1000) * 1000;
      await h.setFinished(item, at);
      await h.setProgress(unwatched, 0.3, at);
      const [ref, unwatchedRef] = [await resolveOne(p, item), await resolveOne(p, unwatched)];
      assert.ok(ref && unwatchedRef);
      const listed = async (since: number) => {
        const out: ProgressRecord[] = [];
        for await (const page of (p.listFinished as NonNullable<Provider['listFinished']>)(since)) out.push(...page);
        return out;
      };
      const key = canonicalKey(item);
      const found = (await listed(at - 1000)).filter((r) => canonicalKey(r) === key);
      assert.equal(found.length, 1, 'listed once since just before its watched time');
      const record = found[0];
      assert.equal(record?.watched, true);
      assert.ok(Math.abs((record?.watchedAt ?? 0) - at) <= 1000, `watchedAt ${record?.watchedAt} ≈ ${at}`);
      assert.equal(record?.ref.id, ref.id);
      assert.ok(!(await listed(at - 1000)).some((r) => canonicalKey(r) === canonicalKey(unwatched)), 'an unwatched item is not listed');
      assert.ok(!(await listed(at + 60_000)).some((r) => canonicalKey(r) === key), 'not listed since a minute after its watched time');
      const byId = await p.readFinished([ref.id, unwatchedRef.id]);
      assert.deepEqual(
        byId.map((r) => r.ref.id),
        [ref.id],
        'readFinished gives the finished item, not the unwatched one',
      );
      assert.ok(Math.abs((byId[0]?.watchedAt ?? 0) - at) <= 1000);
    });

    test('watchedState: markWatched takes an item out of Continue Watching; markUnwatched reverses it', async (t) => {
      const p = fresh();
      if (lacks(t, p, 'watchedState')) return;
      assert.ok(p.markWatched);
      const item = takeOne();
      await h.setProgress(item, 0.35, Date.now() - 3_600_000);
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const since = Date.now() - 1000;
      await p.markWatched(ref);
      const watched = await stateOf(ref);
      assert.equal(watched?.watched, true, 'watched');
      assert.equal(positionIn(p.capabilities, watched) ?? 0, 0, 'no position left');
      assert.ok(!(await readAll(fresh())).some((r) => r.ref.id === ref.id), 'gone from the resumable listing');
      if (!p.markUnwatched) {
        t.diagnostic(`${p.kind} has no markUnwatched yet`);
        return;
      }
      await p.markUnwatched(ref, since);
      assert.equal((await stateOf(ref))?.watched, false, 'unwatched again');
    });

    test('completionPercent: a write just under it stays an unwatched position', async (t) => {
      const p = fresh();
      const completion = p.capabilities.completionPercent;
      if (completion === undefined) {
        t.skip(`${p.kind} has no completionPercent`);
        return;
      }
      assert.ok(completion > 1 && completion <= 100, `a percent: ${completion}`);
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const fraction = (completion - 1) / 100;
      await p.write(ref, valueAt(item, fraction));
      const state = (await p.targetState([ref])).get(ref.id);
      assert.equal(state?.watched, false, 'not marked watched');
      assertHolds(p.capabilities, item, fraction, state, 'the position is kept');
      assertStored(item, fraction, await h.progressOf(item), 'emulator');
    });

    test('setsProgressTime: the written time is read back exactly when claimed', async () => {
      const p = fresh();
      const item = takeOne();
      const ref = await resolveOne(p, item);
      assert.ok(ref);
      const written = Date.now() - 2 * 86_400_000;
      const before = Date.now();
      await p.write(ref, valueAt(item, 0.3, written));
      const at = (await p.targetState([ref])).get(ref.id)?.progressAt;
      assert.ok(at !== undefined, 'a time is read back');
      if (p.capabilities.setsProgressTime) assert.ok(Math.abs(at - written) < 1000, 'the source time is kept');
      // Otherwise the server stamps its own clock (seconds on some servers), so writes must go oldest first.
      else assert.ok(at >= before - 1000, 'the server stamped its own time');
    });

    test('catalogue: an item the server does not have is unresolved, or (without a catalogue) its write fails not_found', async () => {
      const p = fresh();
      const ref = await resolveOne(p, h.missing());
      if (p.capabilities.catalogue) {
        assert.equal(ref, undefined);
        return;
      }
      assert.ok(ref, 'without a catalogue, any item with ids resolves');
      await rejectsWith(p.write(ref, valueAt(h.missing(), 0.5)), 'not_found', 'under-test');
    });

    test('maxConcurrentWrites: that many writes at once all land', async (t) => {
      const p = fresh();
      const n = p.capabilities.maxConcurrentWrites;
      assert.ok(Number.isInteger(n) && n >= 1, `a write count: ${n}`);
      if (n < 2) {
        t.skip(`${p.kind} takes one write at a time`);
        return;
      }
      const items = take(n);
      const refs = await Promise.all(items.map((i) => resolveOne(p, i)));
      await Promise.all(items.map((item, i) => p.write(refs[i]!, valueAt(item, 0.2 + i * 0.05))));
      for (const [i, item] of items.entries()) assertStored(item, 0.2 + i * 0.05, await h.progressOf(item), item.title);
    });

    // --- write order ---

    test('writes issued in sequence land in that order: the last one wins, and the server orders them as written', async () => {
      const p = fresh();
      const [again, ...inTurn] = take(4) as [TestItem, ...TestItem[]];
      const ref = await resolveOne(p, again);
      assert.ok(ref);
      for (const fraction of [0.2, 0.6, 0.4]) await p.write(ref, valueAt(again, fraction));
      assertHolds(p.capabilities, again, 0.4, (await p.targetState([ref])).get(ref.id), 'the last of three writes');
      assertStored(again, 0.4, await h.progressOf(again), 'emulator');
      // Items written one after the other, their times rising as the engine sends them (oldest first).
      const start = Date.now() - 3_600_000;
      for (const [i, item] of inTurn.entries()) {
        const r = await resolveOne(p, item);
        assert.ok(r);
        await p.write(r, valueAt(item, 0.3, start + i * 60_000));
      }
      const listed = new Map((await readAll(fresh())).map((r) => [canonicalKey(r), r]));
      const times = inTurn.map((item) => listed.get(canonicalKey(item))?.progressAt);
      assert.ok(
        times.every((x) => x !== undefined),
        'each is listed with a time',
      );
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `written ${i + 1}th, not listed as older: ${times.join(', ')}`);
    });

    // --- users ---

    test("a second user's positions are not visible to the first, and the first's writes do not reach the second", async () => {
      const [theirs, mine] = take(2) as [TestItem, TestItem];
      await h.setProgress(theirs, 0.45, Date.now() - 60_000, 'other');
      const other = build(h.config('other'), { id: 'other-user', user: 'other' });
      assert.ok(
        (await readAll(other)).some((r) => canonicalKey(r) === canonicalKey(theirs)),
        'the other user sees their position',
      );
      assert.ok(!(await readAll(fresh())).some((r) => canonicalKey(r) === canonicalKey(theirs)), 'the main user does not');
      await fresh().write(await refOf(mine), valueAt(mine, 0.35));
      assertStored(mine, 0.35, await h.progressOf(mine), 'the main user holds the write');
      assert.equal(await h.progressOf(mine, 'other'), undefined, 'the other user does not');
    });

    // --- errors ---

    /** Reads the listing of a connected provider while the emulator answers by `rules`; lifts them afterwards. */
    const readUnder = async <T>(p: Provider, rules: FaultRule[], check: (read: Promise<ProgressRecord[]>) => Promise<T>): Promise<T> => {
      await p.connect();
      await h.setFaults(rules);
      try {
        return await check(readAll(p));
      } finally {
        await h.setFaults([]);
      }
    };
    /** The listing answers `status` every time: the read fails with `kind`, carrying the status. */
    const failsWith = (p: Provider, status: number, kind: ProviderErrorKind) =>
      readUnder(p, [{ path: h.listingPath, status }], (read) => rejectsWith(read, kind, p.id, (err) => assert.equal(err.status, status)));
    const connectAndRead = async (p: Provider) => {
      await p.connect();
      return readAll(p);
    };

    test('a refused token fails with an auth error naming the provider', async () => {
      const bad = build(h.badConfig(), { id: 'bad-token', good: false, store: Store.open(':memory:') });
      await rejectsWith(connectAndRead(bad), 'auth', 'bad-token');
    });

    test('a 401 after connecting is an auth error', async () => {
      await failsWith(fresh(), 401, 'auth');
    });

    test('a listing that answers 404 is a not_found error', async () => {
      await failsWith(fresh(), 404, 'not_found');
    });

    test('a write to an item id the server does not know fails not_found', async () => {
      const p = fresh();
      const { serverId } = await p.connect();
      const item = h.movies()[0]!;
      // Without a catalogue items are named by their ids: the missing item stands for an unknown id.
      const ref = p.capabilities.catalogue ? { provider: 'under-test', server: serverId, id: h.unknownId } : await resolveOne(p, h.missing());
      assert.ok(ref);
      await rejectsWith(p.write(ref, valueAt(item, 0.5)), 'not_found', 'under-test');
    });

    test('a 5xx burst is retried', async () => {
      const p = fresh();
      await p.connect();
      const before = h.requestCount(h.listingPath);
      const records = await readUnder(p, [{ path: h.listingPath, status: 503, count: 2 }], (read) => read);
      assert.ok(records.length > 0);
      assert.ok(h.requestCount(h.listingPath) - before >= 3, 'two failures, then success');
    });

    test('5xx that outlasts the retries is unavailable, after exactly the configured attempts', async () => {
      const p = build({ ...h.config(), retries: 1 });
      await p.connect();
      const before = h.requestCount(h.listingPath);
      await failsWith(p, 503, 'unavailable');
      assert.equal(h.requestCount(h.listingPath) - before, 2, 'one try and one retry');
    });

    test('a server that refuses connections is unavailable', async () => {
      const url = await deadUrl();
      const p = build({ ...h.unreachableConfig(url), retries: 1 }, { id: 'nobody-home', store: Store.open(':memory:') });
      await rejectsWith(connectAndRead(p), 'unavailable', 'nobody-home', (err) => assert.match(err.message, /refused/));
    });

    test('a malformed payload is an error naming the provider and path', async () => {
      await readUnder(fresh(), [{ path: h.listingPath, nonJson: true }], (read) =>
        assert.rejects(read, (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.kind, 'bad_response');
          assert.ok(err.message.startsWith('under-test: GET '), err.message);
          assert.ok(err.message.includes(h.listingPath.replace(/\/$/, '')), err.message);
          return true;
        }),
      );
    });

    test('rate limited (429) requests are retried', async () => {
      const records = await readUnder(fresh(), [{ path: h.listingPath, status: 429, count: 1 }], (read) => read);
      assert.ok(records.length > 0);
    });

    test('429 that outlasts the retries is rate_limited', async () => {
      await failsWith(build({ ...h.config(), retries: 0 }), 429, 'rate_limited');
    });

    // --- close ---

    test('close ends the connections it opened', async () => {
      const open = h.openConnections?.bind(h);
      const p = fresh();
      if (!open) {
        // A server not reached over the network: close() only has to succeed.
        await readAll(p);
        await p.close();
        return;
      }
      // Connections of earlier tests' providers were closed after each test.
      assert.ok(await eventually(() => open() === 0, 2000), 'no connections at the start');
      await p.connect();
      await readAll(p);
      assert.ok(open() > 0, 'the read kept its connection alive for reuse');
      await p.close();
      // Without close() the server would hold them until its keep-alive timeout (5 s).
      assert.ok(await eventually(() => open() === 0, 1000), `closed, yet ${open()} still open`);
    });
  });
}
