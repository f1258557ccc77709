// The Plex Media Server emulator: a real node:http server over in-memory state. See README.md
// for the routes, the data format and the synthetic library rules.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSyntheticSpec, type SyntheticSpec } from '../catalogue.ts';
import { handleControl, type RequestLogEntry } from './control.ts';
import { loadDataFile, normalizeData, type PlexEmulatorData, type PlexEmulatorDataInput } from './data.ts';
import type { PlexEnv } from './env.ts';
import { ownerAccount, plexParam } from './env.ts';
import { Faults, faultKind, NON_JSON_BODY, type FaultKind } from './faults.ts';
import { Library } from './library.ts';
import { htmlStatus, type PlexRequest, type Reply } from './reply.ts';
import { handlePlexRequest } from './routes.ts';
import { buildSyntheticData } from './synthetic.ts';

export type { PlexEmulatorData, PlexEmulatorDataInput } from './data.ts';
export type { RequestLogEntry } from './control.ts';
export type { SyntheticSpec } from '../catalogue.ts';

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
}

export const DEFAULT_NAME = 'plex';
export const DEFAULT_SYNTHETIC = 'movies=10,shows=2,seasons=2,episodes=4';
export const DEFAULT_SEED = 'playhead';

async function initialData(opts: PlexEmulatorOptions, name: string): Promise<PlexEmulatorData> {
  const rename = (data: PlexEmulatorData) => (opts.name === undefined ? data : { ...data, friendlyName: opts.name });
  if (opts.data !== undefined) return rename(normalizeData(opts.data, 'options.data'));
  if (opts.dataFile !== undefined) return rename(await loadDataFile(opts.dataFile));
  const synthetic = opts.synthetic ?? DEFAULT_SYNTHETIC;
  const spec = typeof synthetic === 'string' ? parseSyntheticSpec(synthetic) : synthetic;
  const ownerToken = opts.tokens?.[0];
  return buildSyntheticData({ spec, seed: opts.seed ?? DEFAULT_SEED, name, ...(ownerToken ? { ownerToken } : {}) });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function toPlexRequest(req: IncomingMessage, url: URL, path: string): PlexRequest {
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    params: url.searchParams,
    header(name) {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** `/:/timeline/` and `/library/sections/` are sent by real clients: ignore a trailing slash. */
function normalizePath(pathname: string): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
}

function writeReply(res: ServerResponse, reply: Reply, options: { head: boolean; truncate: boolean }): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(body.length) });
  if (options.head) {
    res.end();
  } else if (options.truncate) {
    // Promise the whole body, send half, then drop the connection.
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
  } else {
    res.end(body);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startPlexEmulator(opts: PlexEmulatorOptions = {}): Promise<RunningPlexEmulator> {
  const name = opts.name ?? DEFAULT_NAME;
  const now = opts.now ?? Date.now;
  let data = await initialData(opts, name);
  const requests: RequestLogEntry[] = [];
  const faults = new Faults();
  let lastSessionKey = 0;

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
  };
  const control = { data: () => data, replaceData: (next: PlexEmulatorData) => void (data = next), requests, faults };

  function log(entry: Omit<RequestLogEntry, 'at'>): void {
    requests.push({ ...entry, at: now() });
    if (!opts.quiet) {
      process.stderr.write(`plex ${name}: ${entry.method} ${entry.path} → ${entry.status}${entry.fault ? ` (fault ${entry.fault})` : ''}\n`);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = normalizePath(url.pathname);
    const request = toPlexRequest(req, url, path);
    if (path.startsWith('/__emulator/')) {
      writeReply(res, handleControl(request.method, path, body, control), { head: false, truncate: false });
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const clientIdentifier = plexParam(request, 'X-Plex-Client-Identifier');
    const base = { method: request.method, path, query: Object.fromEntries(url.searchParams), ...(clientIdentifier ? { clientIdentifier } : {}) };
    const rule = faults.take(request.method, path, request.params);
    const fault: FaultKind | undefined = rule && faultKind(rule);
    if (fault === 'reset') {
      log({ ...base, status: 0, fault });
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    let accountId: number | undefined;
    if (fault === 'status') {
      reply = htmlStatus(rule!.status!);
    } else if (fault === 'nonJson') {
      reply = { status: 200, headers: { 'Content-Type': 'text/html' }, body: NON_JSON_BODY };
    } else {
      const result = handlePlexRequest(request, env);
      reply = result.reply;
      accountId = result.account?.id;
    }
    writeReply(res, reply, { head: request.method === 'HEAD', truncate: fault === 'truncate' });
    log({ ...base, status: reply.status, ...(fault ? { fault } : {}), ...(accountId !== undefined ? { accountId } : {}) });
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      process.stderr.write(`plex emulator "${name}": ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) writeReply(res, htmlStatus(500), { head: false, truncate: false });
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
