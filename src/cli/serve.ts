// The `serve` command: parse its options, start src/serve, and turn SIGINT/SIGTERM into a clean
// stop that exits 0 (a second signal stops at once, as for `sync`).
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { isLoopback, startServe } from '../serve/serve.ts';
import type { Store } from '../store/store.ts';
import { EXIT } from './exit.ts';

type StopSignal = 'SIGINT' | 'SIGTERM';

export interface ServeCommandOptions {
  host: string;
  port: string;
}

/** Checks the options before anything is opened: a bad port or a missing token changes no file. */
export function serveUsageProblem(o: ServeCommandOptions, env: NodeJS.ProcessEnv): string | undefined {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return `--port must be 0..65535 (0 = any free port; got ${o.port})`;
  if (!isLoopback(o.host) && !env.PLAYHEAD_API_TOKEN?.trim()) {
    return `--host ${o.host} makes the API reachable from other machines: set PLAYHEAD_API_TOKEN (clients send it as Authorization: Bearer <token>), or bind 127.0.0.1`;
  }
  return undefined;
}

export async function runServe(app: { config: Config; store: Store; log: Logger }, o: ServeCommandOptions): Promise<number> {
  const running = await startServe({
    ...app,
    host: o.host,
    port: Number(o.port),
    token: process.env.PLAYHEAD_API_TOKEN,
    // stdout, one line: scripts and tests started on --port 0 read the URL from it.
    onListening: (url) => void process.stdout.write(`playhead serve: listening on ${url}\nplayhead serve: dashboard at ${url}/\n`),
  });
  const signal = await new Promise<StopSignal>((resolve) => {
    const onSignal = (s: StopSignal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      // A second signal stops at once; the lock it leaves is taken over (its pid is gone).
      process.once('SIGINT', () => process.exit(EXIT.sigint));
      process.once('SIGTERM', () => process.exit(EXIT.sigterm));
      resolve(s);
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  process.stderr.write(`playhead: ${signal}: finishing the writes in flight, then stopping (send it again to stop at once)\n`);
  const drained = await running.stop(signal);
  // A run that did not finish in time still holds sockets open: leave anyway, so the whole stop
  // fits in 10 s (the next start closes that run as interrupted, after re-reading its writes).
  if (!drained) setTimeout(() => process.exit(EXIT.ok), 500).unref();
  return EXIT.ok;
}
