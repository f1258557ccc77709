// playhead.yaml: reading the file, the YAML, `${VAR}` interpolation, environment overrides, and
// error messages that name the file, the line, the field and what is allowed there.
//
// `parseConfig` is pure (text and environment in, Config out). `loadConfig` only adds reading the
// file. No message ever contains a token: values are described by type ("got text"), never
// echoed, and a last pass blanks any token value that might still slip into a message.
// Provider kinds, their settings and their hints come from the registered provider modules.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ProviderModule } from '../providers/module.ts';
import { providerModules } from '../providers/registry.ts';
import { checkSections, crossCheck } from './checks.ts';
import {
  collectSecrets,
  ConfigError,
  findLine,
  formatPath,
  redact,
  scanSecrets,
  SECRET_KEYS,
  sortIssues,
  toIssues,
  type ConfigIssue,
  type Segment,
} from './errors.ts';
import { isRecord } from './fields.ts';
import { interpolate, protectReferences } from './interpolate.ts';
import { configSchemaOf, providerSchemaOf } from './schema.ts';
import { LOG_LEVELS, type Config, type LogLevel } from './types.ts';
import { checkUsers, expandUsers, misplacedKeys } from './users.ts';

/**
 * Parses and validates playhead.yaml text. `file` is only used in messages; `env` supplies
 * `${VAR}` values and the `PLAYHEAD_STATE_PATH` / `PLAYHEAD_LOG_LEVEL` overrides.
 *
 * - `${NAME}` inside any string value is replaced by `env.NAME` (a missing variable is an error
 *   naming the variable and the field; `$${NAME}` keeps a literal `${NAME}`). Replaced values are
 *   text: numeric fields do not accept them.
 * - Explicit 0 is honoured everywhere (`min_seconds: 0` means no minimum).
 * - Unknown keys are errors, with the allowed keys and a guess for typos.
 * - A relative `state.path` from the file is resolved against `opts.baseDir` when given (loadConfig
 *   passes the config file's directory); without it, it is returned as written. The
 *   `PLAYHEAD_STATE_PATH` override is a path given in the shell: it stays relative to the working
 *   directory.
 * - `Config.literalSecrets` lists the fields that hold a secret written into the file itself
 *   (not a `${VAR}` reference), for the file-permission warning.
 * - `servers:` + `users:` + `sync:` expand into providers `<server>@<user>` and pairs
 *   `<pair>@<user>` (see users.ts); `Config.users` lists them per user.
 * Throws `ConfigError` with every problem found.
 */
export function parseConfig(text: string, file: string, env: Record<string, string | undefined>, opts: { baseDir?: string } = {}): Config {
  const modules = providerModules();
  const moduleOf = (kind: unknown): ProviderModule | undefined => modules.find((m) => m.kind === kind);
  const secretKeys = new Set([...SECRET_KEYS, ...modules.flatMap((m) => m.secretKeys ?? [])]);
  const refs = protectReferences(text);
  const secrets = scanSecrets(text, secretKeys);
  const lines = new LineCounter();
  const doc = parseDocument(refs.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first error is the real one; the parser's follow-up errors mostly repeat it.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => ({
      path: '',
      line: lines.linePos(e.pos[0]).line,
      message: `YAML syntax: ${syntaxMessage(refs.restore(e.message))}`,
    }));
    const more = doc.errors.length - shown.length;
    if (more > 0)
      shown.push({
        path: '',
        line: shown[shown.length - 1]?.line ?? 1,
        message: `and ${more} more YAML error${more === 1 ? '' : 's'}, probably caused by the ones above`,
      });
    throw new ConfigError(file, redact(shown, secrets));
  }
  if (doc.contents === null) {
    throw new ConfigError(file, [{ path: '', line: 1, message: 'the file is empty; it needs `providers:` and `pairs:`' }]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    const message = err instanceof Error ? (err.message.split('\n', 1)[0] ?? '') : 'unreadable';
    throw new ConfigError(file, redact([{ path: '', message: `YAML: ${syntaxMessage(refs.restore(message))}` }], secrets));
  }

  const lineOf = (path: readonly Segment[]): number | undefined => findLine(doc.contents, path, lines);
  const issues: ConfigIssue[] = [];
  const data = interpolate(raw, [], refs, env, (path, message) => issues.push({ path: formatPath(path), line: lineOf(path), message }));
  collectSecrets(data, secretKeys, secrets);
  // Keys in the wrong place get a message saying where they belong, instead of "unknown key".
  issues.push(...misplacedKeys(data, lineOf, moduleOf));

  const result = configSchemaOf(modules).safeParse(data);
  if (!result.success) {
    // A field whose variable is missing already has its issue; "must not be empty" would be noise.
    const reported = new Set(issues.map((i) => i.path));
    for (const iss of result.error.issues) {
      for (const issue of toIssues(iss, data, lineOf)) if (!reported.has(issue.path)) issues.push(issue);
    }
  }
  issues.push(...checkSections(data, lineOf));
  const users = checkUsers(data, lineOf, new Set(issues.map((i) => i.path)), moduleOf);
  issues.push(...users.issues);
  issues.push(...crossCheck(data, lineOf, users.owners));

  const overrides = envOverrides(env, issues);
  if (issues.length > 0 || !result.success) throw new ConfigError(file, redact(sortIssues(issues), secrets));

  const c = result.data;
  // After the checks: `raw` may hold an alias cycle, which they report.
  const literalSecrets = literalSecretFields(raw, secretKeys, refs.placeholder);
  const servers = isRecord(data) && isRecord(data.servers) ? data.servers : {};
  const expanded = expandUsers(c, users.entries, servers, lineOf, providerSchemaOf(modules), moduleOf);
  if (expanded.issues.length > 0) throw new ConfigError(file, redact(sortIssues(expanded.issues), secrets));
  return {
    providers: expanded.providers,
    pairs: expanded.pairs,
    state: { path: overrides.statePath ?? relativeTo(opts.baseDir, c.state.path) },
    logLevel: overrides.logLevel ?? c.log_level ?? 'warn',
    ...(c.settle_seconds !== undefined ? { settleSeconds: c.settle_seconds } : {}),
    ...(expanded.users ? { users: expanded.users } : {}),
    ...(expanded.notes.length > 0 ? { notes: expanded.notes } : {}),
    ...(literalSecrets.length > 0 ? { literalSecrets } : {}),
  };
}

/** A path from the file: relative ones are relative to the file's directory (when known). */
function relativeTo(baseDir: string | undefined, path: string): string {
  return baseDir === undefined || isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Field paths of secret keys whose value is written in the file, not taken from `${VAR}`. */
function literalSecretFields(raw: unknown, secretKeys: ReadonlySet<string>, placeholder: RegExp, path: Segment[] = []): string[] {
  if (Array.isArray(raw)) return raw.flatMap((v, i) => literalSecretFields(v, secretKeys, placeholder, [...path, i]));
  if (!isRecord(raw)) return [];
  return Object.entries(raw).flatMap(([key, value]) => {
    if (typeof value !== 'string') return literalSecretFields(value, secretKeys, placeholder, [...path, key]);
    // `placeholder` is global: `search` ignores its lastIndex.
    return secretKeys.has(key) && value.trim() !== '' && value.search(placeholder) < 0 ? [formatPath([...path, key])] : [];
  });
}

const MAX_SYNTAX_ERRORS = 3;

/** The parser's message without any quoted source text (which could be a token). */
function syntaxMessage(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.replace(/:\s*(["'`]).*$/, '').replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Reads and parses a config file (`process.env` by default). A missing file is a ConfigError
 * that says how to create one. Relative paths in it are relative to its directory. A file that
 * holds a secret and that others can read gets a warning in `Config.warnings`.
 */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
    const message =
      code === 'ENOENT'
        ? `config file not found. Create ${file} with a \`providers:\` and a \`pairs:\` section (see the README), or pass --config <file>`
        : `cannot read the config file (${code ?? (err instanceof Error ? err.message : 'unknown error')})`;
    throw new ConfigError(file, [{ path: '', message }]);
  }
  const config = parseConfig(text, file, env, { baseDir: dirname(resolve(file)) });
  const warning = exposedSecretsWarning(file, config.literalSecrets ?? []);
  return warning ? { ...config, warnings: [...(config.warnings ?? []), warning] } : config;
}

/** Group or others can read the file and it holds a secret itself: say so (naming fields, never values). */
function exposedSecretsWarning(file: string, fields: string[]): string | undefined {
  if (fields.length === 0) return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const named = fields.length > 3 ? `${fields.slice(0, 3).join(', ')} and ${fields.length - 3} more` : fields.join(', ');
  const octal = (mode & 0o777).toString(8);
  return `${file} holds a secret (${named}) and other users can read it (mode ${octal}): run \`chmod 600 ${file}\`, or move the secret into an environment variable (\`\${NAME}\`)`;
}

function envOverrides(env: Record<string, string | undefined>, issues: ConfigIssue[]): { statePath?: string; logLevel?: LogLevel } {
  const out: { statePath?: string; logLevel?: LogLevel } = {};
  const statePath = env.PLAYHEAD_STATE_PATH?.trim();
  if (statePath) out.statePath = statePath;
  const level = env.PLAYHEAD_LOG_LEVEL?.trim().toLowerCase();
  if (level) {
    const known = LOG_LEVELS.find((l) => l === level);
    if (known === undefined) {
      issues.push({ path: 'PLAYHEAD_LOG_LEVEL', message: `environment override must be one of: ${LOG_LEVELS.join(', ')}` });
    } else {
      out.logLevel = known;
    }
  }
  return out;
}
