// The Plex Media Server emulator: a real node:http server over in-memory state. See README.md
// for the routes, the data format and the synthetic library rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSyntheticSpec, type SyntheticSpec } from '../catalogue.ts';
import { handleControl, type BaseRequestLogEntry } from '../common/control.ts';
import { NotificationSockets } from '../common/sockets.ts';
import { Webhooks } from '../common/webhooks.ts';
import { SkewedClock } from '../common/clock.ts';
import { answerWithFaults, Faults } from '../common/faults.ts';
import { closeServer, createEmulatorServer, listen, normalizePath, readBody, sleep, toEmulatorRequest, writeReply } from '../common/http.ts';
import { loadDataFile, normalizeData, type PlexEmulatorData, type PlexEmulatorDataInput } from './data.ts';
import type { PlexEnv } from './env.ts';
import { ownerAccount, plexParam } from './env.ts';
import { Library } from './library.ts';
import { admitPlexSocket, plexEvents, type PlexSocketInfo } from './notify.ts';
import { htmlStatus, PLEX_FAULT_REPLIES } from './reply.ts';
import { handlePlexRequest } from './routes.ts';
import { buildSyntheticData } from './synthetic.ts';

interface RequestLogEntry extends BaseRequestLogEntry {
  /** The account the token belonged to, when it was valid. */
  accountId?: number;
  /** X-Plex-Client-Identifier (header or query), so tests can see who is calling. */
  clientIdentifier?: string;
}

export interface PlexEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Server name: friendlyName, and the seed of every native id in a synthetic library. */
  name?: string;
  /** Tokens accepted as the owner's; the first also becomes the synthetic owner's token. */
  tokens?: string[];
  /** Initial state (validated); takes precedence over dataFile and synthetic. */
  data?: PlexEmulatorDataInput;
  dataFile?: string;
  /** `movies=N,shows=S,seasons=K,episodes=E`; the default library when no data is given. */
  synthetic?: string | SyntheticSpec;
  seed?: string | number;
  /** Epoch milliseconds; inject a fake clock in tests. */
  now?: () => number;
  /** Suppress the one-line-per-request log on stderr. */
  quiet?: boolean;
}

export interface RunningPlexEmulator {
  url: string;
  port: number;
  readonly machineIdentifier: string;
  readonly ownerToken: string;
  close(): Promise<void>;
  /** The live state: tests may read and mutate it between requests. */
  readonly state: PlexEmulatorData;
  /** Every non-/__emulator request, oldest first. */
  readonly requests: RequestLogEntry[];
  /** Registered webhook URLs and every delivery attempt (`settled()` waits for queued posts). */
  readonly webhooks: Webhooks;
}

const DEFAULT_NAME = 'plex';
const DEFAULT_SYNTHETIC = 'movies=10,shows=2,seasons=2,episodes=4';
const DEFAULT_SEED = 'playhead';

async function initialData(opts: PlexEmulatorOptions, name: string): Promise<PlexEmulatorData> {
  const rename = (data: PlexEmulatorData) => (opts.name === undefined ? data : { ...data, friendlyName: opts.name });
  if (opts.data !== undefined) return rename(normalizeData(opts.data, 'options.data'));
  if (opts.dataFile !== undefined) return rename(await loadDataFile(opts.dataFile));
  const synthetic = opts.synthetic ?? DEFAULT_SYNTHETIC;
  const spec = typeof synthetic === 'string' ? parseSyntheticSpec(synthetic) : synthetic;
  const ownerToken = opts.tokens?.[0];
  return buildSyntheticData({ spec, seed: opts.seed ?? DEFAULT_SEED, name, ...(ownerToken ? { ownerToken } : {}) });
}

export async function startPlexEmulator(opts: PlexEmulatorOptions = {}): Promise<RunningPlexEmulator> {
  const name = opts.name ?? DEFAULT_NAME;
  const clock = new SkewedClock(opts.now ?? Date.now);
  const now = clock.now;
  let data = await initialData(opts, name);
  const requests: RequestLogEntry[] = [];
  const faults = new Faults();
  let lastSessionKey = 0;
  const webhooks = new Webhooks('PlexMediaServer');
  // Set once the server exists; events before that (none: no request can arrive) go nowhere.
  let sockets: NotificationSockets<PlexSocketInfo> | undefined;

  const env: PlexEnv = {
    library: new Library(() => data),
    data: () => data,
    now,
    extraOwnerTokens: new Set(opts.tokens ?? []),
    nextSessionKey() {
      const used = data.sessions.map((s) => Number(s.sessionKey)).filter(Number.isFinite);
      lastSessionKey = Math.max(lastSessionKey, ...used) + 1;
      return String(lastSessionKey);
    },
    // Forwarded because the announcer needs the finished env; calls only happen per request.
    events: {
      playback: (event) => events.playback(event),
      played: (account, leaves, played) => events.played(account, leaves, played),
    },
  };
  const events = plexEvents(env, () => sockets, webhooks);
  const control = {
    data: () => data,
    replaceData(raw: unknown) {
      data = normalizeData(raw, 'state');
      env.library.warm();
      return data;
    },
    summary: (next: PlexEmulatorData) => ({ items: next.items.length }),
    requests,
    faults,
    clock,
    webhooks,
    dropSockets: () => sockets?.drop() ?? 0,
    restart() {
      data.sessions = [];
      lastSessionKey = 0;
      // A restarting server drops every connection; listeners must reconnect.
      sockets?.drop();
    },
    deleteItem(ratingKey: string) {
      const before = data.items.length;
      data.items = data.items.filter((i) => i.ratingKey !== ratingKey);
      for (const states of Object.values(data.userState)) delete states[ratingKey];
      data.sessions = data.sessions.filter((s) => s.ratingKey !== ratingKey);
      return data.items.length < before;
    },
  };

  function log(entry: Omit<RequestLogEntry, 'at'>): void {
    requests.push({ ...entry, at: now() });
    if (!opts.quiet) {
      process.stderr.write(`plex ${name}: ${entry.method} ${entry.path} → ${entry.status}${entry.fault ? ` (fault ${entry.fault})` : ''}\n`);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    // `/:/timeline/` and `/library/sections/` are sent by real clients.
    const path = normalizePath(url.pathname);
    const request = toEmulatorRequest(req, url, path);
    if (path.startsWith('/__emulator/')) {
      writeReply(res, handleControl(request.method, path, body, control));
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const clientIdentifier = plexParam(request, 'X-Plex-Client-Identifier');
    const base = { method: request.method, path, query: Object.fromEntries(url.searchParams), ...(clientIdentifier ? { clientIdentifier } : {}) };
    const { logged, handled } = answerWithFaults(req, res, faults, request, PLEX_FAULT_REPLIES, () => handlePlexRequest(request, env));
    const accountId = handled?.account?.id;
    log({ ...base, ...logged, ...(accountId !== undefined ? { accountId } : {}) });
  }

  // Build the indexes now rather than on the first request, which would wait for them.
  env.library.warm();
  const server = createEmulatorServer(`plex emulator "${name}"`, serve, htmlStatus(500));
  sockets = new NotificationSockets<PlexSocketInfo>(server, { admit: (req, url) => admitPlexSocket(env, req, url) });
  const { url, port } = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    url,
    port,
    get machineIdentifier() {
      return data.machineIdentifier;
    },
    get ownerToken() {
      return ownerAccount(data).token;
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
