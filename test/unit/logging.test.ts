// Logs: readable lines for people, and tokens redacted whatever shape they are logged in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, humanLogLine } from '../../src/cli/log.ts';

test('a JSON log line becomes a short readable line', () => {
  assert.equal(humanLogLine('{"level":40,"time":1,"msg":"sessions hidden","provider":"dst"}'), 'warn: sessions hidden (provider=dst)\n');
  assert.equal(humanLogLine('not json\n'), 'not json\n');
});

test('tokens are redacted in logs', () => {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const log = createLogger({ level: 'info', human: true });
    log.warn({ token: 'SECRET-A', provider: { token: 'SECRET-B' }, config: { providers: { p: { token: 'SECRET-C' } } } }, 'hello');
  } finally {
    process.stderr.write = original;
  }
  const text = written.join('');
  assert.match(text, /warn: hello/);
  for (const secret of ['SECRET-A', 'SECRET-B', 'SECRET-C']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
});
