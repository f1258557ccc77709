// Logs go to stderr, with secrets redacted wherever they might appear: JSON lines for machines,
// short readable lines for people at a terminal.
import { pino, type Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Turns pino's JSON lines into short `warn: message (key=value)` lines for people at a terminal. */
export function humanLogLine(line: string): string {
  try {
    const { level, msg, time: _time, ...rest } = JSON.parse(line) as { level: number; msg?: string; time?: number } & Record<string, unknown>;
    const extras = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${LEVEL_NAMES[level] ?? level}: ${msg ?? ''}${extras ? ` (${extras})` : ''}\n`;
  } catch {
    return line;
  }
}

/**
 * Logs go to stderr, with secrets redacted wherever they might appear: JSON lines for machines
 * (`--json`, or when stderr is not a terminal), short readable lines for people.
 */
export function createLogger(opts: { verbose?: boolean; level?: string; human?: boolean }): Logger {
  const options = {
    level: opts.verbose ? 'debug' : (opts.level ?? 'warn'),
    redact: { paths: ['token', '*.token', '*.*.token', 'headers["x-plex-token"]', 'config.providers.*.token'], censor: '[redacted]' },
    base: undefined,
  };
  if (opts.human) return pino(options, { write: (line: string) => void process.stderr.write(humanLogLine(line)) });
  return pino(options, pino.destination(2));
}
