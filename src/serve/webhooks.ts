// The webhook endpoint of `playhead serve`: `POST /webhooks/{secret}/{provider}`. Media servers
// cannot send our API token, so the URL itself is the credential: a per-installation secret
// (32 random bytes, base64url), made once and kept in the state database. It is compared in
// constant time, never echoed, never logged (this app logs no paths), and a wrong one gets a
// bare 401 that does not say whether the provider exists. Bodies are capped (413) before any
// parsing; each provider kind's module parses its own format (parseWebhook) and every event goes
// to serve's callback.
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { findProviderModule } from '../providers/registry.ts';
import type { ItemEvent } from '../providers/trigger.ts';
import { WebhookBodyError } from '../providers/webhook.ts';
import type { Store } from '../store/store.ts';

const SECRET_KEY = 'webhook_secret';
/** Plex's multipart posts carry a small thumbnail at most; 1 MiB is far above any real body. */
const WEBHOOK_MAX_BYTES = 1024 * 1024;

/** The installation's webhook secret if one was made (read-only pages must not make one). */
export function storedWebhookSecret(store: Store): string | undefined {
  return store.getKv(SECRET_KEY) || undefined;
}

/** The installation's webhook secret, made on first use. */
export function webhookSecret(store: Store): string {
  return store.secret(SECRET_KEY);
}

/** The URL a server posts to (base: serve's public URL, without a trailing slash). */
export function webhookUrl(base: string, secret: string, provider: string): string {
  return `${base.replace(/\/+$/, '')}/webhooks/${secret}/${encodeURIComponent(provider)}`;
}

export interface WebhookAppOptions {
  config: Config;
  secret: string;
  log: Logger;
  /** Each event of an accepted post, in order (serve runs the item for the pairs concerned). */
  onEvent: (event: ItemEvent) => void;
  maxBytes?: number;
  now?: () => number;
}

function secretMatches(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  // Length first (it is not secret: every installation's is 43); then every byte, in constant time.
  return a.length === b.length && timingSafeEqual(a, b);
}

class TooLarge extends Error {}

/** Reads at most `max` bytes, whatever Content-Length claims (a chunked body has none). */
async function readCapped(request: Request, max: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > max) throw new TooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A hono app answering `/webhooks/*` (mount it before anything that checks the API token). */
export function createWebhookApp(opts: WebhookAppOptions): Hono {
  const max = opts.maxBytes ?? WEBHOOK_MAX_BYTES;
  const app = new Hono();
  // Nothing under /webhooks reaches the API's handlers: their errors name the path, secret and all.
  app.all('/webhooks/*', async (c) => {
    const parts = c.req.path.split('/'); // ['', 'webhooks', secret, provider]
    if (parts.length !== 4 || !secretMatches(decodeURIComponent(parts[2] ?? ''), opts.secret)) return c.json({ error: 'unauthorized' }, 401);
    if (c.req.method !== 'POST') return c.json({ error: 'webhooks are POST' }, 405, { allow: 'POST' });
    const provider = decodeURIComponent(parts[3] ?? '');
    const config = Object.hasOwn(opts.config.providers, provider) ? opts.config.providers[provider] : undefined;
    const module = config ? findProviderModule(config.kind) : undefined;
    if (!config || !module?.parseWebhook) return c.json({ error: 'no webhook for this provider' }, 404);
    let raw: Buffer;
    try {
      raw = await readCapped(c.req.raw, max);
    } catch (err) {
      if (err instanceof TooLarge) return c.json({ error: `body over ${max} bytes` }, 413);
      return c.json({ error: 'the body could not be read' }, 400);
    }
    let events: ItemEvent[];
    try {
      events = await module.parseWebhook(provider, config, { contentType: c.req.header('content-type') ?? '', raw });
    } catch (err) {
      const reason = err instanceof WebhookBodyError ? err.message : 'the body could not be parsed';
      opts.log.warn({ provider, error: reason }, 'webhook refused');
      return c.json({ error: reason }, 400);
    }
    for (const event of events) {
      try {
        opts.onEvent(event);
      } catch (err) {
        // One event's handling failing must not lose the others, nor answer the server an error it would retry forever.
        opts.log.error({ provider, error: err instanceof Error ? err.message : String(err) }, 'webhook event not handled');
      }
    }
    opts.log.debug({ provider, events: events.length }, 'webhook received');
    return c.json({ events: events.length });
  });
  return app;
}
