// `playhead emulate plex …`: start the emulator, print where it listens, run until a signal.
import { commonStartOptions, serveUntilStopped, type EmulatorCliArgs } from '../common/cli.ts';
import { startPlexEmulator, type RunningPlexEmulator } from './server.ts';

/** `data` is a PlexEmulatorData JSON file. */
export interface PlexEmulatorCliArgs extends EmulatorCliArgs {
  tokens?: string[];
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
    ...(args.tokens !== undefined ? { tokens: args.tokens } : {}),
    ...commonStartOptions(args),
  });
  await serveUntilStopped(describeEmulator(name, emulator), emulator);
}
