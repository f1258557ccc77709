// `playhead serve` with demo-like data for the dashboard's browser tests: a Plex emulator (the
// living room) and a Jellyfin emulator (upstairs) on port 0, the owner with films in progress on
// Plex, one one-way pair Plex → Jellyfin, the config as a user writes it (tokens from the
// environment), serve in-process with its first full run done and its Plex trigger up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/cli/log.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { startServe, type RunningServe } from '../../src/serve/serve.ts';
import { webhookSecret } from '../../src/serve/webhooks.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { api, eventually } from '../integration/serve-support.ts';

const LIBRARY = 'movies=24,shows=2,seasons=1,episodes=4';
const SEED = 'dashboard';
const TICKS_PER_MS = 10_000;
export const PAIR = 'owner';
export const SOURCE = 'living-room';
export const TARGET = 'upstairs';

export interface DashboardServe {
  url: string;
  plex: RunningPlexEmulator;
  jf: RunningMediaBrowserEmulator;
  store: Store;
  config: Config;
  /** Every configured secret's value, by a label for messages (a page must show none). */
  secrets: Record<string, string>;
  /** Films the owner has in progress on Plex (synced upstairs by the first run when `ready`). */
  inProgress: PlexItem[];
  /** A film's canonical key as the decisions record it (`imdb:tt…`). */
  keyOf(film: PlexItem): string;
  /** Where the owner stopped `film` on Plex, as a player would have left it. */
  setPlexPosition(film: PlexItem, ms: number): void;
  /** The owner's position of `film` on Jellyfin (ms), or undefined. */
  jfPositionMs(film: PlexItem): number | undefined;
  /** Runs the pair through the API (it answers when the run has ended) and returns the run's id. */
  runPair(): Promise<number>;
  close(): Promise<void>;
}

const imdbOf = (film: PlexItem) => film.guids.find((g) => g.startsWith('imdb://'))?.slice('imdb://'.length);

export async function startDashboardServe(opts: { token?: string; ready?: boolean } = {}): Promise<DashboardServe> {
  const plex = await startPlexEmulator({ name: 'living-room', synthetic: LIBRARY, seed: SEED, quiet: true });
  const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'upstairs', synthetic: LIBRARY, seed: SEED, quiet: true });
  const owner = jf.users.find((u) => u.name === 'admin');
  if (!owner) throw new Error('the Jellyfin emulator has no admin user');
  const films = plex.state.items.filter((i) => i.type === 'movie' && imdbOf(i) !== undefined && (i.durationMs ?? 0) > 3_600_000);
  if (films.length < 6) throw new Error(`only ${films.length} long films with an imdb id`);
  const setPlexPosition = (film: PlexItem, ms: number) => {
    (plex.state.userState['1'] ??= {})[film.ratingKey] = { viewOffset: ms, lastViewedAt: Math.floor(Date.now() / 1000) };
  };
  // Five films stopped at different points, one only peeked at (a below-minimum skip on the overview).
  const inProgress = films.slice(0, 5);
  for (const [i, film] of inProgress.entries()) setPlexPosition(film, Math.round((film.durationMs ?? 0) * (0.15 + i * 0.1)));
  const peeked = films[5];
  if (peeked) setPlexPosition(peeked, 20_000);

  const dir = mkdtempSync(join(tmpdir(), 'playhead-dashboard-'));
  const yaml = [
    'providers:',
    `  ${SOURCE}: { kind: plex, url: ${plex.url}, token: \${LIVING_ROOM_TOKEN} }`,
    `  ${TARGET}: { kind: jellyfin, url: ${jf.url}, token: \${UPSTAIRS_TOKEN} }`,
    'pairs:',
    `  - { name: ${PAIR}, source: ${SOURCE}, target: ${TARGET}, schedule: { every: 1h }, settle_seconds: 1 }`,
    `state: { path: ${join(dir, 'playhead.db')} }`,
    '',
  ].join('\n');
  const configPath = join(dir, 'playhead.yaml');
  writeFileSync(configPath, yaml, { mode: 0o600 });
  const env = { LIVING_ROOM_TOKEN: plex.ownerToken, UPSTAIRS_TOKEN: owner.token };
  const config = parseConfig(yaml, configPath, env);
  const store = Store.open(config.state.path);
  const serve: RunningServe = await startServe({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    ...(opts.token ? { token: opts.token } : {}),
    onListening: () => {},
    triggerBackoffMs: 100,
  });
  const auth = opts.token ? { token: opts.token } : {};
  if (opts.ready !== false) {
    // The first full run (Jellyfin gets the positions) and Plex's notification socket.
    await eventually(() => (store.runs({ pair: PAIR }).some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined));
    await eventually(async () => {
      const pairs = (await api<{ pairs: { triggers: { state: string }[] }[] }>(serve.url, '/api/pairs', auth)).body.pairs;
      return pairs[0]?.triggers[0]?.state === 'up' ? true : undefined;
    });
  }

  const twinOf = (film: PlexItem) => {
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
    if (!twin) throw new Error(`${film.title} is not on Jellyfin`);
    return twin;
  };
  return {
    url: serve.url,
    plex,
    jf,
    store,
    config,
    // The webhook URL's secret is a credential too (serve keeps it in the state database).
    secrets: { ...env, webhookSecret: webhookSecret(store), ...(opts.token ? { PLAYHEAD_API_TOKEN: opts.token } : {}) },
    inProgress,
    keyOf: (film) => `imdb:${imdbOf(film)}`,
    setPlexPosition,
    jfPositionMs(film) {
      const ticks = jf.state.userData[owner.id]?.[twinOf(film).Id]?.PlaybackPositionTicks;
      return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
    },
    async runPair() {
      const res = await api<{ run: { runId?: number; status: string } }>(serve.url, `/api/pairs/${PAIR}/run`, { method: 'POST', body: {}, ...auth });
      const runId = res.body.run?.runId;
      if (res.status !== 200 || runId === undefined) throw new Error(`the run answered ${res.status}: ${res.text}`);
      return runId;
    },
    async close() {
      await serve.stop('test over');
      store.close();
      await Promise.all([plex.close(), jf.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
