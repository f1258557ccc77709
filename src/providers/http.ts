// HTTP for every provider: keep-alive connections, timeouts, retries with backoff on network
// errors / 5xx / 429, and errors that name the provider, the method and the URL (its secret query
// parameters blanked) and say what to do. Writes (every method but GET and HEAD) are retried only
// where the server provably did not act on them; any other failure is thrown as `ambiguous` for
// the applier to settle by re-reading.
import { channel } from 'node:diagnostics_channel';
import { Agent, request } from 'undici';
import pRetry, { AbortError } from 'p-retry';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { ProviderError } from './provider.ts';

export interface HttpOptions {
  /** Provider instance name, used in every error message. */
  provider: string;
  baseUrl: string;
  /** Headers sent with every request (auth goes here, never in the URL). */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Extra attempts after the first on retryable failures. */
  retries: number;
  log: Logger;
  /** Backoff base; tests shorten it. */
  minBackoffMs?: number;
  /** The provider's connections, shared by its clients; a client without one has its own. */
  connections?: Connections;
  /** What to do when the server refuses the credentials, by status (default: check the token). */
  refusedHints?: Partial<Record<401 | 403, string>>;
}

/**
 * Every request attempt (retries included) is published on this diagnostics channel when it ends:
 * `playhead serve` counts them for /metrics without providers knowing about serve, and without
 * threading a callback through every provider's clients. Nothing is built when no one listens.
 */
export const REQUEST_CHANNEL = 'playhead:provider-request';

export interface RequestObservation {
  provider: string;
  method: string;
  /** The HTTP status, or `error` when no complete reply came (refused, timed out, cut off). */
  status: number | 'error';
  durationMs: number;
}

const requestChannel = channel(REQUEST_CHANNEL);

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export type Query = Record<string, string | number | undefined>;

class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** What the server asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The certificate was refused during the TLS handshake: no request was sent. */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * Network errors raised before a request left this machine: the connection was never made (no
 * address, refused, unreachable, connect timeout) or its TLS handshake failed, so a write cannot
 * have been applied and may be sent again. Everything else (a timeout waiting for the reply, a
 * reset or closed socket, a cut body) can happen after the server acted on the request.
 */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  ...UNTRUSTED_CERTIFICATE,
]);

/**
 * Whether an error status proves a write was not applied: 429 (rate limiting refuses a request
 * before it is processed) and 503 with Retry-After (the server says it is not taking requests).
 * Any other 5xx may come after the server acted (a proxy timing out, a crash while answering).
 */
function refusedBeforeProcessing(status: number, headers: Record<string, string>): boolean {
  return status === 429 || (status === 503 && headers['retry-after'] !== undefined);
}

function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Longest Retry-After we honour inside one run; a server asking for more fails the request. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * The keep-alive connections of one provider instance: one pooled agent per origin, so a run
 * reuses connections instead of opening one per request. `close()` ends them all (the provider's
 * `close()` calls it), so nothing is left open when a run or a daemon is done with the provider.
 */
export class Connections {
  private readonly agents = new Map<string, Agent>();

  for(origin: string): Agent {
    let agent = this.agents.get(origin);
    if (!agent) {
      agent = new Agent({ connections: 8, keepAliveTimeout: 10_000, pipelining: 1 });
      this.agents.set(origin, agent);
    }
    return agent;
  }

  /** Closes every agent, waiting for requests in flight. A later request opens a new agent. */
  async close(): Promise<void> {
    const open = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(open.map((agent) => agent.close()));
  }
}

function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    // Plex media-query keys carry their operator (`viewOffset>>`); encode keys and values alike.
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export class HttpClient {
  private readonly opts: HttpOptions;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly connections: Connections;

  constructor(opts: HttpOptions) {
    this.opts = opts;
    this.connections = opts.connections ?? new Connections();
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/$/, '');
  }

  get provider(): string {
    return this.opts.provider;
  }

  /** Closes this client's connections (shared ones too: close a provider's clients once, at its end). */
  close(): Promise<void> {
    return this.connections.close();
  }

  private urlOf(path: string, query: Query | undefined): string {
    return `${this.origin}${this.basePath}${path}${buildQuery(query)}`;
  }

  /** Sends a request, retrying transient failures. Resolves for 2xx; throws ProviderError otherwise. */
  async send(method: string, path: string, query?: Query, headers: Record<string, string> = {}, body?: string): Promise<HttpResponse> {
    const url = this.urlOf(path, query);
    const label = `${method} ${redactUrl(url)}`;
    const write = isWrite(method);
    // A write that may have landed is not retried here: the applier re-reads the target first.
    const ambiguous = (message: string, status?: number) =>
      new AbortError(new ProviderError('unavailable', this.opts.provider, `${message} (the server may have applied it)`, status, { ambiguous: true }));
    const attempt = async (): Promise<HttpResponse> => {
      const started = performance.now();
      const observe = (status: RequestObservation['status']) => {
        if (!requestChannel.hasSubscribers) return;
        const observation: RequestObservation = { provider: this.opts.provider, method, status, durationMs: performance.now() - started };
        requestChannel.publish(observation);
      };
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, {
          method: method as 'GET',
          headers: { ...this.opts.headers, ...headers },
          body,
          dispatcher: this.connections.for(this.origin),
          headersTimeout: this.opts.timeoutMs,
          bodyTimeout: this.opts.timeoutMs,
        });
      } catch (err) {
        observe('error');
        const message = `${this.opts.provider}: ${label} failed: ${describeNetworkError(err, url)}`;
        if (write && !NOT_SENT.has(errorCode(err) ?? '')) throw ambiguous(message);
        throw new ProviderError('unavailable', this.opts.provider, message);
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        observe('error');
        const message = `${this.opts.provider}: ${label}: the response body was cut off (${describeNetworkError(err)})`;
        if (write) throw ambiguous(message, res.statusCode);
        throw new ProviderError('unavailable', this.opts.provider, message);
      }
      const status = res.statusCode;
      observe(status);
      const headersOut = flattenHeaders(res.headers);
      if (status >= 200 && status < 300) return { status, headers: headersOut, text };
      const what = `${this.opts.provider}: ${label} answered ${status}`;
      if (status === 401 || status === 403) {
        const hint = this.opts.refusedHints?.[status] ?? `check the token for ${this.opts.provider}`;
        throw new AbortError(new ProviderError('auth', this.opts.provider, `${what}: the token was refused (${hint})`, status));
      }
      if (status === 404) throw new AbortError(new ProviderError('not_found', this.opts.provider, `${what}: not found`, status));
      if (status === 429 || status >= 500) {
        if (write && !refusedBeforeProcessing(status, headersOut)) throw ambiguous(what, status);
        const retryAfterMs = parseRetryAfter(headersOut['retry-after'], Date.now());
        if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
          throw new AbortError(new RetryableStatus(status, `${what}: asked to retry after ${Math.round(retryAfterMs / 1000)} s`, retryAfterMs));
        }
        throw new RetryableStatus(status, `${what}${status === 429 ? ' (rate limited)' : ''}`, retryAfterMs);
      }
      throw new AbortError(new ProviderError('bad_response', this.opts.provider, `${what}`, status));
    };

    try {
      return await pRetry(attempt, {
        retries: this.opts.retries,
        minTimeout: this.opts.minBackoffMs ?? 250,
        factor: 2,
        maxTimeout: 5_000,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          this.opts.log.debug({ provider: this.opts.provider, request: label, attemptNumber, err: error.message }, 'retrying');
          // Honour the server's Retry-After on top of our own backoff.
          if (error instanceof RetryableStatus && error.retryAfterMs) await new Promise((r) => setTimeout(r, error.retryAfterMs));
        },
      });
    } catch (err) {
      if (err instanceof RetryableStatus) {
        const kind = err.status === 429 ? 'rate_limited' : 'unavailable';
        const tooLong = err.retryAfterMs !== undefined && err.retryAfterMs > MAX_RETRY_AFTER_MS;
        throw new ProviderError(kind, this.opts.provider, tooLong ? err.message : `${err.message} after ${this.opts.retries + 1} attempts`, err.status);
      }
      throw err;
    }
  }

  /** GET (or another method) whose body must be JSON matching `schema`. */
  async json<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    query?: Query,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<{ body: z.output<S>; headers: Record<string, string> }> {
    const res = await this.send(method, path, query, { accept: 'application/json', ...headers }, body);
    return { body: this.parseReply(schema, res, method, `${method} ${redactUrl(this.urlOf(path, query))}`), headers: res.headers };
  }

  /** `parse` for the reply to a `method` request: a write's 2xx reply we cannot read is ambiguous. */
  parseReply<S extends z.ZodType>(schema: S, res: HttpResponse, method: string, label: string): z.output<S> {
    try {
      return this.parse(schema, res, label);
    } catch (err) {
      // The server said yes, then garbled the reply: the write was most likely applied; only a re-read can tell.
      if (isWrite(method) && err instanceof ProviderError) {
        throw new ProviderError(err.kind, err.provider, `${err.message} (the server may have applied it)`, res.status, { ambiguous: true });
      }
      throw err;
    }
  }

  parse<S extends z.ZodType>(schema: S, res: HttpResponse, label: string): z.output<S> {
    let data: unknown;
    try {
      data = JSON.parse(res.text);
    } catch {
      const type = res.headers['content-type'] ?? 'no content type';
      const head = res.text.slice(0, 60).replace(/\s+/g, ' ');
      throw new ProviderError(
        'bad_response',
        this.opts.provider,
        `${this.opts.provider}: ${label} returned a body that is not valid JSON (${type}; starts "${head}")`,
      );
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? issue.path.join('.') || '(root)' : '(root)';
      throw new ProviderError(
        'bad_response',
        this.opts.provider,
        `${this.opts.provider}: ${label} returned unexpected JSON at ${where}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return parsed.data;
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error ? (err as Error & { code?: string }).code : undefined;
}

/** Query parameters that carry a credential (tokens normally travel in headers; some APIs take them here too). */
const SECRET_PARAMETER = /token|api_?key|secret|password|passw|signature|^auth(orization)?$/i;

/** A URL for messages: secret query values and any user:password blanked, the rest as sent. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  const base = (at < 0 ? url : url.slice(0, at)).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
  if (at < 0) return base;
  const params = url
    .slice(at + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed escape: match on the raw name.
      }
      return eq >= 0 && SECRET_PARAMETER.test(decoded) ? `${name}=***` : part;
    });
  return `${base}?${params.join('&')}`;
}

/**
 * A network failure as a sentence: what happened and, where we can tell, what to change.
 * `url` (the request's, when the failure came before any reply) lets TLS mix-ups be named.
 */
function describeNetworkError(err: unknown, url?: string): string {
  if (err instanceof Error) {
    const code = errorCode(err);
    const https = url?.startsWith('https:') === true;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
    if (code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
    // An https URL pointed at a plain-http port: OpenSSL reads the HTTP reply as a bad TLS record.
    if (https && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(err.message))) {
      return 'the server speaks http, not https: use http:// in the url';
    }
    // An http URL pointed at a TLS port: the server drops the connection without an HTTP reply.
    if (url?.startsWith('http:') && code === 'UND_ERR_SOCKET') {
      return 'the server closed the connection without answering (if it speaks https, use https:// in the url)';
    }
    if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
      return `the server's TLS certificate is not trusted (${code}): add its CA with NODE_EXTRA_CA_CERTS, or use http:// on a local network`;
    }
    if (code === 'CERT_HAS_EXPIRED') return "the server's TLS certificate has expired (CERT_HAS_EXPIRED)";
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "the server's TLS certificate is for another host name: use the name it was issued for in the url";
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host name not found (${code}): check the url`;
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `host unreachable (${code}): check the url and the network`;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'could not connect in time (is the server up and reachable?)';
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
