// `playhead emulate jellyfin|emby …`: start the emulator, print where it listens and how to get
// in, run until SIGINT/SIGTERM.
import { commonStartOptions, serveUntilStopped, type EmulatorCliArgs } from '../common/cli.ts';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from './server.ts';

/** `port` defaults to 8096, the port both servers use out of the box; `data` is a MediaBrowserEmulatorData JSON file. */
export interface MediaBrowserEmulatorCliArgs extends EmulatorCliArgs {
  dialect: MediaBrowserDialect;
  /** API keys; the first replaces the synthetic `apikey-<name>`. */
  tokens?: string[];
  /** Server version to claim (Jellyfin `10.8.13` drops the 10.9+ routes). */
  version?: string;
  /** Jellyfin only: false emulates 12.0 (no X-Emby-Token, api_key, Emby scheme). */
  legacyAuth?: boolean;
}

export const DEFAULT_PORT: Record<MediaBrowserDialect, number> = { jellyfin: 8096, emby: 8096 };

export function describeMediaBrowserEmulator(name: string, emulator: RunningMediaBrowserEmulator): string {
  const users = emulator.users.map((u) => `${u.name}=${u.token}`).join(', ');
  return `${emulator.dialect} emulator "${name}" listening on ${emulator.url} (server id ${emulator.serverId}, api key ${emulator.apiKey}, users: ${users})`;
}

/** Resolves once the emulator has stopped after SIGINT or SIGTERM. */
export async function runMediaBrowserEmulatorCli(args: MediaBrowserEmulatorCliArgs): Promise<void> {
  const name = args.name ?? args.dialect;
  const emulator = await startMediaBrowserEmulator({
    dialect: args.dialect,
    name,
    port: args.port ?? DEFAULT_PORT[args.dialect],
    ...(args.tokens !== undefined ? { apiKeys: args.tokens } : {}),
    ...(args.version !== undefined ? { version: args.version } : {}),
    ...(args.legacyAuth !== undefined ? { legacyAuth: args.legacyAuth } : {}),
    ...commonStartOptions(args),
  });
  await serveUntilStopped(describeMediaBrowserEmulator(name, emulator), emulator);
}
