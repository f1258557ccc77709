// The fault suite's shared machinery: a "world" (two emulators holding the same small catalogue,
// a few positions seeded on the source, an in-memory store), one run through the engine as the
// CLI runs it, and the checks every scenario makes — no wrong write, no regression of a
// position, no watched flag set, no lost or duplicated journal row, a clear message that names
// the server, and no token in anything printed.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { exitCodeFor } from '../../src/cli/main.ts';
import { runReport } from '../../src/cli/output.ts';
import type { Config, ProviderConfig } from '../../src/config/types.ts';
import { canonicalKey, idsFromPlexGuids, normaliseIds } from '../../src/core/ids.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll, type PairOutcome, type RunAllOptions } from '../../src/engine/run-all.ts';
import { Store } from '../../src/store/store.ts';
import type { FaultConfigInput } from '../../emulators/common/faults.ts';
import type { Harness, TestItem } from '../conformance/suite.ts';
import { HARNESSES, type Kind } from '../harness/index.ts';

/** Small libraries: every scenario starts two emulators, many times over. */
export const LIBRARY = 'movies=8,shows=1,seasons=1,episodes=3';
/** Short enough that a slow body times out fast; retries and backoff short too. */
export const TIMEOUT_MS = 400;
export const RETRIES = 2;

export type Direction = readonly [Kind, Kind];
/** Media servers both ways: where every fault applies. */
export const SERVER_DIRECTIONS: Direction[] = [
  ['plex', 'jellyfin'],
  ['jellyfin', 'plex'],
  ['plex', 'emby'],
  ['emby', 'plex'],
];
/** Faults on reading a source: Trakt too (it only reads there, no rate-limited writes). */
export const READ_DIRECTIONS: Direction[] = [...SERVER_DIRECTIONS, ['trakt', 'plex']];
/** Faults on writing to a target: Trakt too (one write per second, so few items). */
export const WRITE_DIRECTIONS: Direction[] = [...SERVER_DIRECTIONS, ['plex', 'trakt']];
/** Two-way pairs between servers that keep their own timestamps. */
export const TWO_WAY_DIRECTIONS: Direction[] = [
  ['plex', 'jellyfin'],
  ['emby', 'plex'],
];

export const label = ([from, to]: Direction): string => `${from} → ${to}`;

/** A fault set for the emulators' `/__emulator/faults` (emulators/common/faults.ts). */
export type FaultSet = FaultConfigInput;
type Rule = NonNullable<FaultSet['rules']>[number];

/** Matches the progress listing a source is read from. */
export const readRule = (h: Harness): Rule => ({ path: h.listingPath, method: 'GET' });

/** Matches the request that writes a position on a target. */
export function writeRule(h: Harness): Rule {
  switch (h.kind) {
    case 'plex':
      return { path: '/:/timeline' };
    case 'jellyfin':
      return { path: '^/UserItems/[^/]+/UserData$', method: 'POST' };
    case 'emby':
      return { path: '^/Users/[^/]+/Items/[^/]+/UserData$', method: 'POST' };
    case 'trakt':
      return { path: '/scrobble/pause', method: 'POST' };
    default:
      throw new Error(`no write rule for kind ${h.kind}`);
  }
}

/** How many position writes reached the target (each one, even a faulted one, is logged). */
export async function writesSent(h: Harness): Promise<number> {
  const rule = writeRule(h);
  const log = (await control(h, 'GET', 'requests')) as { method: string; path: string }[];
  const path = rule.path ?? '';
  const matches = (p: string) => (path.startsWith('^') ? new RegExp(path).test(p) : p.startsWith(path));
  return log.filter((r) => matches(r.path) && (rule.method === undefined || r.method === rule.method)).length;
}

export interface Planned {
  item: TestItem;
  twin: TestItem;
  fraction: number;
  key: string;
  /** The target copy's position before the run. */
  targetBefore: Held;
}

export interface Snapshot {
  /** Native key (user/item) → position (ms, or percent on Trakt) and the watched flag. */
  entries: Map<string, { pos: number; watched: boolean }>;
}

export interface World {
  direction: Direction;
  source: Harness;
  target: Harness;
  store: Store;
  config: Config;
  /** The source items with a position, and the target's copies they should reach. */
  planned: Planned[];
  /** The state of both servers before the run under test. */
  before: { source: Snapshot; target: Snapshot };
  close(): Promise<void>;
}

export interface WorldOptions {
  mode?: 'one-way' | 'two-way';
  /** How many items get a position on the source (default 2; 1 where Trakt is written). */
  count?: number;
  /** Changes the provider configs (e.g. a dead URL); the default is the emulators' own. */
  configure?: (side: 'src' | 'dst', config: ProviderConfig) => ProviderConfig;
}

let worlds = 0;

/** The same item on the other server, by external ids (native ids differ per server). */
export function twinIn(target: Harness, item: TestItem): TestItem | undefined {
  const key = canonicalKey(item);
  return [...target.movies(), ...target.episodes()].find((t) => canonicalKey(t) === key);
}

const urlOf = (h: Harness): string => (h.config() as unknown as { url: string }).url;

export async function control(h: Harness, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${urlOf(h)}/__emulator/${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const json = (await res.json()) as unknown;
  assert.equal(res.status, 200, `${method} /__emulator/${path}: ${JSON.stringify(json)}`);
  return json;
}

export const setFaults = (h: Harness, faults: FaultSet): Promise<unknown> => control(h, 'POST', 'faults', faults);
export const clearFaults = (h: Harness): Promise<unknown> => control(h, 'DELETE', 'faults');

type Json = Record<string, unknown>;
const records = (value: unknown): Record<string, Json> => (value ?? {}) as Record<string, Json>;

/** Every user's position and watched flag on one emulator, read from its state. */
export async function snapshot(h: Harness): Promise<Snapshot> {
  const state = (await control(h, 'GET', 'state')) as Json;
  const entries = new Map<string, { pos: number; watched: boolean }>();
  if (h.kind === 'plex') {
    for (const [account, items] of Object.entries(records(state.userState)))
      for (const [rk, s] of Object.entries(records(items)))
        entries.set(`${account}/${rk}`, { pos: Number(s.viewOffset ?? 0), watched: Number(s.viewCount ?? 0) > 0 });
  } else if (h.kind === 'jellyfin' || h.kind === 'emby') {
    for (const [user, items] of Object.entries(records(state.userData)))
      for (const [id, d] of Object.entries(records(items)))
        entries.set(`${user}/${id}`, { pos: Number(d.PlaybackPositionTicks ?? 0) / 10_000, watched: d.Played === true || Number(d.PlayCount ?? 0) > 0 });
  } else if (h.kind === 'trakt') {
    for (const [user, list] of Object.entries(state.playback as Record<string, Json[]>))
      for (const p of list) entries.set(`${user}/${String(p.type)}/${String(p.item)}`, { pos: Number(p.progress), watched: false });
    for (const [user, list] of Object.entries(state.history as Record<string, Json[]>))
      for (const w of list) {
        const key = `${user}/${String(w.type)}/${String(w.item)}`;
        entries.set(key, { pos: entries.get(key)?.pos ?? 0, watched: true });
      }
  } else {
    throw new Error(`no snapshot for kind ${h.kind}`);
  }
  return { entries };
}

/**
 * Two emulators with the same catalogue; `count` shared movies get a position on the source an
 * hour ago. The first planned item's target copy holds an older, lower position (a write must
 * raise it, never lower it); the others have none.
 */
export async function startWorld(direction: Direction, opts: WorldOptions = {}): Promise<World> {
  const [from, to] = direction;
  const n = ++worlds;
  const source = await HARNESSES[from](`faults-${n}-src`, LIBRARY);
  const target = await HARNESSES[to](`faults-${n}-dst`, LIBRARY);
  const store = Store.open(':memory:');
  source.prepareStore?.(store, 'src', true);
  target.prepareStore?.(store, 'dst', true);
  const short = (c: ProviderConfig): ProviderConfig =>
    ({ ...c, timeoutMs: TIMEOUT_MS, retries: RETRIES, ...(c.kind === 'trakt' ? { writesPerSecond: 20 } : {}) }) as ProviderConfig;
  const configure = opts.configure ?? ((_side, c) => c);
  const mode = opts.mode ?? 'one-way';
  const config: Config = {
    providers: { src: configure('src', short(source.config())), dst: configure('dst', short(target.config())) },
    pairs: [{ name: 'faults', source: 'src', target: 'dst', mode, features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } }],
    state: { path: ':memory:' },
    logLevel: 'silent',
  } as Config;
  const shared = source.movies().filter((m) => canonicalKey(m) !== undefined && twinIn(target, m) !== undefined);
  const count = opts.count ?? (to === 'trakt' ? 1 : 2);
  assert.ok(shared.length >= count + 2, `${label(direction)}: enough shared movies`);
  const now = Date.now();
  const planned: Planned[] = [];
  for (const [i, item] of shared.slice(0, count).entries()) {
    const fraction = 0.3 + 0.15 * i;
    const twin = twinIn(target, item)!;
    await source.setProgress(item, fraction, now - 3_600_000);
    if (i === 0) await target.setProgress(twin, 0.1, now - 7_200_000);
    planned.push({ item, twin, fraction, key: canonicalKey(item)!, targetBefore: await target.progressOf(twin) });
  }
  const world: World = {
    direction,
    source,
    target,
    store,
    config,
    planned,
    before: { source: { entries: new Map() }, target: { entries: new Map() } },
    async close() {
      store.close();
      await Promise.all([source.close(), target.close()]);
    },
  };
  await takeBefore(world);
  return world;
}

/** Both servers' state as the run under test will find it (after the scenario arranged its fault). */
export async function takeBefore(world: World): Promise<void> {
  world.before = { source: await snapshot(world.source), target: await snapshot(world.target) };
  for (const p of world.planned) p.targetBefore = await world.target.progressOf(p.twin);
}

export interface Ran {
  outcomes: PairOutcome[];
  /** What the CLI would print (report or error) and every log line. */
  output: string;
  exitCode: number;
  runId?: number;
}

/** One `sync` run as the CLI does it, with the logs captured. */
export async function runSync(world: World, opts: { dryRun?: boolean; onEvent?: RunAllOptions['onEvent'] } = {}): Promise<Ran> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const outcomes = await runAll({
    config: world.config,
    store: world.store,
    log,
    dryRun: opts.dryRun ?? false,
    providerOptions: { minBackoffMs: 1 },
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const printed = outcomes.map((o) => (o.ok ? runReport(o.result, Number.POSITIVE_INFINITY) : `${o.pair}: ${o.error.message}`));
  const first = outcomes[0];
  const runId = first?.ok ? first.result.runId : undefined;
  return { outcomes, output: [...printed, ...lines].join('\n'), exitCode: exitCodeFor(outcomes), ...(runId !== undefined ? { runId } : {}) };
}

/** Tokens and secrets of every configured provider, and the tokens in the store. */
function secretsOf(world: World): string[] {
  const secrets: string[] = [];
  for (const c of Object.values(world.config.providers) as Json[])
    for (const field of ['token', 'clientSecret']) if (typeof c[field] === 'string' && (c[field] as string).length >= 6) secrets.push(c[field] as string);
  for (const id of ['src', 'dst']) {
    const tokens = world.store.providerState(id).get('tokens');
    if (tokens) for (const v of Object.values(JSON.parse(tokens) as Json)) if (typeof v === 'string' && v.length >= 6) secrets.push(v);
  }
  return secrets;
}

export interface Expect {
  /**
   * Which planned writes must have landed: every one, none, or any (each one that landed holds
   * the source's position); `capped`: any, at a value of the target's own (the scenario checks it).
   */
  written: 'all' | 'none' | 'any' | 'capped';
  /** The output must say what went wrong and name the faulted server (`src`/`dst`, or its URL). */
  message?: {
    side: 'src' | 'dst';
    matches?: RegExp;
    /** The server's URL (host and port) is in it too. */
    url?: boolean;
  };
  /** Expected exit code (0 only when every planned write was confirmed). */
  exitCode?: number;
  /** Native keys allowed to disappear (an item deleted on purpose). */
  gone?: boolean;
}

const MS_SLACK = 1500;
const PCT_SLACK = 0.1;

type Held = { ms?: number; pct?: number } | undefined;

function sameHeld(a: Held, b: Held): boolean {
  return (a?.ms ?? -1) === (b?.ms ?? -1) && (a?.pct ?? -1) === (b?.pct ?? -1);
}

function closeTo(held: Held, p: Planned): boolean {
  if (!held) return false;
  if (held.ms !== undefined) return Math.abs(held.ms - p.fraction * p.twin.durationMs) <= MS_SLACK;
  return Math.abs((held.pct ?? -1) - p.fraction * 100) <= PCT_SLACK * 10;
}

function assertNoRegressionOrWatched(side: string, before: Snapshot, after: Snapshot, gone: boolean): string[] {
  const changed: string[] = [];
  for (const [key, was] of before.entries) {
    const now = after.entries.get(key);
    if (!now) {
      assert.ok(gone, `${side} ${key}: its state disappeared`);
      continue;
    }
    assert.ok(!(now.watched && !was.watched), `${side} ${key}: marked watched by the run`);
    assert.ok(now.pos >= was.pos - 1 || now.watched === was.watched, `${side} ${key}: position went back from ${was.pos} to ${now.pos}`);
    if (now.pos !== was.pos) changed.push(key);
  }
  for (const [key, now] of after.entries) {
    if (before.entries.has(key)) continue;
    assert.ok(!now.watched, `${side} ${key}: marked watched by the run`);
    if (now.pos > 0) changed.push(key);
  }
  return changed;
}

/** The checks every scenario makes after its run. */
export async function assertSafe(world: World, ran: Ran, expect: Expect): Promise<void> {
  const gone = expect.gone === true;
  const context = `${label(world.direction)}\n${ran.output.slice(0, 4000)}`;
  // The source is only read (one-way).
  const sourceAfter = await snapshot(world.source);
  const sourceChanged = assertNoRegressionOrWatched('source', world.before.source, sourceAfter, gone);
  if (world.config.pairs[0]?.mode === 'one-way') assert.deepEqual(sourceChanged, [], `the source changed: ${context}`);
  // The target: only planned items changed, each to its source's position.
  const targetChanged = assertNoRegressionOrWatched('target', world.before.target, await snapshot(world.target), gone);
  const held = new Map<Planned, Held>();
  for (const p of world.planned) held.set(p, await world.target.progressOf(p.twin).catch(() => undefined));
  // An item deleted on purpose holds nothing any more: it did not move.
  const moved = world.planned.filter((p) => !sameHeld(held.get(p), p.targetBefore) && !(gone && held.get(p) === undefined));
  assert.ok(
    targetChanged.length <= moved.length,
    `the target changed ${targetChanged.length} entries, only ${moved.length} planned items moved: a wrong write. ${context}`,
  );
  if (expect.written === 'all')
    for (const p of world.planned) assert.ok(closeTo(held.get(p), p), `${p.item.title} holds ${JSON.stringify(held.get(p))}, not ${p.fraction}: ${context}`);
  if (expect.written === 'none') assert.equal(targetChanged.length, 0, `nothing written: ${context}`);
  if (expect.written !== 'capped')
    for (const p of moved) assert.ok(closeTo(held.get(p), p), `${p.item.title} moved to a wrong value ${JSON.stringify(held.get(p))}: ${context}`);
  // The journal, over every run of this world: at most one row per item and run, each
  // settled, every write that landed journalled, the latest confirmed value the target's.
  const runIds = world.store
    .runs({ limit: 1000 })
    .map((r) => r.id)
    .sort((a, b) => a - b);
  const rows = runIds.flatMap((id) => {
    const ofRun = world.store.journal(id);
    const keys = ofRun.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, `run ${id} has a duplicated journal row: ${JSON.stringify(keys)}`);
    return ofRun;
  });
  for (const row of rows) assert.ok(['confirmed', 'failed', 'unknown'].includes(row.status), `journal row ${row.key} ends as ${row.status}: ${context}`);
  for (const p of moved) {
    const row = rows.findLast((r) => r.key === p.key);
    assert.ok(row && row.status !== 'failed', `${p.item.title} landed on the target but its journal row is ${row?.status ?? 'missing'}: ${context}`);
  }
  for (const p of world.planned) {
    const row = rows.findLast((r) => r.key === p.key && r.provider === 'dst');
    if (row?.status !== 'confirmed') continue;
    const h = held.get(p);
    const holds =
      h !== undefined &&
      (h.ms !== undefined ? Math.abs(h.ms - row.value.progressMs) <= MS_SLACK : Math.abs((h.pct ?? -1) - (row.value.progressPct ?? -100)) <= 1);
    assert.ok(holds || (gone && h === undefined), `journal row ${row.key} is confirmed but the target holds ${JSON.stringify(h)}: ${context}`);
  }
  // Output: a clear message naming the server, never a token.
  for (const secret of secretsOf(world)) assert.ok(!ran.output.includes(secret), `a token leaked into the output: ${context}`);
  if (expect.message) {
    const side = expect.message.side;
    const url = (world.config.providers[side] as { url?: string }).url;
    const host = url ? new URL(url).host : undefined;
    const named = new RegExp(`\\b${side}\\b`).test(ran.output) || (host !== undefined && ran.output.includes(host));
    assert.ok(named, `the message names the server (${side} or ${host}): ${context}`);
    if (expect.message.matches) assert.match(ran.output, expect.message.matches, context);
    if (expect.message.url) assert.ok(host !== undefined && ran.output.includes(host), `the message names the URL (${host}): ${context}`);
  }
  if (expect.exitCode !== undefined) assert.equal(ran.exitCode, expect.exitCode, `exit code: ${context}`);
}

export interface ScenarioSteps {
  /** The run under test (default: one `sync`). */
  act?: (w: World) => Promise<Ran>;
  /** Checks of the scenario's own, after the common ones. */
  check?: (w: World, ran: Ran) => Promise<void>;
}

/** The usual scenario: a world, something done to it, one run, the checks, the world closed. */
export async function scenario(
  direction: Direction,
  opts: WorldOptions,
  arrange: (w: World) => Promise<void>,
  expect: Expect,
  steps: ScenarioSteps = {},
): Promise<void> {
  const world = await startWorld(direction, opts);
  try {
    await arrange(world);
    await takeBefore(world);
    const ran = steps.act ? await steps.act(world) : await runSync(world);
    await assertSafe(world, ran, expect);
    await steps.check?.(world, ran);
  } finally {
    await world.close();
  }
}

/** A write the server applied is never sent again: one write request per planned item. */
export async function assertSentOnce(world: World): Promise<void> {
  assert.equal(await writesSent(world.target), world.planned.length, `${label(world.direction)}: a write was re-sent after it had landed`);
}

// ---- the library itself, changed through the emulators' control routes --------------------

interface NativeItem {
  id: string;
  record: Json;
}

/** An item's record in an emulator's state, found by its external ids. */
function findNative(h: Harness, state: Json, item: TestItem): NativeItem {
  const key = canonicalKey(item);
  if (h.kind === 'plex') {
    for (const r of state.items as Json[]) {
      if (r.type !== item.type) continue;
      const ids = idsFromPlexGuids([String(r.guid), ...(r.guids as string[])]).ids;
      if (canonicalKey({ type: 'movie', title: '', ids }) === key) return { id: String(r.ratingKey), record: r };
    }
  } else if (h.kind === 'jellyfin' || h.kind === 'emby') {
    for (const r of state.items as Json[])
      if (r.Type === 'Movie' && canonicalKey({ type: 'movie', title: '', ids: normaliseIds(r.ProviderIds as Json) }) === key)
        return { id: String(r.Id), record: r };
  } else if (h.kind === 'trakt') {
    for (const r of state.movies as Json[]) {
      const ids = r.ids as { imdb?: string; tmdb?: number };
      if (canonicalKey({ type: 'movie', title: '', ids: { ...(ids.imdb ? { imdb: ids.imdb } : {}), ...(ids.tmdb ? { tmdb: String(ids.tmdb) } : {}) } }) === key)
        return { id: String((r.ids as Json).trakt), record: r };
    }
  }
  throw new Error(`${h.kind}: no item ${item.title}`);
}

/** Changes one movie's record in the emulator's state (GET, edit, PUT back). */
export async function editItem(h: Harness, item: TestItem, edit: (record: Json) => void): Promise<void> {
  const state = (await control(h, 'GET', 'state')) as Json;
  edit(findNative(h, state, item).record);
  await control(h, 'PUT', 'state', state);
}

/** The movie's runtime on this server: a number of ms, or none at all. */
export function setRuntime(h: Harness, item: TestItem, ms: number | undefined): Promise<void> {
  return editItem(h, item, (r) => {
    const field = h.kind === 'plex' ? 'durationMs' : h.kind === 'trakt' ? 'runtime' : 'RunTimeTicks';
    const value = ms === undefined ? undefined : h.kind === 'plex' ? ms : h.kind === 'trakt' ? Math.round(ms / 60_000) : ms * 10_000;
    if (value === undefined) delete r[field];
    else r[field] = value;
  });
}

/** Gives `item` the external ids of `like` (two editions sharing one imdb id). */
export async function shareIds(h: Harness, item: TestItem, like: TestItem): Promise<void> {
  const state = (await control(h, 'GET', 'state')) as Json;
  const from = findNative(h, state, like).record;
  const to = findNative(h, state, item).record;
  if (h.kind === 'plex') to.guids = [...(from.guids as string[])];
  else to.ProviderIds = { ...(from.ProviderIds as Json) };
  await control(h, 'PUT', 'state', state);
}

/** Sets a user's raw position on a movie, out of range on purpose (over the runtime). */
export async function setRawPosition(h: Harness, item: TestItem, ms: number): Promise<void> {
  const state = (await control(h, 'GET', 'state')) as Json;
  const { id } = findNative(h, state, item);
  if (h.kind === 'plex') for (const states of Object.values(records(state.userState))) if (states[id]) (states[id] as Json).viewOffset = ms;
  if (h.kind === 'jellyfin' || h.kind === 'emby')
    for (const data of Object.values(records(state.userData))) if (data[id]) (data[id] as Json).PlaybackPositionTicks = ms * 10_000;
  await control(h, 'PUT', 'state', state);
}

export async function deleteItem(h: Harness, item: TestItem): Promise<void> {
  const state = (await control(h, 'GET', 'state')) as Json;
  await control(h, 'DELETE', `items/${encodeURIComponent(findNative(h, state, item).id)}`);
}

/** The decision the run made for a planned item. */
export function decisionOf(ran: Ran, p: Planned): { reason: string; action: string } | undefined {
  for (const o of ran.outcomes) if (o.ok) for (const d of o.result.decisions) if (d.key === p.key) return d;
  return undefined;
}

/**
 * Scenarios whose fix is not on main yet, with the defect they wait for: node:test runs them as
 * `todo` (reported, not failing the suite) until that fix lands. Remove an entry once its fix is
 * merged; the assertions themselves never change.
 */
const WAITS_FOR: Readonly<Record<string, string>> = {};

/** The node:test options of a scenario: `todo` while its fix is not on main. */
export function awaiting(name: string): { todo?: string } {
  const defect = WAITS_FOR[name];
  return defect ? { todo: `waits for ${defect}` } : {};
}
