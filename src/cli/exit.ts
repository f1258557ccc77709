// The command line's exit codes, in one module every command (and the lock, the signal
// handlers) can import without importing the CLI itself. README "Exit codes" documents them.

/**
 * Exit codes, the one place they are defined. 0: every planned write was confirmed. 1: some
 * writes failed or their outcome is unknown (a `partial` run, listed per item), or a pair could
 * not run (`failure` is the same code). 2: bad config or usage, or a refused token. 3: another
 * Playhead holds the state database's lock. 130/143: interrupted by SIGINT/SIGTERM (128 + signal).
 */
export const EXIT = { ok: 0, partial: 1, failure: 1, usage: 2, config: 2, locked: 3, sigint: 130, sigterm: 143 } as const;
