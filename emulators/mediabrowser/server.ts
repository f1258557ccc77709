// The Jellyfin and Emby emulator: one node:http server over in-memory state, speaking either
// dialect. See README.md for the routes, the data format and the synthetic library rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSyntheticSpec, type SyntheticSpec } from '../catalogue.ts';
import { handleControl, type BaseRequestLogEntry } from '../common/control.ts';
import { NotificationSockets } from '../common/sockets.ts';
import { Webhooks } from '../common/webhooks.ts';
import { SkewedClock } from '../common/clock.ts';
import { answerWithFaults, Faults, type FaultReplies } from '../common/faults.ts';
import { closeServer, createEmulatorServer, emptyReply, headerReader, listen, normalizePath, readBody, sleep, writeReply } from '../common/http.ts';
import {
  DEFAULT_VERSION,
  loadDataFile,
  normalizeData,
  type MediaBrowserDialect,
  type MediaBrowserEmulatorData,
  type MediaBrowserEmulatorDataInput,
} from './data.ts';
import { callerForToken, readCredentials } from './auth.ts';
import { MbCatalog } from './library.ts';
import { admitMbSocket, mediaBrowserEvents, type MbSocketInfo } from './notify.ts';
import { Params, type MbEnv, type MbRequest } from './request.ts';
import { handleMediaBrowserRequest } from './routes.ts';
import { buildSyntheticData } from './synthetic.ts';

export type { MediaBrowserDialect } from './data.ts';

interface RequestLogEntry extends BaseRequestLogEntry {
  /** The user the token belonged to (absent for API keys and bad tokens). */
  userId?: string;
  /** `Client` from the authorization header, so tests can see who is calling. */
  client?: string;
}

export interface MediaBrowserEmulatorOptions {
  dialect: MediaBrowserDialect;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Server name, and the seed of every native id in a synthetic library. */
  name?: string;
  /** Jellyfin default 10.11.8, Emby 4.8.11.0. Jellyfin below 10.9 (e.g. 10.8.13) lacks the /UserItems family and UserData writes. */
  version?: string;
  /** Jellyfin's EnableLegacyAuthorization: X-Emby-Token, X-MediaBrowser-Token, api_key, the Emby scheme. Default true (10.11); false = 12.0. */
  legacyAuth?: boolean;
  /** Initial state (validated); takes precedence over dataFile and synthetic. */
  data?: MediaBrowserEmulatorDataInput;
  dataFile?: string;
  /** `movies=N,shows=S,seasons=K,episodes=E`; the default library when no data is given. */
  synthetic?: string | SyntheticSpec;
  seed?: string | number;
  /** API keys; the first replaces the synthetic `apikey-<name>`. With data, they are added to its keys. */
  apiKeys?: string[];
  /** Epoch milliseconds; inject a fake clock in tests. */
  now?: () => number;
  /** Suppress the one-line-per-request log on stderr. */
  quiet?: boolean;
}

export interface RunningMediaBrowserEmulator {
  /** Routes answer both here and, for Emby, under `<url>/emby`. */
  url: string;
  port: number;
  readonly dialect: MediaBrowserDialect;
  readonly serverId: string;
  /** The first API key (admin rights, no user). */
  readonly apiKey: string;
  readonly users: { id: string; name: string; token: string; admin: boolean }[];
  close(): Promise<void>;
  /** The live state: tests may read and mutate it between requests. */
  readonly state: MediaBrowserEmulatorData;
  /** Every non-/__emulator request, oldest first. */
  readonly requests: RequestLogEntry[];
  /** Registered webhook URLs and every delivery attempt (`settled()` waits for queued posts). */
  readonly webhooks: Webhooks;
}

const DEFAULT_SYNTHETIC = 'movies=10,shows=2,seasons=2,episodes=4';
const DEFAULT_SEED = 'playhead';

/** Status rules answer with an empty body, as both servers do for errors outside the routes; nonJson is the start-up page. */
const FAULT_REPLIES: FaultReplies = {
  status: (code) => emptyReply(code),
  nonJson: {
    status: 200,
    headers: { 'Content-Type': 'text/html' },
    body: '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Server is starting up</h1></body></html>',
  },
};

async function initialData(opts: MediaBrowserEmulatorOptions, name: string): Promise<MediaBrowserEmulatorData> {
  let data: MediaBrowserEmulatorData;
  if (opts.data !== undefined || opts.dataFile !== undefined) {
    data = opts.data !== undefined ? normalizeData(opts.data, opts.dialect, 'options.data') : await loadDataFile(opts.dataFile!, opts.dialect);
    if (opts.name !== undefined) data.serverName = opts.name;
    if (opts.version !== undefined) data.version = opts.version;
    const known = new Set(data.apiKeys.map((k) => k.token));
    for (const token of opts.apiKeys ?? []) if (!known.has(token)) data.apiKeys.push({ token, name: 'playhead' });
    return data;
  }
  const synthetic = opts.synthetic ?? DEFAULT_SYNTHETIC;
  const spec = typeof synthetic === 'string' ? parseSyntheticSpec(synthetic) : synthetic;
  return buildSyntheticData({
    dialect: opts.dialect,
    spec,
    seed: opts.seed ?? DEFAULT_SEED,
    name,
    ...(opts.apiKeys ? { apiKeys: opts.apiKeys } : {}),
    version: opts.version ?? DEFAULT_VERSION[opts.dialect],
  });
}

/** Emby serves every route both at the root and under `/emby`. */
function routePath(dialect: MediaBrowserDialect, pathname: string): string {
  const path = normalizePath(pathname);
  if (dialect === 'emby' && /^\/emby(\/|$)/i.test(path)) return path.slice(5) || '/';
  return path;
}

export async function startMediaBrowserEmulator(opts: MediaBrowserEmulatorOptions): Promise<RunningMediaBrowserEmulator> {
  const dialect = opts.dialect;
  if (dialect !== 'jellyfin' && dialect !== 'emby') throw new Error(`unknown dialect "${String(dialect)}" (jellyfin or emby)`);
  const name = opts.name ?? dialect;
  const clock = new SkewedClock(opts.now ?? Date.now);
  const now = clock.now;
  let data = await initialData(opts, name);
  const requests: RequestLogEntry[] = [];
  const faults = new Faults();
  const webhooks = new Webhooks(dialect === 'jellyfin' ? 'Jellyfin-Server' : 'Emby Server');
  let sockets: NotificationSockets<MbSocketInfo> | undefined;
  const env: MbEnv = {
    dialect,
    catalog: new MbCatalog(() => data, dialect, now),
    data: () => data,
    now,
    legacyAuth: opts.legacyAuth ?? true,
    startedAt: now(),
    // Forwarded because the announcer needs the finished env; calls only happen per request.
    events: {
      playback: (event) => events.playback(event),
      marked: (user, item, played) => events.marked(user, item, played),
    },
  };
  const events = mediaBrowserEvents(env, () => sockets, webhooks);
  env.catalog.onUserDataSaved = (userId, itemId, reason) => events.userDataSaved(userId, itemId, reason);
  // Index the library before the first request (a 100 000-item library takes a few hundred ms).
  env.catalog.warm();
  const control = {
    data: () => data,
    replaceData(raw: unknown) {
      data = normalizeData(raw, dialect, 'state');
      return data;
    },
    summary: (next: MediaBrowserEmulatorData) => ({ items: next.items.length }),
    requests,
    faults,
    clock,
    webhooks,
    dropSockets: () => sockets?.drop() ?? 0,
    restart() {
      data.sessions = [];
      // A restarting server drops every connection; listeners must reconnect.
      sockets?.drop();
    },
    deleteItem(id: string) {
      const before = data.items.length;
      data.items = data.items.filter((i) => i.Id !== id);
      for (const perItem of Object.values(data.userData)) delete perItem[id];
      data.sessions = data.sessions.filter((s) => s.itemId !== id);
      return data.items.length < before;
    },
  };

  function log(entry: Omit<RequestLogEntry, 'at'>): void {
    requests.push({ ...entry, at: now() });
    if (!opts.quiet) {
      process.stderr.write(`${dialect} ${name}: ${entry.method} ${entry.path} → ${entry.status}${entry.fault ? ` (fault ${entry.fault})` : ''}\n`);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const fullPath = normalizePath(url.pathname);
    if (fullPath.startsWith('/__emulator/')) {
      writeReply(res, handleControl(method, fullPath, body, control));
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const request: MbRequest = {
      method,
      path: routePath(dialect, url.pathname),
      params: new Params(url.searchParams),
      header: headerReader(req),
      body,
    };
    // Who is calling is logged even when a fault answers instead of the server.
    const credentials = readCredentials(request, dialect, env.legacyAuth);
    const caller = callerForToken(credentials.token, data);
    const base = {
      method,
      path: fullPath,
      query: Object.fromEntries(url.searchParams),
      ...(caller?.kind === 'user' ? { userId: caller.user.id } : {}),
      ...(credentials.client.client ? { client: credentials.client.client } : {}),
    };
    const faultable = { method, path: fullPath, params: url.searchParams };
    const { logged } = answerWithFaults(req, res, faults, faultable, FAULT_REPLIES, () => handleMediaBrowserRequest(request, env));
    log({ ...base, ...logged });
  }

  const server = createEmulatorServer(`${dialect} emulator "${name}"`, serve, emptyReply(500));
  sockets = new NotificationSockets<MbSocketInfo>(server, {
    admit: (req, url) => admitMbSocket(env, req, url, routePath(dialect, url.pathname)),
    onOpen: (client) => events.onSocketOpen(client),
    onMessage: (client, text) => events.onSocketMessage(client, text),
  });
  const listening = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    url: listening.url,
    port: listening.port,
    dialect,
    get serverId() {
      return data.serverId;
    },
    get apiKey() {
      const key = data.apiKeys[0];
      if (!key) throw new Error(`${dialect} emulator "${name}" has no API key`);
      return key.token;
    },
    get users() {
      return data.users.map((u) => ({ id: u.id, name: u.name, token: u.token, admin: u.admin }));
    },
    get state() {
      return data;
    },
    requests,
    webhooks,
    async close() {
      sockets?.close();
      await closeServer(server);
    },
  };
}
