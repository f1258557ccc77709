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
import { canonicalKey } from '../../src/core/ids.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
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
  const short = (c: ProviderConfig): ProviderConfig => ({ ...c, timeoutMs: TIMEOUT_MS, retries: RETRIES, ...(c.kind === 'trakt' ? { writesPerSecond: 20 } : {}) }) as ProviderConfig;
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
    planned.push({ item, twin, fraction, key: canonicalKey(item)! });
  }
  const before = { source: await snapshot(source), target: await snapshot(target) };
  return {
    direction,
    source,
    target,
    store,
    config,
    planned,
    before,
    async close() {
      store.close();
      await Promise.all([source.close(), target.close()]);
    },
  };
}

export interface Ran {
  outcomes: PairOutcome[];
  /** What the CLI would print (report or error) and every log line. */
  output: string;
  exitCode: number;
  runId?: number;
}

/** One `sync` run as the CLI does it, with the logs captured. */
export async function runSync(world: World, opts: { dryRun?: boolean } = {}): Promise<Ran> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const outcomes = await runAll({ config: world.config, store: world.store, log, dryRun: opts.dryRun ?? false, providerOptions: { minBackoffMs: 1 } });
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
  /** Which planned writes must have landed: every one, none, or any (each landed one must be right). */
  written: 'all' | 'none' | 'any';
  /** The output must say what went wrong and name the faulted server (`src`/`dst`, or its URL). */
  message?: { side: 'src' | 'dst'; matches?: RegExp };
  /** Expected exit code (0 only when every planned write was confirmed). */
  exitCode?: number;
  /** Native keys allowed to disappear (an item deleted on purpose). */
  gone?: boolean;
}

const MS_SLACK = 1500;
const PCT_SLACK = 0.1;

function closeTo(held: { ms?: number; pct?: number } | undefined, p: Planned): boolean {
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
  const landed: Planned[] = [];
  for (const p of world.planned) {
    const held = await world.target.progressOf(p.twin).catch(() => undefined);
    if (closeTo(held, p)) landed.push(p);
  }
  assert.ok(targetChanged.length <= landed.length, `the target changed ${targetChanged.length} entries, ${landed.length} planned writes landed: a wrong write. ${context}`);
  if (expect.written === 'all') assert.equal(landed.length, world.planned.length, `every planned write lands: ${context}`);
  if (expect.written === 'none') assert.equal(targetChanged.length, 0, `nothing written: ${context}`);
  // The journal: one row per written item, each settled, and it agrees with the target.
  if (ran.runId !== undefined) {
    const rows = world.store.journal(ran.runId);
    const keys = rows.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, `a duplicated journal row: ${JSON.stringify(keys)}`);
    for (const row of rows) assert.ok(['confirmed', 'failed', 'unknown'].includes(row.status), `journal row ${row.key} ends as ${row.status}`);
    for (const p of landed) {
      const row = rows.find((r) => r.key === p.key);
      if (targetChanged.length > 0 || row) assert.ok(row && row.status !== 'failed', `${p.item.title} landed on the target but its journal row is ${row?.status ?? 'missing'}`);
    }
    for (const row of rows.filter((r) => r.status === 'confirmed')) {
      const p = world.planned.find((x) => x.key === row.key);
      assert.ok(p && landed.includes(p), `journal row ${row.key} is confirmed but the target does not hold it`);
    }
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
export async function scenario(direction: Direction, opts: WorldOptions, arrange: (w: World) => Promise<void>, expect: Expect, steps: ScenarioSteps = {}): Promise<void> {
  const world = await startWorld(direction, opts);
  try {
    await arrange(world);
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
