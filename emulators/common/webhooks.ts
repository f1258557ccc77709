// Outgoing webhooks: the URLs a test registered through /__emulator/webhooks, and delivery of
// each event to all of them. Deliveries to one URL go out one after another, in event order, as
// a real server's notifier queue does, so a receiver never sees a stop before its play.

export interface WebhookTarget {
  id: number;
  url: string;
}

/** One delivery attempt, kept so tests can see failures the receiver never saw. */
export interface WebhookDelivery {
  id: number;
  url: string;
  event: string;
  status: number;
  error?: string;
}

/** A body to post: JSON (`application/json`) or a multipart form (Plex). */
export type WebhookBody = { kind: 'json'; value: unknown } | { kind: 'form'; fields: Record<string, string> };

const TIMEOUT_MS = 5000;

function encode(body: WebhookBody): { body: string | FormData; headers: Record<string, string> } {
  if (body.kind === 'json') return { body: JSON.stringify(body.value), headers: { 'Content-Type': 'application/json' } };
  const form = new FormData();
  for (const [name, value] of Object.entries(body.fields)) form.append(name, value);
  // fetch sets multipart/form-data with its boundary itself.
  return { body: form, headers: {} };
}

export class Webhooks {
  readonly #targets: WebhookTarget[] = [];
  readonly #queues = new Map<number, Promise<void>>();
  readonly deliveries: WebhookDelivery[] = [];
  #nextId = 1;
  /** Emby and Plex name themselves in a User-Agent; each kind passes its own. */
  constructor(private readonly userAgent: string) {}

  list(): WebhookTarget[] {
    return this.#targets.map((t) => ({ ...t }));
  }

  add(raw: unknown): WebhookTarget {
    const url = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).url : undefined;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new Error('url (an http or https URL) is required');
    const target = { id: this.#nextId++, url };
    this.#targets.push(target);
    return { ...target };
  }

  remove(id: number): boolean {
    const index = this.#targets.findIndex((t) => t.id === id);
    if (index < 0) return false;
    this.#targets.splice(index, 1);
    this.#queues.delete(id);
    return true;
  }

  clear(): void {
    this.#targets.length = 0;
    this.#queues.clear();
  }

  /** Queues `body` for every registered URL; never throws and never delays the caller's reply. */
  send(event: string, body: WebhookBody): void {
    for (const target of this.#targets) {
      const previous = this.#queues.get(target.id) ?? Promise.resolve();
      const next = previous.then(() => this.#post(target, event, body));
      this.#queues.set(target.id, next);
    }
  }

  /** Resolves when every queued delivery has been attempted (tests and close). */
  async settled(): Promise<void> {
    await Promise.all(this.#queues.values());
  }

  async #post(target: WebhookTarget, event: string, body: WebhookBody): Promise<void> {
    const encoded = encode(body);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'User-Agent': this.userAgent, ...encoded.headers },
        body: encoded.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.arrayBuffer();
      this.deliveries.push({ id: target.id, url: target.url, event, status: response.status });
    } catch (error) {
      this.deliveries.push({ id: target.id, url: target.url, event, status: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
