// `playhead emulate plex …`: start the emulator, print where it listens, run until a signal.
import { startPlexEmulator, type RunningPlexEmulator } from './server.ts';

export interface PlexEmulatorCliArgs {
  port?: number;
  host?: string;
  name?: string;
  tokens?: string[];
  /** Path of a JSON data file (PlexEmulatorData). */
  data?: string;
  synthetic?: string;
  seed?: string;
  /** Print one line per request on stderr (default true on the command line). */
  verbose?: boolean;
}

export function describeEmulator(name: string, emulator: RunningPlexEmulator): string {
  return `plex emulator "${name}" listening on ${emulator.url} (machineIdentifier ${emulator.machineIdentifier}, owner token ${emulator.ownerToken})`;
}

/** Resolves once the emulator has stopped after SIGINT or SIGTERM. */
export async function runPlexEmulatorCli(args: PlexEmulatorCliArgs): Promise<void> {
  const name = args.name ?? 'plex';
  const emulator = await startPlexEmulator({
    name,
    port: args.port ?? 32400,
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.tokens !== undefined ? { tokens: args.tokens } : {}),
    ...(args.data !== undefined ? { dataFile: args.data } : {}),
    ...(args.synthetic !== undefined ? { synthetic: args.synthetic } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    quiet: args.verbose === false,
  });
  process.stdout.write(`${describeEmulator(name, emulator)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
}
