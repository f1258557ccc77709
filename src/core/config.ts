// playhead.yaml: the schema, `${VAR}` interpolation, environment overrides, and error messages
// that name the file, the line, the field and what is allowed there.
//
// `parseConfig` is pure (text and environment in, Config out). `loadConfig` only adds reading the
// file. No message ever contains a token: values are described by type ("got text"), never
// echoed, and a last pass blanks any token value that might still slip into a message.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_PROGRESS_SETTINGS } from './planner.ts';
import type { ProgressSettings } from './planner.ts';

// ---------------------------------------------------------------------------------------------
// Output types (camelCase)

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings every media server connection has. */
export interface ConnectionConfig {
  /** Per-request timeout (yaml `timeout_seconds`, default 15). */
  timeoutMs: number;
  /** Retries after a failed request (default 3). */
  retries: number;
  /** Client identifier sent to the server (Plex `X-Plex-Client-Identifier`, Jellyfin/Emby
   * `DeviceId`); one per installation when absent. */
  clientId?: string;
  /** Writes in flight at once to this server (yaml `max_concurrent_writes`, default 4). */
  maxConcurrentWrites: number;
  /** Where this server marks an item watched (yaml `completion_percent`; the kind's default when absent). */
  completionPercent?: number;
}

export interface PlexProviderConfig extends ConnectionConfig {
  kind: 'plex';
  /** http(s) base URL without a trailing slash. */
  url: string;
  token: string;
  /** Library section ids to read; all libraries when absent. */
  libraries?: string[];
}

/** Jellyfin and Emby share one client (the MediaBrowser API) and one config shape. */
export interface MediaBrowserProviderConfig extends ConnectionConfig {
  kind: 'jellyfin' | 'emby';
  /** http(s) base URL without a trailing slash (for Emby, with or without `/emby`). */
  url: string;
  /** A user's access token, or a server API key (then `user` says whose positions to sync). */
  token: string;
  /** User name or id; required with an API key, checked against the token's user otherwise. */
  user?: string;
  /** Library (view) ids to read; all movie and show libraries when absent. */
  libraries?: string[];
}

export interface TraktProviderConfig {
  kind: 'trakt';
  /** Your Trakt app's client id and secret (trakt.tv/oauth/applications). */
  clientId: string;
  clientSecret: string;
  /** API base, default https://api.trakt.tv. */
  url: string;
  /** OAuth base for the device flow and refresh, default https://api.trakt.tv. */
  authUrl: string;
  timeoutMs: number;
  retries: number;
  /** Writes per second Trakt allows a user (1). */
  writesPerSecond: number;
  /** Where a stop would mark the item watched (80 by default). */
  completionPercent?: number;
}

/** One entry of `providers:`, by `kind`. */
export type ProviderConfig = PlexProviderConfig | MediaBrowserProviderConfig | TraktProviderConfig;
export type ProviderKind = ProviderConfig['kind'];

export interface PairConfig {
  name: string;
  source: string;
  target: string;
  /** `two-way`: source and target are peers; whichever moved last is written to the other. */
  mode: 'one-way' | 'two-way';
  features: { progress: ProgressSettings };
}

/** What `users:` gave one user: their providers (`<server>@<user>`) and pairs (`<pair>@<user>`). */
export interface UserConfig {
  providers: string[];
  pairs: string[];
}

export interface Config {
  /** `providers:` plus the providers `users:` expands to. */
  providers: Record<string, ProviderConfig>;
  /** `pairs:` plus the pairs `sync:` expands to, per user. */
  pairs: PairConfig[];
  state: { path: string };
  logLevel: LogLevel;
  /** Per user, when the file has `users:`. */
  users?: Record<string, UserConfig>;
  /** Things worth a debug-level log line, not errors (e.g. a user with no account on a synced server). */
  notes?: string[];
}

export const DEFAULT_CONFIG_FILE = 'playhead.yaml';
export const DEFAULT_STATE_PATH = './playhead.db';

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
export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------
// Schema

type Segment = string | number;

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_RULE = 'lower-case letters, digits, "-" and "_", starting with a letter or digit';
/** Keys whose values are secrets: never echoed, and blanked from messages. */
const SECRET_KEYS = new Set(['token', 'api_key', 'password', 'client_secret', 'client_id']);
const SUPPORTED_KINDS = ['plex', 'jellyfin', 'emby', 'trakt'] as const;
/** Marks our own unknown-key message so the issue mapper can list the allowed keys. */
const ALLOWED_MARK = 'allowed keys: ';

/** An object that rejects unknown keys (typos must surface, not be ignored). */
function strict<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `${ALLOWED_MARK}${keys.join(', ')}`;
      if (iss.code === 'invalid_type') return `must be ${what}`;
      return undefined;
    },
  });
}

function bool() {
  return z.boolean({ error: 'must be true or false' });
}

/** A number in [min, max] (whole when `integer`), with the allowed range in the message. */
function numberIn(min: number, max: number | undefined, integer: boolean) {
  const range =
    max === undefined ? `${integer ? 'a whole number ' : ''}≥ ${min}` : `${integer ? 'a whole number ' : ''}${min}..${max}`;
  return z
    .number({ error: `must be ${range}` })
    .refine((v) => (!integer || Number.isInteger(v)) && v >= min && (max === undefined || v <= max), {
      error: (iss) => `must be ${range} (got ${String(iss.input)})`,
    });
}

const nameSchema = z
  .string({ error: `must be a name: ${NAME_RULE}` })
  .regex(NAME_PATTERN, { error: `must be a name: ${NAME_RULE}` });

const urlSchema = z.string({ error: 'must be an http:// or https:// URL' }).transform((raw, ctx) => {
  // The value itself is never echoed: a pasted URL may carry `?X-Plex-Token=…`.
  const text = raw.trim();
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (!/^https?:\/\//i.test(text)) return fail('must start with http:// or https://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not a valid URL (expected e.g. http://127.0.0.1:32400)');
  }
  if (url.hostname === '') return fail('has no host name (expected e.g. http://127.0.0.1:32400)');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return fail('must not contain a user name, password, query or fragment (the token goes in `token`)');
  }
  return text.replace(/\/+$/, '');
});

const libraryId = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return v.trim();
  ctx.addIssue({ code: 'custom', message: 'must be a library section id, a whole number such as 1' });
  return z.NEVER;
});

const tokenSchema = z
  .string({ error: 'must be text (quote it if it is all digits)' })
  .trim()
  .min(1, { error: 'must not be empty' });
const timeoutSchema = z
  .number({ error: 'must be a number of seconds, more than 0 and at most 600' })
  .refine((v) => v > 0 && v <= 600, {
    error: (iss) => `must be a number of seconds, more than 0 and at most 600 (got ${String(iss.input)})`,
  })
  .default(15);
/** Settings every server connection has. */
const connectionFields = {
  timeout_seconds: timeoutSchema,
  retries: numberIn(0, 10, true).default(3),
  client_id: z.string({ error: 'must be text' }).trim().min(1, { error: 'must not be empty' }).optional(),
  max_concurrent_writes: numberIn(1, 32, true).default(4),
  completion_percent: numberIn(1, 100, false).optional(),
};

function connectionConfig(p: { timeout_seconds: number; retries: number; client_id?: string | undefined; max_concurrent_writes: number; completion_percent?: number | undefined }) {
  return {
    timeoutMs: Math.round(p.timeout_seconds * 1000),
    retries: p.retries,
    maxConcurrentWrites: p.max_concurrent_writes,
    ...(p.client_id !== undefined ? { clientId: p.client_id } : {}),
    ...(p.completion_percent !== undefined ? { completionPercent: p.completion_percent } : {}),
  };
}

const plexLibraries = z
  .array(libraryId, { error: 'must be a list of library section ids, e.g. [1, 2]' })
  .min(1, { error: 'must list at least one library id, or be left out to read every library' })
  .optional();

const plexFields = {
  kind: z.literal('plex'),
  url: urlSchema,
  token: tokenSchema,
  libraries: plexLibraries,
  ...connectionFields,
};

const plexSchema = strict(plexFields, 'a mapping of Plex settings (kind, url, token, …)').transform(
  (p): PlexProviderConfig => ({
    kind: 'plex',
    url: p.url,
    token: p.token,
    ...connectionConfig(p),
    ...(p.libraries !== undefined ? { libraries: p.libraries } : {}),
  }),
);

const viewId = z.unknown().transform((v, ctx) => {
  if ((typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isInteger(v))) return String(v).trim();
  ctx.addIssue({ code: 'custom', message: 'must be a library id (text, e.g. "f137a2dd21bbc1b99aa5c0f6bf02a805")' });
  return z.NEVER;
});

const mediaBrowserUser = z.string({ error: 'must be a user name or id' }).trim().min(1, { error: 'must not be empty' }).optional();
const mediaBrowserLibraries = z
  .array(viewId, { error: 'must be a list of library ids' })
  .min(1, { error: 'must list at least one library id, or be left out to read every library' })
  .optional();

function mediaBrowserFields<K extends 'jellyfin' | 'emby'>(kind: K) {
  return {
    kind: z.literal(kind),
    url: urlSchema,
    token: tokenSchema,
    user: mediaBrowserUser,
    libraries: mediaBrowserLibraries,
    ...connectionFields,
  };
}

function kindLabel(kind: 'jellyfin' | 'emby'): string {
  return kind === 'jellyfin' ? 'Jellyfin' : 'Emby';
}

function mediaBrowserSchema<K extends 'jellyfin' | 'emby'>(kind: K) {
  return strict(mediaBrowserFields(kind), `a mapping of ${kindLabel(kind)} settings (kind, url, token, user, …)`).transform(
    (p): MediaBrowserProviderConfig => ({
      kind,
      url: p.url,
      token: p.token,
      ...connectionConfig(p),
      ...(p.user !== undefined ? { user: p.user } : {}),
      ...(p.libraries !== undefined ? { libraries: p.libraries } : {}),
    }),
  );
}

const traktFields = {
  kind: z.literal('trakt'),
  client_id: tokenSchema,
  client_secret: tokenSchema,
  url: urlSchema.default('https://api.trakt.tv'),
  auth_url: urlSchema.default('https://api.trakt.tv'),
  timeout_seconds: timeoutSchema,
  retries: numberIn(0, 10, true).default(3),
  writes_per_second: numberIn(0.1, 1, false).default(1),
  completion_percent: numberIn(1, 100, false).optional(),
};
const TRAKT_WHAT = 'a mapping of Trakt settings (kind, client_id, client_secret, …)';

const traktSchema = strict(traktFields, TRAKT_WHAT).transform(
  (p): TraktProviderConfig => ({
    kind: 'trakt',
    clientId: p.client_id,
    clientSecret: p.client_secret,
    url: p.url,
    authUrl: p.auth_url,
    timeoutMs: Math.round(p.timeout_seconds * 1000),
    retries: p.retries,
    writesPerSecond: p.writes_per_second,
    ...(p.completion_percent !== undefined ? { completionPercent: p.completion_percent } : {}),
  }),
);

const providerSchema = z.discriminatedUnion('kind', [plexSchema, mediaBrowserSchema('jellyfin'), mediaBrowserSchema('emby'), traktSchema], {
  error: (iss) => {
    // zod types this callback for union issues only, but a non-mapping value reports here too.
    const code: string = iss.code;
    if (code === 'invalid_type') return 'must be a mapping of provider settings (kind, url, token, …)';
    if (code !== 'invalid_union') return undefined;
    return kindMessage(iss.input);
  },
});

function kindMessage(input: unknown): string {
  const supported = `supported: ${SUPPORTED_KINDS.join(', ')}`;
  const kind = isRecord(input) ? input.kind : undefined;
  if (kind === undefined) return `is required (${supported})`;
  if (typeof kind !== 'string') return `must be a provider kind (${supported})`;
  const shown = JSON.stringify(kind.length > 40 ? `${kind.slice(0, 40)}…` : kind);
  return `unknown provider kind ${shown} (${supported})`;
}

// ---------------------------------------------------------------------------------------------
// Several users: `servers:`, `users:`, `sync:`
//
//   servers: connection settings every user shares (a Plex server has no token here);
//   users:   per user, per server, that user's account there (Plex: their token; Jellyfin/Emby:
//            `user` and/or their own `token`; Trakt: nothing, each signs in with `playhead auth`);
//   sync:    server pairs, run once for every user who has an account on both servers.
//
// They expand into ordinary providers named `<server>@<user>` and pairs named `<pair>@<user>`, so
// the engine sees plain providers and pairs. Written names may not contain `@`, so generated
// names never collide with `providers:`/`pairs:` entries; each user's pairs join only that user's
// own providers, and a written pair that joins two users' providers is refused.

/** Joins a server or pair name to a user name in generated names: `living-room@alice`. */
export const USER_SEPARATOR = '@';

/** `living-room` + `alice` → `living-room@alice` (a generated provider or pair name). */
export function userScopedName(name: string, user: string): string {
  return `${name}${USER_SEPARATOR}${user}`;
}

const PROVIDERS_WHAT = 'must be a mapping of provider name to its settings';
const PAIRS_WHAT = 'must be a list of pairs';
const SERVERS_WHAT = 'must be a mapping of server name to its connection settings';
const USERS_WHAT = 'must be a mapping of user name to their accounts, by server';
const USER_WHAT = "must be a mapping of server name to this user's account there";
const SYNC_WHAT = 'must be a list of server pairs (source and target)';

function without<T extends object, K extends keyof T>(shape: T, key: K): Omit<T, K> {
  const { [key]: _omitted, ...rest } = shape;
  return rest;
}

function mediaBrowserServerSchema(kind: 'jellyfin' | 'emby') {
  return strict(
    { ...without(mediaBrowserFields(kind), 'user'), token: tokenSchema.optional() },
    `a mapping of ${kindLabel(kind)} server settings (kind, url, token, …)`,
  );
}

/** A `servers:` entry: a provider's settings without whose account it is. */
const serverSchema = z.discriminatedUnion(
  'kind',
  [
    strict(without(plexFields, 'token'), 'a mapping of Plex server settings (kind, url, libraries, …)'),
    mediaBrowserServerSchema('jellyfin'),
    mediaBrowserServerSchema('emby'),
    strict(traktFields, TRAKT_WHAT),
  ],
  {
    error: (iss) => {
      const code: string = iss.code;
      if (code === 'invalid_type') return 'must be a mapping of server settings (kind, url, …)';
      if (code !== 'invalid_union') return undefined;
      return kindMessage(iss.input);
    },
  },
);

/** A user's account on a server, by the server's kind (Trakt entries are checked by hand: empty). */
const userEntrySchemas = {
  plex: strict({ token: tokenSchema, libraries: plexLibraries }, "a mapping with this user's Plex token (token, libraries)"),
  jellyfin: strict({ user: mediaBrowserUser, token: tokenSchema.optional(), libraries: mediaBrowserLibraries }, "a mapping with this user's Jellyfin account (user, token, libraries)"),
  emby: strict({ user: mediaBrowserUser, token: tokenSchema.optional(), libraries: mediaBrowserLibraries }, "a mapping with this user's Emby account (user, token, libraries)"),
} as const;

const D = DEFAULT_PROGRESS_SETTINGS;
const progressSchema = strict(
  {
    enable: bool().default(D.enable),
    add: bool().default(D.add),
    remove: bool().default(D.remove),
    min_seconds: numberIn(0, undefined, true).default(D.minSeconds),
    delta_seconds: numberIn(0, undefined, true).default(D.deltaSeconds),
    max_percent: numberIn(1, 100, false).default(D.maxPercent),
    timestamp_tolerance_seconds: numberIn(0, 300, true).default(D.toleranceSeconds),
    replay: bool().default(D.replay),
  },
  'a mapping of progress settings',
).transform(
  (p): ProgressSettings => ({
    enable: p.enable,
    add: p.add,
    remove: p.remove,
    minSeconds: p.min_seconds,
    deltaSeconds: p.delta_seconds,
    maxPercent: p.max_percent,
    toleranceSeconds: p.timestamp_tolerance_seconds,
    replay: p.replay,
  }),
);

const modeSchema = z.enum(['one-way', 'two-way'], { error: "must be 'one-way' or 'two-way'" }).default('one-way');

/** A `pairs:` entry (between providers) or a `sync:` entry (between servers, expanded per user). */
function pairSchemaOf(what: 'provider' | 'server') {
  return strict(
    {
      name: nameSchema.optional(),
      source: z.string({ error: `must be the name of a ${what}` }),
      target: z.string({ error: `must be the name of a ${what}` }),
      mode: modeSchema,
      features: strict({ progress: progressSchema.prefault({}) }, 'a mapping of features (progress)').prefault({}),
    },
    'a mapping with source and target',
  ).transform(
    (p): PairConfig => ({
      name: p.name ?? defaultPairName(p.source, p.target),
      source: p.source,
      target: p.target,
      mode: p.mode,
      features: { progress: p.features.progress },
    }),
  );
}
const pairSchema = pairSchemaOf('provider');

const configSchema = strict(
  {
    // Both are required unless `servers:`/`users:`/`sync:` are used (checked in checkSections).
    providers: z
      .record(z.string(), providerSchema, { error: PROVIDERS_WHAT })
      .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one provider' })
      .optional(),
    pairs: z
      .array(pairSchema, { error: PAIRS_WHAT })
      .min(1, { error: 'must list at least one pair (source and target)' })
      .optional(),
    servers: z
      .record(z.string(), serverSchema, { error: SERVERS_WHAT })
      .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one server' })
      .optional(),
    // Each user's entries depend on their server's kind: checkUsers validates them.
    users: z
      .record(z.string(), z.record(z.string(), z.unknown(), { error: USER_WHAT }), { error: USERS_WHAT })
      .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one user' })
      .optional(),
    sync: z
      .array(pairSchemaOf('server'), { error: SYNC_WHAT })
      .min(1, { error: 'must list at least one pair of servers (source and target)' })
      .optional(),
    state: strict(
      { path: z.string({ error: 'must be a file path' }).trim().min(1, { error: 'must not be empty' }).default(DEFAULT_STATE_PATH) },
      'a mapping (path)',
    ).prefault({}),
    log_level: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(', ')}` }).optional(),
  },
  'a mapping with providers and pairs',
);

function defaultPairName(source: string, target: string): string {
  return `${source}-to-${target}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses and validates playhead.yaml text. `file` is only used in messages; `env` supplies
 * `${VAR}` values and the `PLAYHEAD_STATE_PATH` / `PLAYHEAD_LOG_LEVEL` overrides.
 *
 * - `${NAME}` inside any string value is replaced by `env.NAME` (a missing variable is an error
 *   naming the variable and the field; `$${NAME}` keeps a literal `${NAME}`). Replaced values are
 *   text: numeric fields do not accept them.
 * - Explicit 0 is honoured everywhere (`min_seconds: 0` means no minimum).
 * - Unknown keys are errors, with the allowed keys and a guess for typos.
 * - Relative `state.path` values are returned as written (relative to the working directory).
 * - `servers:` + `users:` + `sync:` expand into providers `<server>@<user>` and pairs
 *   `<pair>@<user>` (see "Several users" above); `Config.users` lists them per user.
 * Throws `ConfigError` with every problem found.
 */
export function parseConfig(text: string, file: string, env: Record<string, string | undefined>): Config {
  const refs = protectReferences(text);
  const secrets = scanSecrets(text);
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
    if (more > 0) shown.push({ path: '', line: shown[shown.length - 1]?.line ?? 1, message: `and ${more} more YAML error${more === 1 ? '' : 's'}, probably caused by the ones above` });
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
  const data = interpolate(raw, [], refs, env, (path, message) =>
    issues.push({ path: formatPath(path), line: lineOf(path), message }),
  );
  collectSecrets(data, secrets);
  // Keys in the wrong place get a message saying where they belong, instead of "unknown key".
  issues.push(...misplacedKeys(data, lineOf));

  const result = configSchema.safeParse(data);
  if (!result.success) {
    // A field whose variable is missing already has its issue; "must not be empty" would be noise.
    const reported = new Set(issues.map((i) => i.path));
    for (const iss of result.error.issues) {
      for (const issue of toIssues(iss, data, lineOf)) if (!reported.has(issue.path)) issues.push(issue);
    }
  }
  issues.push(...checkSections(data, lineOf));
  const users = checkUsers(data, lineOf, new Set(issues.map((i) => i.path)));
  issues.push(...users.issues);
  issues.push(...crossCheck(data, lineOf, users.owners));

  const overrides = envOverrides(env, issues);
  if (issues.length > 0 || !result.success) throw new ConfigError(file, redact(sortIssues(issues), secrets));

  const c = result.data;
  const expanded = expandUsers(c, users.entries, isRecord(data) && isRecord(data.servers) ? data.servers : {}, lineOf);
  if (expanded.issues.length > 0) throw new ConfigError(file, redact(sortIssues(expanded.issues), secrets));
  return {
    providers: expanded.providers,
    pairs: expanded.pairs,
    state: { path: overrides.statePath ?? c.state.path },
    logLevel: overrides.logLevel ?? c.log_level ?? 'warn',
    ...(expanded.users ? { users: expanded.users } : {}),
    ...(expanded.notes.length > 0 ? { notes: expanded.notes } : {}),
  };
}

const MAX_SYNTAX_ERRORS = 3;

/** The parser's message without any quoted source text (which could be a token). */
function syntaxMessage(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.replace(/:\s*(["'`]).*$/, '').replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Reads and parses a config file (`process.env` by default). A missing file is a ConfigError
 * that says how to create one.
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
  return parseConfig(text, file, env);
}

function envOverrides(
  env: Record<string, string | undefined>,
  issues: ConfigIssue[],
): { statePath?: string; logLevel?: LogLevel } {
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

// ---------------------------------------------------------------------------------------------
// Interpolation

// `${NAME}` is replaced before the YAML is parsed by a plain placeholder word, and the
// placeholder by the variable's value after parsing. Replacing the text directly would break
// the YAML in two ways: `${…}` braces are flow-mapping syntax (so `{ token: ${PLEX_TOKEN} }` is
// not valid YAML as written), and a value containing `: ` or `#` would change the document's
// structure. Placeholders keep every line where it was, so line numbers stay right.

const REFERENCE = /\$(\$)?\{([^}\n]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Reference {
  /** What the file said, e.g. `${PLEX_TOKEN}`. */
  original: string;
  name: string;
  /** `$${NAME}`: the literal text `${NAME}`, not a reference. */
  literal: boolean;
}

interface ProtectedText {
  text: string;
  refs: Reference[];
  placeholder: RegExp;
  /** Puts the original `${…}` text back (for messages and keys). */
  restore(s: string): string;
}

function protectReferences(source: string): ProtectedText {
  let k = 0;
  while (source.includes(`phvar${k}q`)) k++;
  const marker = `phvar${k}q`;
  const refs: Reference[] = [];
  const text = source.replace(REFERENCE, (whole: string, escaped: string | undefined, name: string) => {
    refs.push({ original: escaped === undefined ? whole : whole.slice(1), name, literal: escaped !== undefined });
    return `${marker}${refs.length - 1}z`;
  });
  const placeholder = new RegExp(`${marker}(\\d+)z`, 'g');
  const restore = (s: string) => s.replace(placeholder, (whole: string, i: string) => refs[Number(i)]?.original ?? whole);
  return { text, refs, placeholder, restore };
}

function interpolate(
  value: unknown,
  path: Segment[],
  refs: ProtectedText,
  env: Record<string, string | undefined>,
  report: (path: Segment[], message: string) => void,
  ancestors: ReadonlySet<object> = new Set(),
): unknown {
  if (typeof value === 'object' && value !== null && ancestors.has(value)) {
    // `a: &x { b: *x }`: an alias that contains itself.
    report(path, 'a YAML alias may not refer to a mapping or list that contains it');
    return undefined;
  }
  if (typeof value === 'string') {
    return value.replace(refs.placeholder, (whole: string, i: string) => {
      const ref = refs.refs[Number(i)];
      if (ref === undefined) return whole;
      if (ref.literal) return ref.original;
      if (!VAR_NAME.test(ref.name)) {
        report(path, `${ref.original} is not a valid environment variable reference (letters, digits and _ only)`);
        return '';
      }
      const v = env[ref.name];
      if (v === undefined) {
        report(path, `environment variable ${ref.name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) {
    const inner = new Set(ancestors).add(value);
    return value.map((v, i) => interpolate(v, [...path, i], refs, env, report, inner));
  }
  if (isRecord(value)) {
    const inner = new Set(ancestors).add(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = refs.restore(k);
      out[key] = interpolate(v, [...path, key], refs, env, report, inner);
    }
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Cross checks (relations between fields, which the schema cannot see)

type LineOf = (path: readonly Segment[]) => number | undefined;

function crossCheck(data: unknown, lineOf: LineOf, owners: ReadonlyMap<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: Segment[], message: string) => issues.push({ path: formatPath(path), line: lineOf(path), message });
  if (!isRecord(data)) return issues;

  const providers = isRecord(data.providers) ? Object.keys(data.providers) : undefined;
  for (const name of providers ?? []) {
    if (!NAME_PATTERN.test(name)) add(['providers', name], `provider names may use ${NAME_RULE}`);
  }
  const servers = isRecord(data.servers) ? Object.keys(data.servers) : undefined;
  for (const name of servers ?? []) {
    if (!NAME_PATTERN.test(name)) add(['servers', name], `server names may use ${NAME_RULE}`);
    else if (providers?.includes(name)) add(['servers', name], `${JSON.stringify(name)} is also the name of a provider; give the server or the provider another name`);
  }

  if (Array.isArray(data.pairs)) {
    const known = providers === undefined && servers === undefined ? undefined : [...(providers ?? []), ...owners.keys()];
    checkPairList(data.pairs, 'pairs', 'provider', known, add, (ref) => {
      if (!servers?.includes(ref)) return '';
      const mine = [...owners.keys()].filter((p) => p.startsWith(`${ref}${USER_SEPARATOR}`)).sort();
      return `; ${ref} is a server: its users' providers are ${mine.join(', ') || 'none yet'} (or pair servers under sync:)`;
    });
    data.pairs.forEach((pair: unknown, i: number) => {
      if (!isRecord(pair) || typeof pair.source !== 'string' || typeof pair.target !== 'string') return;
      const from = owners.get(pair.source);
      const to = owners.get(pair.target);
      if (from !== undefined && to !== undefined && from !== to) {
        add(['pairs', i, 'target'], `${pair.source} is ${from}'s and ${pair.target} is ${to}'s: a pair may not carry one user's progress to another user`);
      }
    });
  }
  if (Array.isArray(data.sync)) checkPairList(data.sync, 'sync', 'server', servers, add, () => '');
  return issues;
}

/** Unknown ends, a pair from something to itself, duplicate names: in `pairs:` and in `sync:`. */
function checkPairList(
  list: unknown[],
  key: 'pairs' | 'sync',
  what: 'provider' | 'server',
  known: readonly string[] | undefined,
  add: (path: Segment[], message: string) => void,
  hint: (ref: string) => string,
): void {
  const configured = known === undefined ? '' : [...known].sort().join(', ');
  const seen = new Map<string, number>();
  list.forEach((pair: unknown, i: number) => {
    if (!isRecord(pair)) return;
    const { source, target, name } = pair;
    for (const side of ['source', 'target'] as const) {
      const ref = pair[side];
      if (typeof ref !== 'string' || known === undefined || known.includes(ref)) continue;
      add([key, i, side], `unknown ${what} ${JSON.stringify(ref)} (configured: ${configured || 'none'})${hint(ref)}`);
    }
    if (typeof source === 'string' && source === target) {
      add([key, i, 'target'], `source and target are the same ${what} (${source}); a pair syncs two different ${what}s`);
    }
    const pairName =
      typeof name === 'string' ? name : typeof source === 'string' && typeof target === 'string' ? defaultPairName(source, target) : undefined;
    if (pairName === undefined) return;
    const first = seen.get(pairName);
    if (first === undefined) {
      seen.set(pairName, i);
      return;
    }
    const how = typeof name === 'string' ? '' : ' (the default name, from source and target)';
    add(typeof name === 'string' ? [key, i, 'name'] : [key, i], `duplicate pair name ${JSON.stringify(pairName)}${how}, also used by ${key}[${first}]; give each pair a unique name`);
  });
}

/** `providers:`+`pairs:`, or `servers:`+`users:`+`sync:` (or both): whichever is started must be complete. */
function checkSections(data: unknown, lineOf: LineOf): ConfigIssue[] {
  if (!isRecord(data)) return [];
  const issues: ConfigIssue[] = [];
  const missing = (key: string, message: string) => {
    if (data[key] === undefined) issues.push({ path: key, line: lineOf([key]), message });
  };
  if (data.servers === undefined && data.users === undefined && data.sync === undefined) {
    missing('providers', `is required (${PROVIDERS_WHAT})`);
    missing('pairs', `is required (${PAIRS_WHAT})`);
  } else {
    missing('servers', `is required with users: and sync: (${SERVERS_WHAT})`);
    missing('users', `is required with servers: and sync: (${USERS_WHAT})`);
    missing('sync', `is required with servers: and users: (${SYNC_WHAT})`);
  }
  return issues;
}

/** A Plex token under `servers:` (it is one user's) and `user:` under a server (it is per user). */
function misplacedKeys(data: unknown, lineOf: LineOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isRecord(data) || !isRecord(data.servers)) return issues;
  for (const [name, server] of Object.entries(data.servers)) {
    if (!isRecord(server)) continue;
    const add = (key: string, message: string) => issues.push({ path: formatPath(['servers', name, key]), line: lineOf(['servers', name, key]), message });
    if (server.kind === 'plex' && Object.hasOwn(server, 'token')) {
      add('token', `a Plex token is one user's: give each user theirs under users.<user>.${name}.token`);
    }
    if ((server.kind === 'jellyfin' || server.kind === 'emby') && Object.hasOwn(server, 'user')) {
      add('user', `users are chosen per user: put \`user:\` under users.<user>.${name}`);
    }
  }
  return issues;
}

interface UserScan {
  issues: ConfigIssue[];
  /** user → server → that user's (valid) entry, as written. */
  entries: Map<string, Map<string, Record<string, unknown>>>;
  /** Generated provider name (`server@user`) → user, for every entry naming a known server. */
  owners: Map<string, string>;
}

/**
 * Checks each `users.<user>.<server>` entry against its server's kind, and that no two users
 * share an account (a shared Plex token, or the same Jellyfin/Emby user on one server, would
 * carry one user's progress to the other).
 */
function checkUsers(data: unknown, lineOf: LineOf, reported: ReadonlySet<string>): UserScan {
  const scan: UserScan = { issues: [], entries: new Map(), owners: new Map() };
  if (!isRecord(data) || !isRecord(data.users)) return scan;
  const seenPaths = new Set(reported);
  const report: Reporter = {
    issue: (issue) => {
      if (seenPaths.has(issue.path)) return;
      seenPaths.add(issue.path);
      scan.issues.push(issue);
    },
    add: (path, message) => report.issue({ path: formatPath(path), line: lineOf(path), message }),
  };
  const add = report.add;
  const servers = isRecord(data.servers) ? data.servers : {};
  const serverNames = Object.keys(servers).sort();
  const plexTokens = new Map<string, { user: string; server: string }>();
  const accounts = new Map<string, { user: string; path: Segment[] }>();

  for (const [user, entries] of Object.entries(data.users)) {
    if (!NAME_PATTERN.test(user)) add(['users', user], `user names may use ${NAME_RULE}`);
    if (!isRecord(entries)) continue; // the schema says what it must be
    const valid = new Map<string, Record<string, unknown>>();
    for (const [server, value] of Object.entries(entries)) {
      const path: Segment[] = ['users', user, server];
      const raw = servers[server];
      if (raw === undefined) {
        const guess = closest(server, serverNames);
        add(path, `unknown server ${JSON.stringify(server)} (configured under servers: ${serverNames.join(', ') || 'none'})${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`);
        continue;
      }
      scan.owners.set(userScopedName(server, user), user);
      const kind = isRecord(raw) ? SUPPORTED_KINDS.find((k) => k === raw.kind) : undefined;
      if (kind === undefined) continue; // the server's own issue says why
      const before = scan.issues.length;
      const entry = checkUserEntry(kind, value, { path, user, server, serverHasToken: isRecord(raw) && raw.token !== undefined }, report, data, lineOf);
      if (entry === undefined || scan.issues.length > before) continue;

      // Two users on one account would cross.
      const token = typeof entry.token === 'string' ? entry.token.trim() : '';
      if (kind === 'plex' && token !== '') {
        const first = plexTokens.get(token);
        if (first !== undefined && first.user !== user) {
          add([...path, 'token'], `the same token as users.${first.user}.${first.server}.token: one Plex token is one Plex account, so ${first.user}'s and ${user}'s progress would cross; give each user their own token`);
          continue;
        }
        plexTokens.set(token, { user, server });
      }
      if (kind === 'jellyfin' || kind === 'emby') {
        const name = typeof entry.user === 'string' ? entry.user.trim().toLowerCase().replace(/-/g, '') : '';
        const field = name !== '' ? 'user' : 'token';
        const account = name !== '' ? `${server}\nuser\n${name}` : `${server}\ntoken\n${token}`;
        const first = accounts.get(account);
        if (first !== undefined && first.user !== user) {
          add([...path, field], `the same ${kindLabel(kind)} ${field === 'user' ? 'user' : 'token'} as ${formatPath(first.path)}: ${first.user}'s and ${user}'s progress would cross; give each user their own account`);
          continue;
        }
        accounts.set(account, { user, path: [...path, field] });
      }
      valid.set(server, entry);
    }
    scan.entries.set(user, valid);
  }
  return scan;
}

interface Reporter {
  issue(issue: ConfigIssue): void;
  add(path: Segment[], message: string): void;
}

/** One user's entry for one server; undefined (with issues) when it is not usable. */
function checkUserEntry(
  kind: ProviderKind,
  value: unknown,
  where: { path: Segment[]; user: string; server: string; serverHasToken: boolean },
  report: Reporter,
  data: unknown,
  lineOf: LineOf,
): Record<string, unknown> | undefined {
  const { path, user, server, serverHasToken } = where;
  const add = report.add;
  if (kind === 'trakt') {
    const signIn = `each user signs in to Trakt with \`playhead auth ${userScopedName(server, user)}\``;
    if (value === null || (isRecord(value) && Object.keys(value).length === 0)) return {};
    if (!isRecord(value)) {
      add(path, `must be an empty mapping ({}): ${signIn} (got ${describe(value)})`);
      return undefined;
    }
    for (const key of Object.keys(value)) add([...path, key], `a Trakt entry takes no settings (leave it empty: {}); ${signIn}`);
    return undefined;
  }
  if (!isRecord(value)) {
    const example = kind === 'plex' ? '{ token: "${PLEX_TOKEN_' + user.toUpperCase().replace(/[^A-Z0-9]/g, '_') + '}" }' : `{ user: ${user} }`;
    add(path, `must be a mapping with this user's ${kind === 'plex' ? 'Plex token' : `${kindLabel(kind)} account`}, e.g. ${example} (got ${describe(value)})`);
    return undefined;
  }
  const has = (key: string) => value[key] !== undefined;
  if (kind === 'plex' && !has('token')) {
    add([...path, 'token'], `is required: ${user}'s own Plex token (X-Plex-Token) for ${server}; one token is one Plex account`);
  }
  if (kind === 'emby' && !has('user')) {
    add([...path, 'user'], `is required: Emby cannot tell whose token it is; give ${user}'s Emby user name or id`);
  }
  if (kind === 'jellyfin' && !has('user') && !has('token')) {
    add(path, `needs \`user\` (${user}'s Jellyfin user name or id, acted for with the API key in servers.${server}.token) or \`token\` (${user}'s own access token)`);
  } else if (kind !== 'plex' && !has('token') && !serverHasToken) {
    add([...path, 'token'], `is required: servers.${server} has no token (an API key) to act for ${user}; set one there, or give ${user}'s own access token here`);
  }
  const parsed = userEntrySchemas[kind].safeParse(value);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      for (const issue of toIssues({ ...iss, path: [...path, ...iss.path] }, data, lineOf)) report.issue(issue);
    }
    return undefined;
  }
  return value;
}

interface Expanded {
  providers: Record<string, ProviderConfig>;
  pairs: PairConfig[];
  users?: Record<string, UserConfig>;
  notes: string[];
  issues: ConfigIssue[];
}

type ParsedConfig = z.output<typeof configSchema>;

/** `users:` × `sync:` → providers and pairs, after everything checked out. */
function expandUsers(
  c: ParsedConfig,
  entries: ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>,
  servers: Record<string, unknown>,
  lineOf: LineOf,
): Expanded {
  const out: Expanded = { providers: { ...c.providers }, pairs: [...(c.pairs ?? [])], notes: [], issues: [] };
  if (c.users === undefined) return out;
  const users: Record<string, UserConfig> = {};
  const sync = c.sync ?? [];
  const written = new Set(out.pairs.flatMap((p) => [p.source, p.target]));
  for (const user of Object.keys(c.users)) {
    const mine: UserConfig = { providers: [], pairs: [] };
    const accounts = entries.get(user) ?? new Map<string, Record<string, unknown>>();
    for (const [server, entry] of accounts) {
      const name = userScopedName(server, user);
      const raw = servers[server];
      const parsed = providerSchema.safeParse({ ...(isRecord(raw) ? raw : {}), ...entry });
      if (!parsed.success) {
        // Not expected: the server and the entry were each checked. Say where, without values.
        const path: Segment[] = ['users', user, server];
        out.issues.push({ path: formatPath(path), line: lineOf(path), message: `cannot be combined with servers.${server}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
        continue;
      }
      out.providers[name] = parsed.data;
      mine.providers.push(name);
    }
    sync.forEach((pair, i) => {
      const missing = [pair.source, pair.target].filter((server) => !accounts.has(server));
      if (missing.length > 0) {
        out.notes.push(`${user} has no account on ${missing.join(' or ')}, so sync[${i}] (${pair.source} → ${pair.target}) does not run for ${user}`);
        return;
      }
      const expanded: PairConfig = {
        name: userScopedName(pair.name, user),
        source: userScopedName(pair.source, user),
        target: userScopedName(pair.target, user),
        mode: pair.mode,
        features: { progress: { ...pair.features.progress } },
      };
      out.pairs.push(expanded);
      mine.pairs.push(expanded.name);
    });
    for (const server of accounts.keys()) {
      const used = sync.some((p) => p.source === server || p.target === server) || written.has(userScopedName(server, user));
      if (!used) out.notes.push(`${user}'s account on ${server} is in no sync pair`);
    }
    if (accounts.size === 0) out.notes.push(`${user} has no accounts, so nothing runs for ${user}`);
    users[user] = mine;
  }
  out.users = users;
  if (out.pairs.length === 0) {
    out.issues.push({ path: 'sync', line: lineOf(['sync']), message: 'no user has an account on both servers of any pair here, so there is nothing to sync' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Issue formatting

type ZodIssue = z.core.$ZodIssue;

function toIssues(iss: ZodIssue, data: unknown, lineOf: (path: readonly Segment[]) => number | undefined): ConfigIssue[] {
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

/** Names a value's type for messages; never the value itself (it might be a secret). */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'true/false';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return typeof value;
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
function findLine(root: unknown, path: readonly Segment[], lines: LineCounter): number | undefined {
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

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.i - b.i)
    .map((x) => x.issue);
}

/** Token values written literally in the file, found without parsing it (so they can be blanked
 * even from YAML syntax errors). */
function scanSecrets(text: string): Set<string> {
  const found = new Set<string>();
  const keys = [...SECRET_KEYS].join('|');
  const pattern = new RegExp(`(?:^|[\\s{,])(?:${keys})\\s*:[ \\t]*(?:"([^"\\n]*)"|'([^'\\n]*)'|([^\\s,}#][^,}#\\n]*))`, 'gm');
  for (const m of text.matchAll(pattern)) {
    const value = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (value.length >= 4 && !value.includes('${')) found.add(value);
  }
  return found;
}

function collectSecrets(value: unknown, into: Set<string>, key?: string): void {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEYS.has(key) && value.trim().length >= 4) into.add(value.trim());
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, into);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, into, k);
  }
}

/** Last line of defence: blank any secret that reached a message. */
function redact(issues: ConfigIssue[], secrets: Set<string>): ConfigIssue[] {
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

/** The allowed key closest to a typo (edit distance ≤ 2), if any. */
function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
