// A provider kind that lives entirely in the tests: an in-memory "server" (items with external
// ids, one user's positions and watched flags, a request log, a write log, fault rules), a
// Provider over it, and a ProviderModule with its own config schema. Registering the module is
// all it takes for playhead.yaml, the engine and the conformance suite to use `kind: fake`:
// nothing under src/ knows this kind.
import { z } from 'zod';
import { generateCatalogue, parseSyntheticSpec } from '../../emulators/catalogue.ts';
import { isRecord, numberIn, strict, tokenSchema, without } from '../../src/config/fields.ts';
import { matchTokens } from '../../src/core/ids.ts';
import type { ExternalIds, ItemIdentity, NativeRef, ProgressRecord, ProgressValue, TargetState } from '../../src/core/model.ts';
import type { ProviderModule } from '../../src/providers/module.ts';
import {
  ProviderError,
  type Capabilities,
  type ListOptions,
  type Provider,
  type ProviderContext,
  type ResolveOutcome,
  type ResolveRequest,
  type ServerInfo,
  type WriteOptions,
} from '../../src/providers/provider.ts';
import { registerProviderModule } from '../../src/providers/registry.ts';
import { parseJsonText } from '../../src/providers/webhook.ts';

export const FAKE_KIND = 'fake';

/** One item on a fake server. */
export interface FakeItem extends ItemIdentity {
  id: string;
  durationMs: number;
}

/** The user's state for one item. */
export interface FakeUserData {
  progressMs: number;
  progressAt?: number;
  watched: boolean;
  /** When the user last finished the item (what `listFinished` filters on). */
  watchedAt?: number;
  playCount: number;
}

export interface FakeFault {
  path?: string;
  method?: string;
  status?: number;
  count?: number;
  nonJson?: true;
}

/** The in-memory server. Tests read and change its state directly. */
export class FakeServer {
  readonly serverId: string;
  readonly items: FakeItem[] = [];
  /** Each user's state by item, by token (a token is one user). */
  readonly dataByToken = new Map<string, Map<string, FakeUserData>>();
  /** The first token's user's state (the user most tests use). */
  readonly data: Map<string, FakeUserData>;
  readonly playing = new Set<string>();
  /** Every request, oldest first (`GET /progress?start=0`). */
  readonly requests: { method: string; path: string }[] = [];
  /** Every stored position, oldest first. */
  readonly writes: { id: string; progressMs: number; progressAt?: number }[] = [];
  faults: FakeFault[] = [];
  /** A server that is not running: every request fails as a refused connection would. */
  down = false;

  constructor(
    readonly name: string,
    readonly tokens: ReadonlySet<string>,
  ) {
    this.serverId = `fake-${name}`;
    for (const token of tokens) this.dataByToken.set(token, new Map());
    this.data = this.dataFor([...tokens][0] ?? '');
  }

  dataFor(token: string): Map<string, FakeUserData> {
    let data = this.dataByToken.get(token);
    if (!data) {
      data = new Map();
      this.dataByToken.set(token, data);
    }
    return data;
  }

  /** Adds a catalogue (`movies=N,shows=S,seasons=K,episodes=E`) as in the emulators. */
  addSynthetic(spec: string, seed: string): void {
    const catalogue = generateCatalogue(parseSyntheticSpec(spec), seed);
    const ids = (i: { imdb: string; tmdb: number; tvdb?: number }): ExternalIds => ({
      imdb: i.imdb,
      tmdb: String(i.tmdb),
      ...(i.tvdb ? { tvdb: String(i.tvdb) } : {}),
    });
    for (const m of catalogue.movies)
      this.items.push({ id: `m${this.items.length + 1}`, type: 'movie', ids: ids(m.ids), title: m.title, year: m.year, durationMs: m.durationMs });
    for (const show of catalogue.shows) {
      for (const season of show.seasons) {
        for (const e of season.episodes) {
          this.items.push({
            id: `e${this.items.length + 1}`,
            type: 'episode',
            ids: ids(e.ids),
            title: e.title,
            show: { ids: ids(show.ids), title: show.title },
            season: season.index,
            episode: e.index,
            durationMs: e.durationMs,
          });
        }
      }
    }
  }

  /** The user (of `token`, else the first) finishes an item at `atMs`: watched, position gone. */
  finish(id: string, atMs: number, token?: string): void {
    const d = this.userData(id, token);
    d.watched = true;
    d.watchedAt = atMs;
    d.playCount++;
    d.progressMs = 0;
  }

  item(id: string): FakeItem | undefined {
    return this.items.find((i) => i.id === id);
  }

  userData(id: string, token?: string): FakeUserData {
    const data = token === undefined ? this.data : this.dataFor(token);
    let d = data.get(id);
    if (!d) {
      d = { progressMs: 0, watched: false, playCount: 0 };
      data.set(id, d);
    }
    return d;
  }

  /** One request: checks the token, applies fault rules, logs it, then answers. */
  request<T>(provider: string, token: string, method: string, path: string, answer: () => T): T {
    if (this.down) throw new ProviderError('unavailable', provider, `${provider}: ${method} ${path} failed: connection refused (is the server running?)`);
    this.requests.push({ method, path });
    const fault = this.faults.find(
      (f) => (f.method === undefined || f.method === method) && (f.path === undefined || path.startsWith(f.path)) && (f.count === undefined || f.count > 0),
    );
    if (fault) {
      if (fault.count !== undefined) fault.count--;
      if (fault.nonJson) throw new ProviderError('bad_response', provider, `${provider}: ${method} ${path}: the answer is not JSON`);
      const status = fault.status ?? 500;
      // As HttpClient classifies statuses.
      const kind =
        status === 401 || status === 403
          ? 'auth'
          : status === 404
            ? 'not_found'
            : status === 429
              ? 'rate_limited'
              : status >= 500
                ? 'unavailable'
                : 'bad_response';
      throw new ProviderError(kind, provider, `${provider}: ${method} ${path} answered ${status}`, status);
    }
    if (!this.tokens.has(token)) throw new ProviderError('auth', provider, `${provider}: ${method} ${path} answered 401: the token was refused`, 401);
    return answer();
  }
}

// ---------------------------------------------------------------------------------------------
// Config

export type FakeProviderConfig = {
  kind: typeof FAKE_KIND;
  /** The fake server's name (servers are found by name in the module's own list). */
  server: string;
  token: string;
  pageSize: number;
  retries: number;
  maxConcurrentWrites: number;
};

const fakeFields = {
  kind: z.literal(FAKE_KIND),
  server: z.string({ error: 'must be the name of a fake server' }).trim().min(1, { error: 'must not be empty' }),
  token: tokenSchema,
  page_size: numberIn(1, 1000, true).default(100),
  retries: numberIn(0, 10, true).default(3),
  max_concurrent_writes: numberIn(1, 32, true).default(4),
};

const fakeConfigSchema = strict(fakeFields, 'a mapping of fake settings (kind, server, token, …)').transform(
  (p): FakeProviderConfig => ({
    kind: FAKE_KIND,
    server: p.server,
    token: p.token,
    pageSize: p.page_size,
    retries: p.retries,
    maxConcurrentWrites: p.max_concurrent_writes,
  }),
);

function fakeCapabilities(config: FakeProviderConfig): Capabilities {
  return {
    clear: true,
    units: 'ms',
    completionPercent: 90,
    setsProgressTime: true,
    playingNow: true,
    watchedState: true,
    logsPlays: false,
    finishedReads: true,
    catalogue: true,
    maxConcurrentWrites: config.maxConcurrentWrites,
  };
}

// ---------------------------------------------------------------------------------------------
// The provider

class FakeProvider implements Provider {
  readonly kind = FAKE_KIND;
  readonly capabilities: Capabilities;

  constructor(
    readonly id: string,
    private readonly config: FakeProviderConfig,
    private readonly server: FakeServer,
    private readonly now: () => number,
  ) {
    this.capabilities = fakeCapabilities(config);
  }

  private call<T>(method: string, path: string, answer: () => T): Promise<T> {
    // Like HttpClient: unavailable and rate-limited answers are retried, the rest fail at once.
    for (let attempt = 0; ; attempt++) {
      try {
        return Promise.resolve(this.server.request(this.id, this.config.token, method, path, answer));
      } catch (err) {
        const retryable = err instanceof ProviderError && (err.kind === 'unavailable' || err.kind === 'rate_limited');
        if (!retryable || attempt >= this.config.retries) return Promise.reject(err);
      }
    }
  }

  /** This provider's user's state by item. */
  private userState(): Map<string, FakeUserData> {
    return this.server.dataFor(this.config.token);
  }

  private ref(id: string): NativeRef {
    return { provider: this.id, server: this.server.serverId, id };
  }

  private known(ref: NativeRef): FakeItem {
    const item = this.server.item(ref.id);
    if (!item) throw new ProviderError('not_found', this.id, `${this.id}: no item ${ref.id}`);
    return item;
  }

  connect(): Promise<ServerInfo> {
    return this.call('GET', '/info', () => ({ serverId: this.server.serverId, name: this.server.name, version: '1.0' }));
  }

  async *listProgress(opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    const resumable = () => this.server.items.filter((i) => (this.userState().get(i.id)?.progressMs ?? 0) > 0);
    let seen = 0;
    for (let start = 0; ; start += this.config.pageSize) {
      const page = await this.call('GET', `/progress?start=${start}`, () => resumable().slice(start, start + this.config.pageSize));
      if (page.length === 0) return;
      seen += page.length;
      opts.onPage?.(seen, resumable().length);
      yield page.map((item) => this.recordOf(item));
      if (page.length < this.config.pageSize) return;
    }
  }

  async readItems(nativeIds: string[]): Promise<ProgressRecord[]> {
    const wanted = new Set(nativeIds);
    const items = await this.call('GET', `/items?ids=${nativeIds.join(',')}`, () =>
      this.server.items.filter((i) => wanted.has(i.id) && (this.userState().get(i.id)?.progressMs ?? 0) > 0),
    );
    return items.map((item) => this.recordOf(item));
  }

  /** Finished items (watched with a time) at or after `since`, paged like the listing. */
  async *listFinished(since: number): AsyncIterable<ProgressRecord[]> {
    const finished = () => this.server.items.filter((i) => this.finishedAt(i.id) !== undefined && (this.finishedAt(i.id) ?? 0) >= since);
    for (let start = 0; ; start += this.config.pageSize) {
      const page = await this.call('GET', `/finished?since=${since}&start=${start}`, () => finished().slice(start, start + this.config.pageSize));
      if (page.length === 0) return;
      yield page.map((item) => this.recordOf(item));
      if (page.length < this.config.pageSize) return;
    }
  }

  async readFinished(nativeIds: string[]): Promise<ProgressRecord[]> {
    const wanted = new Set(nativeIds);
    const items = await this.call('GET', `/finished?ids=${nativeIds.join(',')}`, () =>
      this.server.items.filter((i) => wanted.has(i.id) && this.finishedAt(i.id) !== undefined),
    );
    return items.map((item) => this.recordOf(item));
  }

  private finishedAt(id: string): number | undefined {
    const d = this.userState().get(id);
    return d?.watched ? d.watchedAt : undefined;
  }

  private recordOf(item: FakeItem): ProgressRecord {
    const d = this.server.userData(item.id, this.config.token);
    const { id, ...identity } = item;
    return {
      ...identity,
      ref: this.ref(id),
      ...(d.progressMs > 0 ? { progressMs: d.progressMs } : {}),
      ...(d.progressAt !== undefined ? { progressAt: d.progressAt } : {}),
      watched: d.watched,
      ...(d.watched && d.watchedAt !== undefined ? { watchedAt: d.watchedAt } : {}),
      playCount: d.playCount,
    };
  }

  async resolve(requests: ResolveRequest[]): Promise<Map<string, ResolveOutcome>> {
    const out = new Map<string, ResolveOutcome>();
    const byToken = await this.call('GET', '/items', () => {
      const index = new Map<string, FakeItem>();
      for (const item of this.server.items) for (const token of matchTokens(item)) if (!index.has(token)) index.set(token, item);
      return index;
    });
    for (const r of requests) {
      const own = r.ref?.provider === this.id ? this.server.item(r.ref.id) : undefined;
      const found =
        own ??
        matchTokens(r)
          .map((t) => byToken.get(t))
          .find((i) => i !== undefined);
      out.set(r.key, found ? { ref: this.ref(found.id) } : { unresolved: `not on ${this.server.name}` });
    }
    return out;
  }

  async targetState(refs: NativeRef[], opts: { playing?: boolean } = {}): Promise<Map<string, TargetState>> {
    return this.call('GET', '/state', () => {
      const out = new Map<string, TargetState>();
      for (const ref of refs) {
        const item = this.known(ref);
        const d = this.userState().get(ref.id);
        out.set(ref.id, {
          ref,
          ...(d && d.progressMs > 0 ? { progressMs: d.progressMs } : {}),
          ...(d?.progressAt !== undefined ? { progressAt: d.progressAt } : {}),
          durationMs: item.durationMs,
          watched: d?.watched ?? false,
          playCount: d?.playCount ?? 0,
          playingNow: opts.playing !== false && this.server.playing.has(ref.id),
        });
      }
      return out;
    });
  }

  write(ref: NativeRef, value: ProgressValue, opts: WriteOptions = {}): Promise<void> {
    return this.call('POST', `/progress/${ref.id}`, () => {
      this.known(ref);
      const d = this.server.userData(ref.id, this.config.token);
      if (opts.unwatchFirst) d.watched = false;
      d.progressMs = value.progressMs;
      if (value.progressAt !== undefined) d.progressAt = value.progressAt;
      this.server.writes.push({ id: ref.id, progressMs: value.progressMs, ...(value.progressAt !== undefined ? { progressAt: value.progressAt } : {}) });
    });
  }

  clear(ref: NativeRef): Promise<void> {
    return this.call('DELETE', `/progress/${ref.id}`, () => {
      this.known(ref);
      this.server.userData(ref.id, this.config.token).progressMs = 0;
    });
  }

  markWatched(ref: NativeRef): Promise<void> {
    return this.call('POST', `/watched/${ref.id}`, () => {
      this.known(ref);
      const d = this.server.userData(ref.id, this.config.token);
      d.watched = true;
      d.watchedAt = this.now();
      d.playCount++;
      d.progressMs = 0;
    });
  }

  /** Un-watches the item (undo of a finish); `since` is for servers that log plays (Trakt). */
  markUnwatched(ref: NativeRef, _since?: number): Promise<void> {
    return this.call('DELETE', `/watched/${ref.id}`, () => {
      this.known(ref);
      const d = this.server.userData(ref.id, this.config.token);
      d.watched = false;
      delete d.watchedAt;
      d.playCount = Math.max(0, d.playCount - 1);
    });
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// The module

const fakeWebhookSchema = z.object({ kind: z.enum(['playing', 'paused', 'stopped', 'played', 'unplayed', 'progress', 'changed']), id: z.string() });

/** The fake kind: its module and the servers its providers connect to (by name). */
export interface FakeKind {
  module: ProviderModule<FakeProviderConfig>;
  servers: Map<string, FakeServer>;
  /** Starts a server that accepts these tokens. */
  addServer(name: string, tokens: string[]): FakeServer;
}

export function fakeKind(): FakeKind {
  const servers = new Map<string, FakeServer>();
  const module: ProviderModule<FakeProviderConfig> = {
    kind: FAKE_KIND,
    label: 'Fake',
    configSchema: fakeConfigSchema,
    users: {
      serverSchema: strict(without(fakeFields, 'token'), 'a mapping of fake server settings (kind, server, …)'),
      misplacedServerKeys: { token: (server) => `a fake token is one user's: put it under users.<user>.${server}.token` },
      checkEntry(value, { add }) {
        if (isRecord(value)) return value;
        add([], "must be a mapping with this user's fake token");
        return undefined;
      },
      entrySchema: strict({ token: tokenSchema }, "a mapping with this user's fake token (token)"),
    },
    capabilities: fakeCapabilities,
    // A webhook of our own: `{ "kind": "played", "id": "m1" }` is one event about item m1.
    parseWebhook(id, _config, body) {
      const event = parseJsonText(body.raw.toString('utf8'), fakeWebhookSchema, 'a fake webhook');
      return [{ provider: id, nativeId: event.id, kind: event.kind, at: Date.now(), via: 'fake-webhook' }];
    },
    create(id, config, ctx: ProviderContext) {
      const server = servers.get(config.server);
      if (!server) throw new ProviderError('config', id, `${id}: no fake server "${config.server}"`);
      // Some unit tests build a provider without a context: their clock is the real one.
      return new FakeProvider(id, config, server, ctx?.now ?? Date.now);
    },
  };
  return {
    module,
    servers,
    addServer(name, tokens) {
      const server = new FakeServer(name, new Set(tokens));
      servers.set(name, server);
      return server;
    },
  };
}

/** The fake kind, registered until `unregister()` (one registration at a time per process). */
export function registerFakeKind(): FakeKind & { unregister: () => void } {
  const kind = fakeKind();
  return { ...kind, unregister: registerProviderModule(kind.module) };
}
