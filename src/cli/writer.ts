// What the writing commands (`sync`, `undo`) do around their work: take the
// writer lock (or wait for it, or fail naming its holder), settle what a dead process left
// behind, and turn SIGINT/SIGTERM into a clean stop: the writes in flight finish and are
// journalled, no new one starts, the run closes as interrupted and the lock is released.
// `serve` takes the same lock and recovery for its whole life in src/serve/serve.ts.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { recoverInterrupted } from '../engine/recover.ts';
import { acquireWriterLock, describeHolder } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import { EXIT } from './exit.ts';

type StopSignal = 'SIGINT' | 'SIGTERM';

export interface WriterOptions {
  config: Config;
  store: Store;
  log: Logger;
  command: string;
  /** How long to wait for the lock (ms): 0 fails at once, Infinity waits for ever. */
  waitMs: number;
}

/** The body's exit code, or the signal that stopped it. */
export type WriterOutcome = { code: number; signal?: undefined } | { signal: StopSignal; code?: undefined };

export async function asWriter(opts: WriterOptions, body: (signal: AbortSignal) => Promise<number>): Promise<WriterOutcome> {
  const lock = await acquireWriterLock(opts.store, {
    command: opts.command,
    path: opts.config.state.path,
    waitMs: opts.waitMs,
    onWait: (holder) => process.stderr.write(`playhead: waiting for ${describeHolder(holder)} to finish with ${opts.config.state.path}\n`),
  });
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    // A second signal stops at once; the lock it leaves is taken over (its pid is gone).
    if (received) process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    received = signal;
    process.stderr.write(`playhead: ${signal}: finishing the writes in flight, then stopping (send it again to stop at once)\n`);
    controller.abort(signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    if (lock.tookOverFrom) opts.log.warn({ pid: lock.tookOverFrom.pid, host: lock.tookOverFrom.host }, 'took over the lock of a Playhead that stopped');
    await recoverInterrupted({
      config: opts.config,
      store: opts.store,
      log: opts.log,
      ...(lock.tookOverFrom ? { previousHolder: lock.tookOverFrom } : {}),
    });
    try {
      const code = await body(controller.signal);
      return received ? { signal: received } : { code };
    } catch (err) {
      // Stopped by the signal (an undo throws its RunInterruptedError): say so, and exit as the signal says.
      if (!received) throw err;
      process.stderr.write(`playhead: ${err instanceof Error ? err.message : String(err)}\n`);
      return { signal: received };
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    lock.release();
  }
}
