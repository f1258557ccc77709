// Helpers for config tests: edit one line of a YAML text, expect a ConfigError (and check that
// no secret leaked into it), take its only issue.
import assert from 'node:assert/strict';
import { ConfigError, type ConfigIssue } from '../../src/config/errors.ts';
import { parseConfig } from '../../src/config/load.ts';

export function edit(text: string, line: number, replacement: string): string {
  const lines = text.split('\n');
  lines[line - 1] = replacement;
  return lines.join('\n');
}

export function expectConfigError(text: string, env: Record<string, string | undefined>, secrets: (string | undefined)[], file = 'playhead.yaml'): ConfigError {
  try {
    parseConfig(text, file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const secret of secrets) if (secret) assert.ok(!err.message.includes(secret), `a secret leaked into: ${err.message}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

export function only(err: ConfigError): ConfigIssue {
  assert.equal(err.issues.length, 1, err.message);
  const issue = err.issues[0];
  assert.ok(issue !== undefined);
  return issue;
}
