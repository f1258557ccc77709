// Fault injection for /__emulator/faults, the same rules for every emulator kind: latency for
// every request, and rules that make matching requests fail (status), drop the connection
// (reset), cut the body short (truncate) or answer 200 with an HTML page instead of the expected
// JSON/XML (nonJson). What a status or nonJson reply looks like is up to each kind. Two optional
// fields make ambiguous writes: `afterApply` lets the server act on the request before a reset or
// status rule shapes the reply (the write landed, the client cannot tell), and `delayMs` holds the
// reply back (longer than the client's timeout: a reply that never comes in time). The fault
// suite (test/faults/) adds: a `Retry-After` on a status reply (429 storms), a body sent only
// after a delay (slowBodyMs: the headers arrive, then nothing for longer than a client waits),
// and half a body in a cleanly ended reply (halfBody: truncated JSON/XML, no reset).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { writeReply, type Reply } from './http.ts';

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
    /** How many matching requests to let through untouched before faulting (e.g. the reads before a write). */
    skip: z.number().int().nonnegative().optional(),
    reset: z.literal(true).optional(),
    truncate: z.literal(true).optional(),
    nonJson: z.literal(true).optional(),
    /** With reset or status: the server handles the request (a write lands) before the fault shapes the reply. */
    afterApply: z.literal(true).optional(),
    /** Hold the reply (or the reset) back this long; on its own the request is handled at once and only the reply is late. */
    delayMs: z.number().int().positive().optional(),
    /** Seconds, sent as `Retry-After` with a `status` reply (e.g. 429). */
    retryAfter: z.number().int().nonnegative().optional(),
    /** The real reply, but its body only after this many milliseconds (headers at once). */
    slowBodyMs: z.number().int().positive().optional(),
    /** The real reply cut to half its body, with a matching Content-Length: truncated JSON/XML. */
    halfBody: z.literal(true).optional(),
  })
  .refine(
    (rule) =>
      rule.status !== undefined || rule.reset || rule.truncate || rule.nonJson || rule.delayMs !== undefined || rule.slowBodyMs !== undefined || rule.halfBody,
    { message: 'a fault rule needs one of status, reset, truncate, nonJson, delayMs, slowBodyMs, halfBody' },
  );

const faultConfigSchema = z.strictObject({
  latencyMs: z.number().int().nonnegative().optional(),
  rules: z.array(ruleSchema).default([]),
});

export type FaultRule = z.output<typeof ruleSchema>;
export type FaultConfig = z.output<typeof faultConfigSchema>;
/** What POST /__emulator/faults takes (counts and rules optional). */
export type FaultConfigInput = z.input<typeof faultConfigSchema>;
export type FaultKind = 'status' | 'reset' | 'truncate' | 'nonJson' | 'delay' | 'slowBody' | 'halfBody';

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

  /** The first live rule matching the request; consumes one of its `count` (or, first, its `skip`). */
  take(method: string, path: string, params: URLSearchParams = new URLSearchParams()): FaultRule | undefined {
    const matching = this.config.rules.filter(
      (r) =>
        (r.count === undefined || r.count > 0) &&
        (r.method === undefined || r.method.toUpperCase() === method) &&
        pathMatches(r, path) &&
        Object.entries(r.query ?? {}).every(([k, v]) => params.get(k) === v),
    );
    for (const rule of matching) {
      // A rule still skipping lets this request past it (and on to the next rule).
      if (rule.skip) {
        rule.skip--;
        continue;
      }
      if (rule.count !== undefined) rule.count--;
      return rule;
    }
    return undefined;
  }
}

function faultKind(rule: FaultRule): FaultKind {
  if (rule.reset) return 'reset';
  if (rule.status !== undefined) return 'status';
  if (rule.nonJson) return 'nonJson';
  if (rule.slowBodyMs !== undefined) return 'slowBody';
  if (rule.halfBody) return 'halfBody';
  if (rule.truncate) return 'truncate';
  return 'delay';
}

/** Headers now, the body after `delayMs` (unless the client gave up and closed the socket). */
function writeSlowly(res: ServerResponse, reply: Reply, delayMs: number, head: boolean): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(body.length) });
  res.flushHeaders();
  const timer = setTimeout(() => {
    if (!res.destroyed) res.end(head ? undefined : body);
  }, delayMs);
  res.once('close', () => clearTimeout(timer));
}

/** How one emulator kind answers when a rule replaces its reply, in the style of its real server. */
export interface FaultReplies {
  /** The reply for a `status` rule. */
  status(code: number): Reply;
  /** What a `nonJson` rule sends: a 200 HTML page where JSON or XML was expected. */
  nonJson: Reply;
}

export interface FaultedAnswer<Handled> {
  /** The request log's view: the status sent (0 for a reset connection) and the rule's kind. */
  logged: { status: number; fault?: FaultKind };
  /** The handler's result, when it ran (no rule matched, or the rule only truncates). */
  handled?: Handled;
}

/**
 * Answer one request with the fault rules applied: a reset rule drops the connection, a status
 * or nonJson rule answers instead of `handle`, a truncate rule cuts the handler's reply short.
 * `afterApply` runs `handle` first even for reset and status rules (the server acted, then the
 * reply went wrong); `delayMs` sends the reply (or the reset) that much later, while the request
 * log records it at once. HEAD gets the headers only. Latency is the caller's job, before it
 * looks at the request.
 */
export function answerWithFaults<Handled extends { reply: Reply }>(
  req: IncomingMessage,
  res: ServerResponse,
  faults: Faults,
  request: { method: string; path: string; params: URLSearchParams },
  replies: FaultReplies,
  handle: () => Handled,
): FaultedAnswer<Handled> {
  const rule = faults.take(request.method, request.path, request.params);
  const fault: FaultKind | undefined = rule && faultKind(rule);
  const replaces = fault === 'reset' || fault === 'status' || fault === 'nonJson';
  const handled = !replaces || rule?.afterApply ? handle() : undefined;
  const later = (send: () => void): void => {
    if (rule?.delayMs === undefined) {
      send();
      return;
    }
    // The client may have given up by then; a reply to a closed socket goes nowhere.
    setTimeout(() => {
      if (!res.destroyed) send();
    }, rule.delayMs).unref();
  };
  if (fault === 'reset') {
    later(() => req.socket.destroy());
    return { logged: { status: 0, fault }, ...(handled ? { handled } : {}) };
  }
  let reply: Reply;
  if (fault === 'status') {
    reply = replies.status(rule!.status!);
    if (rule!.retryAfter !== undefined) reply = { ...reply, headers: { ...reply.headers, 'Retry-After': String(rule!.retryAfter) } };
  } else if (fault === 'nonJson') reply = replies.nonJson;
  else reply = handled!.reply;
  const head = request.method === 'HEAD';
  if (fault === 'halfBody') reply = { ...reply, body: reply.body.slice(0, Math.floor(reply.body.length / 2)) };
  const sent = reply;
  const slowBodyMs = rule?.slowBodyMs;
  later(() => (slowBodyMs !== undefined ? writeSlowly(res, sent, slowBodyMs, head) : writeReply(res, sent, { head, truncate: fault === 'truncate' })));
  return { logged: { status: reply.status, ...(fault ? { fault } : {}) }, ...(handled ? { handled } : {}) };
}
