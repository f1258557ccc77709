// Command-line helpers shared by the emulators' `playhead emulate <kind>` entry points.

/** The flags every emulator kind takes; each kind's own args add to these. */
export interface EmulatorCliArgs {
  port?: number;
  host?: string;
  name?: string;
  /** Path of a JSON data file in the kind's data format. */
  data?: string;
  synthetic?: string;
  seed?: string;
  /** Print one line per request on stderr (default true on the command line). */
  verbose?: boolean;
}

/**
 * The start options those flags map to. Flags not given are left out rather than passed as
 * undefined, so each kind's own defaults apply. Port and name stay with the kind: their defaults
 * differ.
 */
export function commonStartOptions(args: EmulatorCliArgs): { host?: string; dataFile?: string; synthetic?: string; seed?: string; quiet: boolean } {
  return {
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.data !== undefined ? { dataFile: args.data } : {}),
    ...(args.synthetic !== undefined ? { synthetic: args.synthetic } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    quiet: args.verbose === false,
  };
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for them). */
export function waitForStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Print the one-line description on stdout, run until a stop signal, then close the emulator. */
export async function serveUntilStopped(description: string, emulator: { close(): Promise<void> }): Promise<void> {
  process.stdout.write(`${description}\n`);
  await waitForStopSignal();
  await emulator.close();
}
