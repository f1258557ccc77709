// The Trakt API emulator: a real node:http server over in-memory state. See README.md for the
// routes, the data format and the synthetic library rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSyntheticSpec, type SyntheticSpec } from '../catalogue.ts';
import { SkewedClock } from '../common/clock.ts';
import { answerWithFaults, Faults } from '../common/faults.ts';
import { closeServer, createEmulatorServer, listen, normalizePath, readBody, sleep, toEmulatorRequest, writeReply } from '../common/http.ts';
import { hash32 } from '../random.ts';
import { DeviceGrants, SecretFactory } from './auth.ts';
import { handleControl, type RequestLogEntry } from './control.ts';
import { loadDataFile, normalizeData, type TraktEmulatorData, type TraktEmulatorDataInput } from './data.ts';
import type { TraktEnv } from './env.ts';
import { TraktLibrary } from './library.ts';
import { RateLimiter } from './ratelimit.ts';
import { faultReply, TRAKT_FAULT_REPLIES, type TraktRequest } from './reply.ts';
import { handleTraktRequest, userOfRequest, type Limits } from './routes.ts';
import { buildSyntheticData } from './synthetic.ts';

export interface TraktEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Emulator name: seeds the default client id/secret, the users' tokens and generated ids. */
  name?: string;
  /** Initial state (validated); takes precedence over dataFile and synthetic. */
  data?: TraktEmulatorDataInput;
  dataFile?: string;
  /** `movies=N,shows=S,seasons=K,episodes=E`; the default catalogue when no data is given. */
  synthetic?: string | SyntheticSpec;
  seed?: string | number;
  /** Override the app's client id / secret (also over a data file's). */
  clientId?: string;
  clientSecret?: string;
  /** Epoch milliseconds; inject a fake clock in tests. */
  now?: () => number;
  /** AUTHED_API_POST_LIMIT: POST/PUT/DELETE per access token per second (default 1). */
  writeLimitPerSecond?: number;
  /** AUTHED_API_GET_LIMIT (per token) and UNAUTHED_API_GET_LIMIT (per app) per 300 s (default 1000). */
  getLimitPer5Min?: number;
  /** Suppress the one-line-per-request log on stderr. */
  quiet?: boolean;
}

export interface RunningTraktEmulator {
  url: string;
  port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Each user with the tokens of their first grant (after a refresh: the rotated pair). */
  readonly users: { username: string; accessToken: string; refreshToken: string }[];
  close(): Promise<void>;
  /** The live state: tests may read and mutate it between requests. */
  readonly state: TraktEmulatorData;
  /** Every non-/__emulator request, oldest first. */
  readonly requests: RequestLogEntry[];
  /** Device flow: what the user does on trakt.tv/activate. Throws on an unknown code or user. */
  approveDevice(userCode: string, username: string): void;
  denyDevice(userCode: string): void;
}

const DEFAULT_NAME = 'trakt';
const DEFAULT_SYNTHETIC = 'movies=10,shows=2,seasons=2,episodes=4';
const DEFAULT_SEED = 'playhead';

async function initialData(opts: TraktEmulatorOptions, name: string, now: number): Promise<TraktEmulatorData> {
  let data: TraktEmulatorData;
  if (opts.data !== undefined) data = normalizeData(opts.data, 'options.data');
  else if (opts.dataFile !== undefined) data = await loadDataFile(opts.dataFile);
  else {
    const synthetic = opts.synthetic ?? DEFAULT_SYNTHETIC;
    const spec = typeof synthetic === 'string' ? parseSyntheticSpec(synthetic) : synthetic;
    return buildSyntheticData({
      spec,
      seed: opts.seed ?? DEFAULT_SEED,
      name,
      now,
      ...(opts.clientId !== undefined ? { clientId: opts.clientId } : {}),
      ...(opts.clientSecret !== undefined ? { clientSecret: opts.clientSecret } : {}),
    });
  }
  if (opts.clientId !== undefined) data.app.clientId = opts.clientId;
  if (opts.clientSecret !== undefined) data.app.clientSecret = opts.clientSecret;
  return data;
}

/** Ids handed out by the server: a name-derived base, then up from the largest id in the state. */
class Counter {
  private last: number;

  constructor(
    base: number,
    private readonly existing: () => number[],
  ) {
    this.last = base;
  }

  next(): number {
    for (const id of this.existing()) if (id > this.last) this.last = id;
    this.last++;
    return this.last;
  }
}

export async function startTraktEmulator(opts: TraktEmulatorOptions = {}): Promise<RunningTraktEmulator> {
  const name = opts.name ?? DEFAULT_NAME;
  const clock = new SkewedClock(opts.now ?? Date.now);
  const now = clock.now;
  let data = await initialData(opts, name, now());
  const requests: RequestLogEntry[] = [];
  const faults = new Faults();
  const limiter = new RateLimiter();
  const secrets = new SecretFactory(name);
  const devices = new DeviceGrants(secrets);
  const limits: Limits = {
    write: { name: 'AUTHED_API_POST_LIMIT', period: 1, limit: opts.writeLimitPerSecond ?? 1 },
    get: { name: 'AUTHED_API_GET_LIMIT', period: 300, limit: opts.getLimitPer5Min ?? 1000 },
    unauthedGet: { name: 'UNAUTHED_API_GET_LIMIT', period: 300, limit: opts.getLimitPer5Min ?? 1000 },
  };
  const playbackIds = new Counter(100_000_000 + (hash32(`playback:${name}`) % 800_000_000), () =>
    Object.values(data.playback).flatMap((list) => list.map((p) => p.id)),
  );
  const historyIds = new Counter(1_000_000_000 + (hash32(`history:${name}`) % 8_000_000_000), () =>
    Object.values(data.history).flatMap((list) => list.map((h) => h.id)),
  );
  const watchIds = new Counter(10_000_000 + (hash32(`watch:${name}`) % 80_000_000), () => []);

  const env: TraktEnv = {
    data: () => data,
    library: new TraktLibrary(() => data),
    now,
    secrets,
    devices,
    nextPlaybackId: () => playbackIds.next(),
    nextHistoryId: () => historyIds.next(),
    nextWatchId: () => watchIds.next(),
  };

  function approveDevice(userCode: string, username: string): void {
    const grant = devices.byUserCode(userCode);
    if (!data.users.some((u) => u.username === username)) throw new Error(`no user "${username}"`);
    if (grant.state !== 'pending') throw new Error(`device code ${grant.userCode} is already ${grant.state}`);
    grant.state = 'approved';
    grant.username = username;
  }

  function denyDevice(userCode: string): void {
    const grant = devices.byUserCode(userCode);
    if (grant.state !== 'pending') throw new Error(`device code ${grant.userCode} is already ${grant.state}`);
    grant.state = 'denied';
  }

  const control = {
    data: () => data,
    replaceData: (next: TraktEmulatorData) => void (data = next),
    requests,
    faults,
    clock,
    devices,
    limiter,
    approveDevice,
    denyDevice,
  };

  function log(entry: Omit<RequestLogEntry, 'at'>): void {
    requests.push({ ...entry, at: now() });
    if (!opts.quiet) {
      const who = entry.user ? ` [${entry.user}]` : '';
      process.stderr.write(`trakt ${name}: ${entry.method} ${entry.path}${who} → ${entry.status}${entry.fault ? ` (fault ${entry.fault})` : ''}\n`);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = normalizePath(url.pathname);
    const request: TraktRequest = { ...toEmulatorRequest(req, url, path), body };
    if (path.startsWith('/__emulator/')) {
      writeReply(res, handleControl(request.method, path, body, control));
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const base = { method: request.method, path, query: Object.fromEntries(url.searchParams) };
    const { logged, handled } = answerWithFaults(req, res, faults, request, TRAKT_FAULT_REPLIES, () => handleTraktRequest(request, env, limiter, limits));
    // When a rule answered instead of the routes, the bearer token still says who was calling.
    const user = handled ? handled.user : userOfRequest(request, env);
    log({ ...base, ...logged, ...(user ? { user } : {}) });
  }

  const server = createEmulatorServer(`trakt emulator "${name}"`, serve, faultReply(500));
  const { url, port } = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    url,
    port,
    get clientId() {
      return data.app.clientId;
    },
    get clientSecret() {
      return data.app.clientSecret;
    },
    get users() {
      return data.users.flatMap((user) => {
        const token = user.tokens[0];
        return token ? [{ username: user.username, accessToken: token.accessToken, refreshToken: token.refreshToken }] : [];
      });
    },
    get state() {
      return data;
    },
    requests,
    approveDevice,
    denyDevice,
    close: () => closeServer(server),
  };
}
