// `playhead serve`: the long-running process. It holds the state database's writer lock for its
// whole life (so a `playhead sync` beside it is refused and told to ask this process instead),
// settles what a dead process left behind, runs every pair on its schedule, listens to the
// servers' triggers (item-scoped runs within seconds of a stop), and answers the HTTP API and the
// dashboard (src/web). SIGTERM/SIGINT: stop taking work, let the write in flight and its journal
// entry finish (the run closes as interrupted), close the listener, release the lock, exit 0.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { recoverInterrupted } from '../engine/recover.ts';
import { acquireWriterLock } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import { createDashboard } from '../web/app.tsx';
import { createApi } from './api.ts';
import { EventBus } from './events.ts';
import { ServeMetrics } from './metrics.ts';
import { pairRunner } from './runner.ts';
import { Scheduler } from './scheduler.ts';
import { createWebhookApp, webhookSecret } from './webhooks.ts';
import { ServeTriggers } from './triggers.ts';

/** The whole stop must fit in 10 s (container runtimes kill at 10 s): the work in flight gets 8. */
const DRAIN_MS = 8_000;

/** The kv key of the secret that signs the dashboard's session cookies and CSRF tokens. */
const DASHBOARD_SECRET_KEY = 'dashboard_secret';

/** Which app answers a path: the webhooks', the API's (its routes, metrics, health checks), else the dashboard. */
function appFor<T>(path: string, apps: { webhooks: T; api: T; dashboard: T }): T {
  if (path.startsWith('/webhooks/')) return apps.webhooks;
  if (path === '/api' || path.startsWith('/api/') || path === '/metrics' || path === '/healthz' || path === '/readyz') return apps.api;
  return apps.dashboard;
}

/** Addresses that only this machine reaches; any other bind needs PLAYHEAD_API_TOKEN. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface ServeOptions {
  config: Config;
  store: Store;
  log: Logger;
  host: string;
  port: number;
  /** PLAYHEAD_API_TOKEN; required unless `host` is a loopback address. */
  token?: string | undefined;
  /** Told the bound URL once the API listens (the CLI prints it). */
  onListening: (url: string) => void;
  /** The triggers' first reconnect backoff (ms); tests shorten it. */
  triggerBackoffMs?: number;
  /** Between polls of poll triggers (Trakt's; default theirs, 5 minutes); tests shorten it. */
  triggerPollMs?: number;
}

export interface RunningServe {
  url: string;
  /** Resolves when serve has stopped: true if the work in flight ended in time, false if it was left running. */
  stop(reason: string): Promise<boolean>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const token = opts.token?.trim() ? opts.token.trim() : undefined;
  // The CLI checks this before opening anything (exit 2); checked again here for any other caller.
  if (!isLoopback(opts.host) && token === undefined) {
    throw new Error(
      `--host ${opts.host} makes the API reachable from other machines: set PLAYHEAD_API_TOKEN (clients send it as Authorization: Bearer <token>), or bind 127.0.0.1`,
    );
  }
  const { config, store, log } = opts;
  const lock = await acquireWriterLock(store, { command: 'serve', path: config.state.path, waitMs: 0 });
  const controller = new AbortController();
  let ready = false;
  let server: Server | undefined;
  try {
    if (lock.tookOverFrom) log.warn({ pid: lock.tookOverFrom.pid, host: lock.tookOverFrom.host }, 'took over the lock of a Playhead that stopped');
    await recoverInterrupted({ config, store, log, ...(lock.tookOverFrom ? { previousHolder: lock.tookOverFrom } : {}) });

    const events = new EventBus();
    const metrics = new ServeMetrics({ signal: controller.signal });
    let triggers: ServeTriggers | undefined;
    const scheduler = new Scheduler({
      pairs: config.pairs,
      log,
      // A pair whose sources a poll watches (Trakt) is not re-read on schedule while the poll is quiet.
      skipTick: (pair) => triggers?.scheduledRunNotNeeded(pair),
      execute: pairRunner({
        config,
        store,
        log,
        events,
        signal: controller.signal,
        onOutcome: (o) => {
          metrics.record(o);
          // Item runs are followed up by the trigger side itself (it knows their events' times).
          if (!o.items) triggers?.afterRun(o);
        },
      }),
    });
    const liveTriggers = new ServeTriggers({
      config,
      store,
      log,
      events,
      metrics,
      scheduler,
      ...(opts.triggerBackoffMs !== undefined ? { minBackoffMs: opts.triggerBackoffMs } : {}),
      ...(opts.triggerPollMs !== undefined ? { pollIntervalMs: opts.triggerPollMs } : {}),
    });
    triggers = liveTriggers;
    const app = createApi({
      config,
      store,
      log,
      scheduler,
      events,
      metrics,
      signal: controller.signal,
      ready: () => ready,
      triggerHealth: (provider) => liveTriggers.health(provider),
      ...(token ? { token } : {}),
    });
    // The webhook route has its own app: its secret URL is its credential, the API token is not asked.
    const webhooks = createWebhookApp({ config, secret: webhookSecret(store), log, onEvent: (event) => liveTriggers.receive(event) });
    const dashboard = createDashboard({
      config,
      store,
      log,
      scheduler,
      events,
      signal: controller.signal,
      triggerHealth: (provider) => liveTriggers.health(provider),
      ...(token ? { token } : {}),
      secret: store.secret(DASHBOARD_SECRET_KEY),
      now: Date.now,
    });
    const listening = createServer(getRequestListener((req: Request) => appFor(new URL(req.url).pathname, { webhooks, api: app, dashboard }).fetch(req)));
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(opts.port, opts.host, () => resolve());
    });
    const address = listening.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    log.info({ url, dashboard: `${url}/`, pairs: config.pairs.map((p) => p.name) }, 'serve listening');
    opts.onListening(url);
    scheduler.start();
    liveTriggers.start();
    ready = true;

    let stopped: Promise<boolean> | undefined;
    return {
      url,
      stop(reason) {
        stopped ??= (async () => {
          ready = false;
          log.info({ reason }, 'serve stopping: no new runs; the writes in flight finish');
          // The run in progress sees the abort: its writes in flight finish and are journalled, then it closes as interrupted.
          controller.abort(reason);
          await liveTriggers.stop();
          const drained = await Promise.race([scheduler.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
          if (!drained) log.warn('serve stopping: the run in progress did not finish in time');
          await closeServer(listening);
          lock.release();
          log.info('serve stopped');
          return drained;
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (server?.listening) await closeServer(server);
    lock.release();
    throw err;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // SSE streams and keep-alive sockets would hold close() open.
    server.closeAllConnections();
  });
}
