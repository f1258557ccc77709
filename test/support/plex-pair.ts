// Two Plex emulators holding the same synthetic library under different ratingKeys, a config
// that syncs the owner from one to the other, and a fresh SQLite state. Real HTTP on port 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { runAll, type PairOutcome } from '../../src/engine/run-all.ts';
import type { RunResult } from '../../src/engine/run-pair.ts';
import { createLogger } from '../../src/cli/log.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';

export const SYNTHETIC = 'movies=60,shows=3,seasons=2,episodes=5';
export const OWNER = 1;

export interface PlexPair {
  source: RunningPlexEmulator;
  target: RunningPlexEmulator;
  dir: string;
  configPath: string;
  yaml: string;
  env: Record<string, string>;
  config: Config;
  store: Store;
  run(opts?: { dryRun?: boolean; pair?: string }): Promise<PairOutcome[]>;
  /** Runs the single configured pair and returns its result (throws if it failed). */
  sync(opts?: { dryRun?: boolean }): Promise<RunResult>;
  close(): Promise<void>;
}

export interface PairOptions {
  synthetic?: string;
  seed?: string;
  /** Extra YAML for the pair's progress block, e.g. `min_seconds: 0`. */
  progress?: string;
  /** Extra YAML for the source/target provider entries, e.g. `libraries: [7]`. */
  sourceExtra?: string;
  targetExtra?: string;
}

export async function startPlexPair(opts: PairOptions = {}): Promise<PlexPair> {
  const synthetic = opts.synthetic ?? SYNTHETIC;
  const seed = opts.seed ?? 'test';
  const source = await startPlexEmulator({ name: 'source-server', synthetic, seed, quiet: true });
  const target = await startPlexEmulator({ name: 'target-server', synthetic, seed, quiet: true });
  const dir = mkdtempSync(join(tmpdir(), 'playhead-test-'));
  const extra = (s: string | undefined) => (s ? `, ${s}` : '');
  const yaml = [
    'providers:',
    `  src: { kind: plex, url: ${source.url}, token: \${SRC_TOKEN}${extra(opts.sourceExtra)} }`,
    `  dst: { kind: plex, url: ${target.url}, token: \${DST_TOKEN}${extra(opts.targetExtra)} }`,
    'pairs:',
    `  - { name: main, source: src, target: dst, features: { progress: { enable: true${extra(opts.progress)} } } }`,
    `state: { path: ${join(dir, 'state.db')} }`,
    '',
  ].join('\n');
  const configPath = join(dir, 'playhead.yaml');
  writeFileSync(configPath, yaml, { mode: 0o600 });
  const env = { SRC_TOKEN: source.ownerToken, DST_TOKEN: target.ownerToken };
  const config = parseConfig(yaml, configPath, env);
  const store = Store.open(config.state.path);
  const log = createLogger({ level: 'silent' });
  const run = (o: { dryRun?: boolean; pair?: string } = {}) =>
    runAll({ config, store, log, dryRun: o.dryRun === true, ...(o.pair ? { pair: o.pair } : {}), providerOptions: { minBackoffMs: 1 } });
  return {
    source,
    target,
    dir,
    configPath,
    yaml,
    env,
    config,
    store,
    run,
    async sync(o = {}) {
      const [outcome] = await run(o);
      if (!outcome) throw new Error('no pair ran');
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    },
    async close() {
      store.close();
      await Promise.all([source.close(), target.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const nowS = (): number => Math.floor(Date.now() / 1000);

/** Sets one user's state of an item directly (what a player would have left behind). */
export function setUserState(
  server: RunningPlexEmulator,
  ratingKey: string,
  state: { viewOffset?: number; viewCount?: number; lastViewedAt?: number },
  accountId = OWNER,
): void {
  const users = server.state.userState;
  users[String(accountId)] = { ...users[String(accountId)], [ratingKey]: state };
}

export function userState(server: RunningPlexEmulator, ratingKey: string, accountId = OWNER) {
  return server.state.userState[String(accountId)]?.[ratingKey];
}

export function items(server: RunningPlexEmulator, type: PlexItem['type']): PlexItem[] {
  return server.state.items.filter((i) => i.type === type && i.durationMs !== undefined);
}

/** New-agent items carry their external ids as Guid children; legacy ones only in the primary guid. */
export function isLegacy(item: PlexItem): boolean {
  return item.guids.length === 0;
}

/** The same item on the other server, matched the way a person would: by title, year and position. */
export function twin(from: RunningPlexEmulator, to: RunningPlexEmulator, ratingKey: string): PlexItem {
  const item = from.state.items.find((i) => i.ratingKey === ratingKey);
  if (!item) throw new Error(`no item ${ratingKey}`);
  const parentOf = (server: RunningPlexEmulator, rk: string | undefined) => server.state.items.find((i) => i.ratingKey === rk);
  const match = to.state.items.find((i) => {
    if (i.type !== item.type || i.title !== item.title || i.year !== item.year) return false;
    if (item.type !== 'episode') return true;
    return (
      i.index === item.index &&
      i.parentIndex === item.parentIndex &&
      parentOf(to, i.grandparentRatingKey)?.title === parentOf(from, item.grandparentRatingKey)?.title
    );
  });
  if (!match) throw new Error(`no twin for ${item.title}`);
  return match;
}

/** Puts a resume position on the source and returns the item. */
export function progressOn(server: RunningPlexEmulator, item: PlexItem, fraction: number, lastViewedAt = nowS() - 600, accountId = OWNER): PlexItem {
  setUserState(server, item.ratingKey, { viewOffset: Math.round((item.durationMs ?? 0) * fraction), lastViewedAt }, accountId);
  return item;
}

export function timelineWrites(server: RunningPlexEmulator, from = 0): number {
  return server.requests.slice(from).filter((r) => r.path === '/:/timeline').length;
}

export async function setFaults(server: RunningPlexEmulator, faults: unknown): Promise<void> {
  const res = await request(`${server.url}/__emulator/faults`, {
    method: 'POST',
    body: JSON.stringify(faults),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`faults: ${res.statusCode} ${text}`);
}
