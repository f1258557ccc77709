// `playhead emulate <kind>`: runs one of the bundled server emulators in the foreground.
import { CommanderError } from 'commander';

export interface EmulateOptions {
  port?: string;
  name?: string;
  token?: string[];
  data?: string;
  synthetic?: string;
  seed: string;
  version?: string;
  quiet?: boolean;
}

export const EMULATOR_KINDS = ['plex', 'jellyfin', 'emby', 'trakt'] as const;

export async function runEmulatorCli(kind: string, o: EmulateOptions): Promise<void> {
  const port = o.port === undefined ? undefined : Number(o.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new CommanderError(2, 'playhead.port', `--port must be 0..65535 (got ${o.port})`);
  const common = {
    ...(port !== undefined ? { port } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.synthetic !== undefined ? { synthetic: o.synthetic } : {}),
    seed: o.seed,
    verbose: o.quiet !== true,
  };
  switch (kind) {
    case 'plex': {
      const { runPlexEmulatorCli } = await import('../../emulators/plex/cli.ts');
      return runPlexEmulatorCli({ ...common, tokens: o.token ?? [] });
    }
    case 'jellyfin':
    case 'emby': {
      const { runMediaBrowserEmulatorCli } = await import('../../emulators/mediabrowser/cli.ts');
      return runMediaBrowserEmulatorCli({ ...common, dialect: kind, ...(o.token ? { tokens: o.token } : {}), ...(o.version ? { version: o.version } : {}) });
    }
    case 'trakt': {
      const { runTraktEmulatorCli } = await import('../../emulators/trakt/cli.ts');
      return runTraktEmulatorCli(common);
    }
    default:
      throw new CommanderError(2, 'playhead.kind', `unknown emulator kind "${kind}"; available: ${EMULATOR_KINDS.join(', ')}`);
  }
}
