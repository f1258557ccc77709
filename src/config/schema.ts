// The schema of playhead.yaml. Its provider and server entries come from the registered provider
// modules (each kind brings its own schema), so it is built for the kinds registered when a file
// is parsed.
import { Cron } from 'croner';
import { z } from 'zod';
import { DEFAULT_PROGRESS_SETTINGS, FINISH_MODES, type PairConfig, type PairSchedule, type ProgressSettings } from '../core/pair.ts';
import type { KindSchema, ProviderModule } from '../providers/module.ts';
import { bool, isRecord, nameSchema, numberIn, strict } from './fields.ts';
import { DEFAULT_STATE_PATH, LOG_LEVELS } from './types.ts';

export const PROVIDERS_WHAT = 'must be a mapping of provider name to its settings';
export const PAIRS_WHAT = 'must be a list of pairs';
export const SERVERS_WHAT = 'must be a mapping of server name to its connection settings';
export const USERS_WHAT = 'must be a mapping of user name to their accounts, by server';
const USER_WHAT = "must be a mapping of server name to this user's account there";
export const SYNC_WHAT = 'must be a list of server pairs (source and target)';

/** One entry by its `kind`, with our message for a missing or unknown kind. */
function byKind<Out>(schemas: KindSchema<Out>[], kinds: string[], notMapping: string) {
  const [first, ...rest] = schemas;
  if (first === undefined) return z.never({ error: `is not possible: no provider kinds are registered` });
  return z.discriminatedUnion('kind', [first, ...rest], {
    error: (iss) => {
      // zod types this callback for union issues only, but a non-mapping value reports here too.
      const code: string = iss.code;
      if (code === 'invalid_type') return notMapping;
      if (code !== 'invalid_union') return undefined;
      return kindMessage(iss.input, kinds);
    },
  });
}

function kindMessage(input: unknown, kinds: string[]): string {
  const supported = `supported: ${kinds.join(', ')}`;
  const kind = isRecord(input) ? input.kind : undefined;
  if (kind === undefined) return `is required (${supported})`;
  if (typeof kind !== 'string') return `must be a provider kind (${supported})`;
  const shown = JSON.stringify(kind.length > 40 ? `${kind.slice(0, 40)}…` : kind);
  return `unknown provider kind ${shown} (${supported})`;
}

/** A `providers:` entry, by kind. */
export function providerSchemaOf(modules: ProviderModule[]) {
  return byKind(
    modules.map((m) => m.configSchema),
    modules.map((m) => m.kind),
    'must be a mapping of provider settings (kind, url, token, …)',
  );
}

/** A `servers:` entry: a provider's settings without whose account it is (kinds with `users` support). */
function serverSchemaOf(modules: ProviderModule[]) {
  const withUsers = modules.flatMap((m) => (m.users ? [{ kind: m.kind, schema: m.users.serverSchema }] : []));
  return byKind(
    withUsers.map((m) => m.schema),
    withUsers.map((m) => m.kind),
    'must be a mapping of server settings (kind, url, …)',
  );
}

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
    finish: z.enum(FINISH_MODES, { error: `must be one of: ${FINISH_MODES.join(', ')}` }).default(D.finish),
    finish_lookback_days: numberIn(1, undefined, true).default(D.finishLookbackDays),
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
    finish: p.finish,
    finishLookbackDays: p.finish_lookback_days,
  }),
);

const modeSchema = z.enum(['one-way', 'two-way'], { error: "must be 'one-way' or 'two-way'" }).default('one-way');

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SCHEDULE_WHAT = "must be a cron expression (e.g. '*/15 * * * *') or a mapping { every: 30m } (units s, m, h, d)";

/**
 * `schedule:` of a pair, for `playhead serve`: a cron expression (checked here with the same
 * parser the scheduler uses, so a typo fails at load, not at the first tick) or `{ every: 30m }`.
 */
const scheduleSchema = z.unknown().transform((raw, ctx): PairSchedule => {
  if (typeof raw === 'string') {
    try {
      new Cron(raw.trim(), { paused: true });
      return { cron: raw.trim() };
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not a valid cron expression: ${err instanceof Error ? err.message : String(err)} (${SCHEDULE_WHAT})` });
      return z.NEVER;
    }
  }
  if (isRecord(raw) && Object.keys(raw).length === 1 && 'every' in raw) {
    const match = /^(\d+)\s*([smhd])$/.exec(String(raw.every).trim());
    const everyMs = match ? Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0) : 0;
    if (everyMs >= 1_000) return { everyMs };
    ctx.addIssue({ code: 'custom', message: `every: must be a whole number of s, m, h or d, at least 1s (got ${JSON.stringify(raw.every)})` });
    return z.NEVER;
  }
  ctx.addIssue({ code: 'custom', message: SCHEDULE_WHAT });
  return z.NEVER;
});

/** `settle_seconds:` (a pair's, or the file's default): how long a paused item waits before serve syncs it. */
const settleSchema = z
  .number({ error: 'must be a number of seconds, e.g. 20' })
  .min(0, { error: 'must be 0 or more seconds' })
  .max(3600, { error: 'must be at most 3600 seconds' });

export function defaultPairName(source: string, target: string): string {
  return `${source}-to-${target}`;
}

/** A `pairs:` entry (between providers) or a `sync:` entry (between servers, expanded per user). */
function pairSchemaOf(what: 'provider' | 'server') {
  return strict(
    {
      name: nameSchema.optional(),
      source: z.string({ error: `must be the name of a ${what}` }),
      target: z.string({ error: `must be the name of a ${what}` }),
      mode: modeSchema,
      features: strict({ progress: progressSchema.prefault({}) }, 'a mapping of features (progress)').prefault({}),
      schedule: scheduleSchema.optional(),
      settle_seconds: settleSchema.optional(),
    },
    'a mapping with source and target',
  ).transform(
    (p): PairConfig => ({
      name: p.name ?? defaultPairName(p.source, p.target),
      source: p.source,
      target: p.target,
      mode: p.mode,
      features: { progress: p.features.progress },
      ...(p.schedule ? { schedule: p.schedule } : {}),
      ...(p.settle_seconds !== undefined ? { settleSeconds: p.settle_seconds } : {}),
    }),
  );
}

/** The whole file, for these provider kinds. */
export function configSchemaOf(modules: ProviderModule[]) {
  return strict(
    {
      // Both are required unless `servers:`/`users:`/`sync:` are used (checked in checkSections).
      providers: z
        .record(z.string(), providerSchemaOf(modules), { error: PROVIDERS_WHAT })
        .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one provider' })
        .optional(),
      pairs: z.array(pairSchemaOf('provider'), { error: PAIRS_WHAT }).min(1, { error: 'must list at least one pair (source and target)' }).optional(),
      servers: z
        .record(z.string(), serverSchemaOf(modules), { error: SERVERS_WHAT })
        .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one server' })
        .optional(),
      // Each user's entries depend on their server's kind: checkUsers validates them.
      users: z
        .record(z.string(), z.record(z.string(), z.unknown(), { error: USER_WHAT }), { error: USERS_WHAT })
        .refine((r) => Object.keys(r).length > 0, { error: 'must name at least one user' })
        .optional(),
      sync: z.array(pairSchemaOf('server'), { error: SYNC_WHAT }).min(1, { error: 'must list at least one pair of servers (source and target)' }).optional(),
      state: strict(
        { path: z.string({ error: 'must be a file path' }).trim().min(1, { error: 'must not be empty' }).default(DEFAULT_STATE_PATH) },
        'a mapping (path)',
      ).prefault({}),
      settle_seconds: settleSchema.optional(),
      log_level: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(', ')}` }).optional(),
    },
    'a mapping with providers and pairs',
  );
}

export type ParsedConfig = z.output<ReturnType<typeof configSchemaOf>>;
