// `playhead serve` as a user runs it: a real process on port 0 over the Plex emulator pair, its
// URL read from stdout, and small HTTP/SSE helpers for the serve-*.test.ts files.
import { request } from 'undici';
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
