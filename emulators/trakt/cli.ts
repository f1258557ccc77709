// `playhead emulate trakt …`: start the emulator, print where it listens, run until a signal.
import { waitForStopSignal } from '../common/cli.ts';
import { startTraktEmulator, type RunningTraktEmulator } from './server.ts';

export interface TraktEmulatorCliArgs {
  port?: number;
  host?: string;
  name?: string;
  /** Path of a JSON data file (TraktEmulatorData). */
  data?: string;
  synthetic?: string;
  seed?: string;
  /** Print one line per request on stderr (default true on the command line). */
  verbose?: boolean;
}

export function describeEmulator(name: string, emulator: RunningTraktEmulator): string {
  const users = emulator.users.map((u) => `${u.username}=${u.accessToken}`).join(', ');
  return `trakt emulator "${name}" listening on ${emulator.url} (client id ${emulator.clientId}, users: ${users || 'none'})`;
}

/** Resolves once the emulator has stopped after SIGINT or SIGTERM. */
export async function runTraktEmulatorCli(args: TraktEmulatorCliArgs): Promise<void> {
  const name = args.name ?? 'trakt';
  const emulator = await startTraktEmulator({
    name,
    port: args.port ?? 0,
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.data !== undefined ? { dataFile: args.data } : {}),
    ...(args.synthetic !== undefined ? { synthetic: args.synthetic } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    quiet: args.verbose === false,
  });
  process.stdout.write(`${describeEmulator(name, emulator)}\n`);
  await waitForStopSignal();
  await emulator.close();
}
