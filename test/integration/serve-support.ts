// `playhead serve` as a user runs it: a real process on port 0 over the Plex emulator pair, its
// URL read from stdout, and small HTTP/SSE helpers for the serve-*.test.ts files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createLogger } from '../../src/cli/log.ts';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS, type PairConfig } from '../../src/core/pair.ts';
import { startServe, type RunningServe } from '../../src/serve/serve.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlayhead, type RunningCli } from '../support/child.ts';

export interface RunningServeCli extends RunningCli {
  url: string;
  /** The dashboard's URL, as serve prints it. */
  dashboard: string;
}

export async function startServeCli(configPath: string, env: Record<string, string>, extra: string[] = []): Promise<RunningServeCli> {
  const cli = startPlayhead(['--config', configPath, '--json', 'serve', '--port', '0', ...extra], env);
  const [url, dashboard] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    cli.child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const listening = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const dashboard = /dashboard at (http:\/\/\S+)/.exec(out)?.[1];
      if (listening && dashboard) resolve([listening, dashboard]);
    });
    void cli.done.then((r) => reject(new Error(`serve exited ${r.code}: ${r.stderr}`)));
  });
  return { ...cli, url, dashboard };
}

export async function api<T = unknown>(
  url: string,
  path: string,
  opts: { method?: 'GET' | 'POST'; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: T; text: string }> {
  const res = await request(`${url}${path}`, {
    method: opts.method ?? 'GET',
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // /metrics is text
  }
  return { status: res.statusCode, body: body as T, text };
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Subscribes to an SSE stream (/api/events, or the dashboard's /live); `events` fills as they arrive, `until` waits for one matching. */
export async function subscribe(
  url: string,
  path = '/api/events',
  headers: Record<string, string> = {},
): Promise<{ events: SseEvent[]; until(match: (e: SseEvent) => boolean): Promise<SseEvent>; close(): void }> {
  const controller = new AbortController();
  const res = await request(`${url}${path}`, { signal: controller.signal, headers });
  const events: SseEvent[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let buffer = '';
  res.body.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (!event || !data) continue;
      const e = { event, data: JSON.parse(data) as Record<string, unknown> };
      events.push(e);
      for (const w of waiters.filter((w) => w.match(e))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  res.body.on('error', () => {});
  return {
    events,
    until: (match) =>
      new Promise((resolve) => {
        const seen = events.find(match);
        if (seen) resolve(seen);
        else waiters.push({ match, resolve });
      }),
    close: () => controller.abort(),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(100);
  }
}

/** A Plex webhook body: multipart/form-data with the JSON `payload` part, as PMS posts it. */
export async function plexForm(payload: unknown): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('payload', JSON.stringify(payload));
  const req = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

/** A film or episode as the Plex emulator holds it: what a player's report names. */
interface PlexPlayable {
  ratingKey: string;
  durationMs?: number | undefined;
}

/** What a player sends PMS while it plays: `/:/timeline` with its state and position (answered 200). */
export async function plexTimeline(
  plexUrl: string,
  token: string,
  item: PlexPlayable,
  state: 'playing' | 'paused' | 'stopped',
  timeMs: number,
  player: string,
): Promise<void> {
  const q = new URLSearchParams({
    ratingKey: item.ratingKey,
    key: `/library/metadata/${item.ratingKey}`,
    state,
    time: String(timeMs),
    duration: String(item.durationMs),
  });
  const res = await request(`${plexUrl}/:/timeline?${q}`, {
    method: 'POST',
    headers: { 'X-Plex-Token': token, 'X-Plex-Client-Identifier': `tv-${player}`, 'X-Plex-Session-Identifier': `s-${player}` },
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`timeline ${state} answered ${res.statusCode}`);
}

// ---- serve in-process over a Plex and a Jellyfin/Emby emulator (the serve-realtime-*.test.ts files) ----

export const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=2';
export const limits = { timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 };

export interface RunRow {
  id: number;
  pair: string;
  status: string;
  trigger?: string;
  finishedAt?: number;
}

export type PlexItem = RunningPlexEmulator['state']['items'][number];
export const imdbOf = (item: PlexItem) => item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);

/** The films over an hour long with an imdb id (so their Jellyfin twins are found), in library order. */
export function longFilms(plex: RunningPlexEmulator): PlexItem[] {
  return plex.state.items.filter((i) => i.type === 'movie' && imdbOf(i) !== undefined && (i.durationMs ?? 0) > 3_600_000);
}

export function pair(name: string, source: string, target: string): PairConfig {
  return {
    name,
    source,
    target,
    mode: 'one-way',
    features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
    schedule: { everyMs: 3_600_000 },
    settleSeconds: 1,
  };
}

export interface Rig {
  plex: RunningPlexEmulator;
  jf: RunningMediaBrowserEmulator;
  store: Store;
  serve: RunningServe;
  dir: string;
  films: PlexItem[];
}

/** Both emulators (one seed for both libraries, so their films match) and serve over them; `prepare` sets state before serve's first run. */
export async function rig(
  seed: string,
  name: string,
  config: (plex: RunningPlexEmulator, jf: RunningMediaBrowserEmulator, path: string) => Config,
  opts: { dialect?: 'jellyfin' | 'emby'; triggerBackoffMs?: number; prepare?: (plex: RunningPlexEmulator, jf: RunningMediaBrowserEmulator) => void } = {},
): Promise<Rig> {
  const dialect = opts.dialect ?? 'jellyfin';
  const plex = await startPlexEmulator({ name: `${name}-plex`, synthetic: LIBRARY, seed, quiet: true });
  const jf = await startMediaBrowserEmulator({ dialect, name: `${name}-jf`, synthetic: LIBRARY, seed, quiet: true });
  const films = longFilms(plex);
  assert.ok(films.length >= 4, 'enough long films');
  opts.prepare?.(plex, jf);
  const dir = mkdtempSync(join(tmpdir(), `playhead-${name}-`));
  const path = join(dir, 'state.db');
  const store = Store.open(path);
  const serve = await serveOn(config(plex, jf, path), store, opts.triggerBackoffMs);
  return { plex, jf, store, serve, dir, films };
}

/** `playhead serve` in this process on a free loopback port, quiet, reconnecting its triggers quickly. */
export function serveOn(config: Config, store: Store, triggerBackoffMs = 100): Promise<RunningServe> {
  return startServe({ config, store, log: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0, onListening: () => {}, triggerBackoffMs });
}

export async function close(r: Rig): Promise<void> {
  await r.serve.stop('test over');
  r.store.close();
  await r.plex.close();
  await r.jf.close();
  rmSync(r.dir, { recursive: true, force: true });
}

export const alice = (jf: RunningMediaBrowserEmulator) => jf.users.find((u) => u.name === 'alice')!;
export const aliceOf = (plex: RunningPlexEmulator) => plex.state.accounts.find((a) => a.name === 'alice')!;
export const twinOf = (jf: RunningMediaBrowserEmulator, film: PlexItem) => {
  const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
  assert.ok(twin, `${film.title} is on Jellyfin`);
  return twin;
};
export const runsOf = (store: Store, name: string) => store.runs({ pair: name, limit: 100 }) as RunRow[];
