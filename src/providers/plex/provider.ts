// The Plex provider: one instance = one server + one user token.
import type { NativeRef, ProgressRecord, ProgressValue, TargetState } from '../../core/model.ts';
import type { PlexProviderConfig } from './config.ts';
import { toEpochMs } from '../../core/time.ts';
import type {
  Capabilities,
  ListOptions,
  Provider,
  ProviderContext,
  ResolveOptions,
  ResolveOutcome,
  ResolveRequest,
  ServerInfo,
  WriteOptions,
} from '../provider.ts';
import { ProviderError } from '../provider.ts';
import { plexCapabilities } from './capabilities.ts';
import { PlexClient, type PlexSection } from './client.ts';
import { FINISHED, finishedSince, readRows, readSections, RESUMABLE, selectSections, type RowSelection } from './index.ts';
import { ExternalIdIndex, resolveWithIndex } from '../id-index.ts';
import { cachedFacts, factsKey, forgetFacts } from '../server-facts.ts';
import { plexIndexSource } from './resolve.ts';
import { writePlexProgress } from './write.ts';
import { positionFrom } from '../wire.ts';

/** The X-Plex-Client-Identifier: the installation's id unless the instance configures its own. */
function plexClientId(ctx: ProviderContext, configured: string | undefined): string {
  return configured ?? `playhead-${ctx.installationId}`;
}

/** What we remember about a Plex server between runs (see ../server-facts.ts). */
interface PlexFacts {
  info: ServerInfo & { owner?: string };
  sections: PlexSection[];
}

export class PlexProvider implements Provider {
  readonly kind = 'plex';
  readonly capabilities: Capabilities;
  readonly client: PlexClient;
  private info: (ServerInfo & { owner?: string }) | undefined;
  private sectionsCache: PlexSection[] | undefined;
  private index: ExternalIdIndex | undefined;
  private sessionsWarned = false;

  constructor(
    readonly id: string,
    private readonly config: PlexProviderConfig,
    private readonly ctx: ProviderContext,
    opts: { minBackoffMs?: number } = {},
  ) {
    this.capabilities = plexCapabilities(config.maxConcurrentWrites, config.completionPercent);
    this.client = new PlexClient({
      provider: id,
      url: config.url,
      token: config.token,
      clientId: plexClientId(ctx, config.clientId),
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      log: ctx.log,
      ...opts,
    });
  }

  /**
   * Server identity and libraries: remembered for a few hours (../server-facts.ts), else
   * `GET /` (which needs a valid token, unlike `/identity`) and `GET /library/sections`.
   * A refused token still surfaces on the first request of the run, whichever it is.
   */
  async connect(): Promise<ServerInfo> {
    if (this.info) return this.info;
    const whitelist = this.config.libraries ?? [];
    const facts = await cachedFacts<PlexFacts>(
      this.ctx,
      factsKey(this.config.url, this.config.token),
      async () => {
        const s = await this.client.serverInfo();
        const sections = await this.client.sections();
        return { info: { serverId: s.machineIdentifier, name: s.friendlyName, version: s.version, ...(s.owner ? { owner: s.owner } : {}) }, sections };
      },
      // A whitelisted library missing from the remembered list may be new: ask again.
      (f) => whitelist.every((id) => f.sections.some((x) => x.id === id)),
    );
    this.info = facts.info;
    this.sectionsCache = selectSections(this.id, facts.sections, this.config.libraries);
    return this.info;
  }

  /** A library that vanished since the facts were cached: forget them so the next run re-reads. */
  private forgetFactsOn404<T>(err: unknown): T {
    if (err instanceof ProviderError && err.kind === 'not_found') {
      forgetFacts(this.ctx);
      throw new ProviderError('not_found', this.id, `${err.message} (a library may have been removed; the next run re-reads the library list)`, err.status);
    }
    throw err;
  }

  private async server(): Promise<string> {
    return (await this.connect()).serverId;
  }

  private async sections(): Promise<PlexSection[]> {
    await this.connect();
    return this.sectionsCache ?? [];
  }

  listProgress(opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    return this.listSections(RESUMABLE, opts);
  }

  readItems(nativeIds: string[]): Promise<ProgressRecord[]> {
    return this.readSelected(nativeIds, RESUMABLE);
  }

  /** Finished since `since`: the section listings filtered by the server on `lastViewedAt`, so a
   * run with nothing new costs one empty page per section. */
  listFinished(since: number, opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    return this.listSections(finishedSince(since), opts);
  }

  readFinished(nativeIds: string[]): Promise<ProgressRecord[]> {
    return this.readSelected(nativeIds, FINISHED);
  }

  private async *listSections(selection: RowSelection, opts: ListOptions): AsyncIterable<ProgressRecord[]> {
    const server = await this.server();
    try {
      yield* readSections(this.client, await this.sections(), { provider: this.id, server }, selection, opts.onPage);
    } catch (err) {
      this.forgetFactsOn404(err);
    }
  }

  private async readSelected(nativeIds: string[], selection: RowSelection): Promise<ProgressRecord[]> {
    const server = await this.server();
    if (nativeIds.length === 0) return [];
    try {
      return await readRows(this.client, await this.sections(), { provider: this.id, server }, [...new Set(nativeIds)], selection);
    } catch (err) {
      return this.forgetFactsOn404(err);
    }
  }

  async resolve(items: ResolveRequest[], opts: ResolveOptions = {}): Promise<Map<string, ResolveOutcome>> {
    const server = await this.server();
    this.index ??= new ExternalIdIndex(plexIndexSource(this.client, await this.sections()), this.ctx.state, server, this.ctx.log, this.ctx.now);
    return resolveWithIndex(items, this.id, server, this.index, opts).catch((err: unknown) => this.forgetFactsOn404(err));
  }

  async targetState(refs: NativeRef[], opts: { playing?: boolean } = {}): Promise<Map<string, TargetState>> {
    const server = await this.server();
    const out = new Map<string, TargetState>();
    if (refs.length === 0) return out;
    const rows = await this.client.metadata(
      refs.map((r) => r.id),
      false,
    );
    const playing = opts.playing === false ? new Set<string>() : await this.playingNow();
    for (const row of rows) {
      const viewCount = row.viewCount ?? 0;
      const state: TargetState = {
        ref: { provider: this.id, server, id: String(row.ratingKey) },
        watched: viewCount > 0,
        playCount: viewCount,
        playingNow: playing.has(String(row.ratingKey)),
      };
      Object.assign(state, positionFrom('progressMs', 'viewOffset', row.viewOffset));
      if (row.duration !== undefined && row.duration > 0) state.durationMs = row.duration;
      const at = toEpochMs(row.lastViewedAt);
      if (at !== undefined) state.progressAt = at;
      out.set(state.ref.id, state);
    }
    // A ref the server no longer knows means the cached index is out of date.
    if (this.index && rows.length < new Set(refs.map((r) => r.id)).size) this.index.markStale();
    return out;
  }

  /** ratingKeys this instance's user is playing now. Sessions are owner-only on Plex. */
  private async playingNow(): Promise<Set<string>> {
    const sessions = await this.client.sessions();
    if (!sessions) {
      if (!this.sessionsWarned)
        this.ctx.log.warn({ provider: this.id }, 'this token cannot see /status/sessions (not the server owner): playing-now protection is off');
      this.sessionsWarned = true;
      return new Set();
    }
    const owner = this.info?.owner;
    // PMS reports the owner as user id 1; match the username too, as some builds differ.
    const mine = sessions.filter((s) => s.userId === '1' || (owner !== undefined && s.userTitle === owner));
    return new Set(mine.map((s) => s.ratingKey));
  }

  async write(ref: NativeRef, value: ProgressValue, opts: WriteOptions = {}): Promise<void> {
    await this.checkServer(ref);
    await writePlexProgress(this.client, this.id, ref, value, opts);
  }

  async clear(ref: NativeRef): Promise<void> {
    await this.checkServer(ref);
    await this.client.unscrobble(ref.id);
  }

  async markWatched(ref: NativeRef): Promise<void> {
    await this.checkServer(ref);
    await this.client.scrobble(ref.id);
  }

  /** Undo of markWatched: `/:/unscrobble` (play count 0; Plex keeps no per-play log to trim). */
  async markUnwatched(ref: NativeRef): Promise<void> {
    await this.checkServer(ref);
    await this.client.unscrobble(ref.id);
  }

  private async checkServer(ref: NativeRef): Promise<void> {
    const server = await this.server();
    if (ref.server !== server) {
      throw new ProviderError('config', this.id, `${this.id}: refusing to change ratingKey ${ref.id} that belongs to server ${ref.server}, not ${server}`);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
