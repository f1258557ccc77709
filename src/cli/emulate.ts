// `playhead emulate <kind>`: runs one of the bundled server emulators in the foreground, through
// the kind's module (which loads the emulator code only now).
import { CommanderError } from 'commander';
import { findProviderModule, providerModules } from '../providers/registry.ts';

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

/** Kinds with a bundled emulator. */
function emulatorKinds(): string[] {
  return providerModules().flatMap((m) => (m.emulator ? [m.kind] : []));
}

export async function runEmulatorCli(kind: string, o: EmulateOptions): Promise<void> {
  const port = o.port === undefined ? undefined : Number(o.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new CommanderError(2, 'playhead.port', `--port must be 0..65535 (got ${o.port})`);
  const emulator = findProviderModule(kind)?.emulator;
  if (emulator === undefined) throw new CommanderError(2, 'playhead.kind', `unknown emulator kind "${kind}"; available: ${emulatorKinds().join(', ')}`);
  return emulator.runCli({
    ...(port !== undefined ? { port } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.synthetic !== undefined ? { synthetic: o.synthetic } : {}),
    seed: o.seed,
    verbose: o.quiet !== true,
    ...(o.token !== undefined ? { tokens: o.token } : {}),
    ...(o.version !== undefined ? { version: o.version } : {}),
  });
}
