// `playhead emulate <kind>`: runs one of the bundled server emulators in the foreground.
import { CommanderError } from 'commander';

export interface EmulateOptions {
  port: string;
  name: string;
  token?: string[];
  data?: string;
  synthetic?: string;
  seed: string;
}

export async function runEmulatorCli(kind: string, o: EmulateOptions): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CommanderError(2, 'playhead.port', `--port must be 0..65535 (got ${o.port})`);
  if (kind !== 'plex') {
    throw new CommanderError(2, 'playhead.kind', `unknown emulator kind "${kind}"; available: plex`);
  }
  const { runPlexEmulatorCli } = await import('../../emulators/plex/cli.ts');
  await runPlexEmulatorCli({
    port,
    name: o.name,
    tokens: o.token ?? [],
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.synthetic !== undefined ? { synthetic: o.synthetic } : {}),
    seed: o.seed,
  });
}
