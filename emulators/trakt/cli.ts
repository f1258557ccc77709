// `playhead emulate trakt …`: start the emulator, print where it listens, run until a signal.
import { commonStartOptions, serveUntilStopped, type EmulatorCliArgs } from '../common/cli.ts';
import { startTraktEmulator, type RunningTraktEmulator } from './server.ts';

/** `data` is a TraktEmulatorData JSON file. */
export type TraktEmulatorCliArgs = EmulatorCliArgs;

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
    ...commonStartOptions(args),
  });
  await serveUntilStopped(describeEmulator(name, emulator), emulator);
}
