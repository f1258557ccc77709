// Command-line helpers shared by the emulators' `playhead emulate <kind>` entry points.

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
