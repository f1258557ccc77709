// Fault injection for /__emulator/faults: latency for every request, and rules that make
// matching requests fail (status), drop the connection (reset), cut the body short (truncate)
// or answer 200 with an HTML page instead of the expected JSON/XML (nonJson).
import { z } from 'zod';

const ruleSchema = z
  .strictObject({
    /** A path prefix, or a regular expression when it starts with "^". */
    path: z.string().optional(),
    method: z.string().optional(),
    /** Query parameters that must all be present with these values (e.g. one ratingKey). */
    query: z.record(z.string(), z.string()).optional(),
    status: z.number().int().min(100).max(599).optional(),
    /** How many matching requests to fault; unlimited when absent. */
    count: z.number().int().nonnegative().optional(),
    reset: z.literal(true).optional(),
    truncate: z.literal(true).optional(),
    nonJson: z.literal(true).optional(),
  })
  .refine((rule) => rule.status !== undefined || rule.reset || rule.truncate || rule.nonJson, {
    message: 'a fault rule needs one of status, reset, truncate, nonJson',
  });

export const faultConfigSchema = z.strictObject({
  latencyMs: z.number().int().nonnegative().optional(),
  rules: z.array(ruleSchema).default([]),
});

export type FaultRule = z.output<typeof ruleSchema>;
export type FaultConfig = z.output<typeof faultConfigSchema>;
export type FaultKind = 'status' | 'reset' | 'truncate' | 'nonJson';

export const NON_JSON_BODY = '<html><head><title>Plex</title></head><body><h1>Plex Media Server</h1><p>Please sign in.</p></body></html>';

function pathMatches(rule: FaultRule, path: string): boolean {
  if (rule.path === undefined) return true;
  if (rule.path.startsWith('^')) return new RegExp(rule.path).test(path);
  return path.startsWith(rule.path);
}

export class Faults {
  config: FaultConfig = { rules: [] };

  set(raw: unknown): FaultConfig {
    const parsed = faultConfigSchema.safeParse(raw);
    if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
    for (const rule of parsed.data.rules) {
      if (rule.path?.startsWith('^')) new RegExp(rule.path); // fail now on a bad regex, not per request
    }
    this.config = parsed.data;
    return this.config;
  }

  clear(): void {
    this.config = { rules: [] };
  }

  get latencyMs(): number {
    return this.config.latencyMs ?? 0;
  }

  /** The first live rule matching the request; consumes one of its `count`. */
  take(method: string, path: string, params: URLSearchParams = new URLSearchParams()): FaultRule | undefined {
    const rule = this.config.rules.find(
      (r) =>
        (r.count === undefined || r.count > 0) &&
        (r.method === undefined || r.method.toUpperCase() === method) &&
        pathMatches(r, path) &&
        Object.entries(r.query ?? {}).every(([k, v]) => params.get(k) === v),
    );
    if (rule?.count !== undefined) rule.count--;
    return rule;
  }
}

export function faultKind(rule: FaultRule): FaultKind {
  if (rule.reset) return 'reset';
  if (rule.status !== undefined) return 'status';
  if (rule.nonJson) return 'nonJson';
  return 'truncate';
}
