// `playhead` as a child process the test can signal or kill mid-run (test/support/cli.ts waits
// for the end instead). Same environment rules: the caller's env map fills what the CLI reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, type CliResult } from './cli.ts';

export interface RunningCli {
  child: ChildProcess;
  /** Resolves when the process ended: its exit code (null when a signal killed it) and output. */
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  /** Resolves once stderr has shown text matching `pattern`. */
  stderrMatches(pattern: RegExp): Promise<void>;
}

export function startPlayhead(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, PLAYHEAD_CONFIG: '', PLEX_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrMatches: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        waiters.push({ pattern, resolve });
        void done.then(() => reject(new Error(`exited before stderr matched ${pattern}: ${stderr}`)));
      }),
  };
}
