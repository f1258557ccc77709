// Config errors: issues that name the file, the line, the field and what is allowed there, built
// from zod's issues; and the redaction that keeps every token out of them. Values are described
// by type ("got text"), never echoed, and a last pass blanks any secret that might still slip in.
import { type LineCounter, isMap, isScalar, isSeq } from 'yaml';
import type { z } from 'zod';
import { ALLOWED_MARK, closest, describe, isRecord } from './fields.ts';

export interface ConfigIssue {
  /** Field path, e.g. `pairs[0].features.progress.max_percent`; `''` for the whole file;
   * an environment variable's name for a bad override. */
  path: string;
  message: string;
  /** 1-based line in the file, when the field (or its nearest parent) is in the file. */
  line?: number;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  readonly file: string;
  constructor(file: string, issues: ConfigIssue[]) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** `playhead.yaml:14: pairs[0].features.progress.max_percent: must be 1..100 (got 120)` */
function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

export type Segment = string | number;
/** The line of a field in the file (or of its nearest parent). */
export type LineOf = (path: readonly Segment[]) => number | undefined;

/** Collects issues; `add` places a message at a field path. */
export interface Reporter {
  issue(issue: ConfigIssue): void;
  add(path: Segment[], message: string): void;
}

type ZodIssue = z.core.$ZodIssue;

export function toIssues(iss: ZodIssue, data: unknown, lineOf: LineOf): ConfigIssue[] {
  const path: Segment[] = iss.path.map((p) => (typeof p === 'number' ? p : String(p)));
  const make = (p: Segment[], message: string): ConfigIssue => ({ path: formatPath(p), line: lineOf(p), message });

  if (iss.code === 'unrecognized_keys') {
    const allowed = iss.message.startsWith(ALLOWED_MARK) ? iss.message.slice(ALLOWED_MARK.length).split(', ') : [];
    return iss.keys.map((key) => {
      const guess = closest(key, allowed);
      const hint = guess === undefined ? '' : `; did you mean ${JSON.stringify(guess)}?`;
      return make([...path, key], `unknown key (allowed: ${allowed.join(', ')})${hint}`);
    });
  }
  if (iss.code === 'invalid_type' || iss.code === 'invalid_value' || iss.code === 'invalid_union') {
    const found = lookup(data, path);
    if (found.missing) return [make(path, iss.code === 'invalid_union' ? iss.message : `is required (${iss.message})`)];
    if (iss.code === 'invalid_type') {
      const what = iss.message.startsWith('must ') ? iss.message : `must be ${expectedName(iss.expected)}`;
      return [make(path, `${what} (got ${describe(found.value)})`)];
    }
  }
  return [make(path, iss.message)];
}

/** Our wording for zod's expected types, for the few schemas without their own message. */
function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping (key: value)';
    case 'array':
      return 'a list';
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

function lookup(data: unknown, path: readonly Segment[]): { missing: boolean; value: unknown } {
  let node: unknown = data;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
    else if (isRecord(node) && Object.hasOwn(node, String(seg))) node = node[String(seg)];
    else return { missing: true, value: undefined };
  }
  return { missing: node === undefined, value: node };
}

/** `pairs[0].features.progress.max_percent`; odd keys are quoted: `providers["Plex Home"]`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** 1-based line of the node at `path`; for a missing node, the line of its nearest parent.
 * A mapping entry points at its key's line (where a reader looks for the field). */
export function findLine(root: unknown, path: readonly Segment[], lines: LineCounter): number | undefined {
  let node: unknown = root;
  let offset = rangeStart(root);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  if (!isRecord(node)) return undefined;
  const range = node.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.i - b.i)
    .map((x) => x.issue);
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Keys whose values are secrets in any section: never echoed, and blanked from messages.
 * Provider modules add their own (`ProviderModule.secretKeys`). */
export const SECRET_KEYS: readonly string[] = ['token', 'api_key', 'password', 'client_secret', 'client_id'];

/** Token values written literally in the file, found without parsing it (so they can be blanked
 * even from YAML syntax errors). */
export function scanSecrets(text: string, secretKeys: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const keys = [...secretKeys].join('|');
  const pattern = new RegExp(`(?:^|[\\s{,])(?:${keys})\\s*:[ \\t]*(?:"([^"\\n]*)"|'([^'\\n]*)'|([^\\s,}#][^,}#\\n]*))`, 'gm');
  for (const m of text.matchAll(pattern)) {
    const value = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (value.length >= 4 && !value.includes('${')) found.add(value);
  }
  return found;
}

export function collectSecrets(value: unknown, secretKeys: ReadonlySet<string>, into: Set<string>, key?: string): void {
  if (typeof value === 'string') {
    if (key !== undefined && secretKeys.has(key) && value.trim().length >= 4) into.add(value.trim());
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, secretKeys, into);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, secretKeys, into, k);
  }
}

/** Last line of defence: blank any secret that reached a message. */
export function redact(issues: ConfigIssue[], secrets: Set<string>): ConfigIssue[] {
  if (secrets.size === 0) return issues;
  return issues.map((i) => {
    let message = i.message;
    let path = i.path;
    for (const s of secrets) {
      message = message.split(s).join('***');
      path = path.split(s).join('***');
    }
    return { ...i, message, path };
  });
}
