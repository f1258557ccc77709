// The Jellyfin / Emby provider: one instance = one server + one user (a user's token, or an API
// key plus `user`).
import type { MediaBrowserProviderConfig } from './config.ts';
import type { NativeRef, ProgressRecord, ProgressValue, TargetState } from '../../core/model.ts';
import { toEpochMs } from '../../core/time.ts';
import { ExternalIdIndex, resolveWithIndex } from '../id-index.ts';
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
import { cachedFacts, factsKey } from '../server-facts.ts';
import { JELLYFIN_MIN_WRITE_VERSION, mediaBrowserCapabilities } from './capabilities.ts';
import { MediaBrowserClient } from './client.ts';
import { embyDialect, jellyfinDialect, versionAtLeast } from './dialect.ts';
import { ticksToMs } from '../../core/position.ts';
import { positionFrom } from '../wire.ts';
import { isMediaBrowserId, mediaBrowserId, namesMediaBrowserUser, sameMediaBrowserId } from './ids.ts';
import { ITEM_FIELDS, readById, readFinished, readFinishedById, readResumable, selectLibraries, type Library } from './index.ts';
import { mediaBrowserIndexSource } from './resolve.ts';
import type { BaseItem, UserData } from './schema.ts';
import { clearBody, writeMediaBrowserProgress } from './write.ts';

/** How long a record read by targetState may stand in for the server's (a run's plan-to-write span). */
const USER_DATA_REUSE_MS = 10 * 60_000;

interface MediaBrowserFacts {
  info: ServerInfo;
  user: { id: string; name: string };
  /** Library views, only read when a whitelist is configured. */
  views: { Id: string; Name?: string; CollectionType?: string }[];
}

export class MediaBrowserProvider implements Provider {
  readonly kind: 'jellyfin' | 'emby';
  readonly capabilities: Capabilities;
  readonly client: MediaBrowserClient;
  private facts: MediaBrowserFacts | undefined;
  private libraries: Library[] | undefined;
  private index: ExternalIdIndex | undefined;
  /**
   * The user data read last per item, and when: Emby writes must send the whole record back.
   * Only a record read recently and not changed by us since is reused; otherwise a change reads
   * the item first, so a write is right on a fresh instance and after our own earlier changes.
   */
  private readonly lastUserData = new Map<string, { data: UserData; at: number }>();

  constructor(
    readonly id: string,
    private readonly config: MediaBrowserProviderConfig,
    private readonly ctx: ProviderContext,
    opts: { minBackoffMs?: number } = {},
  ) {
    this.kind = config.kind;
    this.capabilities = mediaBrowserCapabilities(config.maxConcurrentWrites, config.completionPercent);
    this.client = new MediaBrowserClient(
      {
        provider: id,
        url: config.url,
        token: config.token,
        deviceId: config.clientId ?? `playhead-${ctx.installationId}`,
        timeoutMs: config.timeoutMs,
        retries: config.retries,
        log: ctx.log,
        ...opts,
      },
      config.kind === 'emby' ? embyDialect : jellyfinDialect(true),
    );
  }

  private label(): string {
    return this.kind === 'emby' ? 'Emby' : 'Jellyfin';
  }

  async connect(): Promise<ServerInfo> {
    if (this.facts) return this.facts.info;
    const whitelist = this.config.libraries;
    this.facts = await cachedFacts<MediaBrowserFacts>(
      this.ctx,
      factsKey(this.kind, this.config.url, this.config.token, this.config.user ?? ''),
      () => this.discover(),
      (f) => !whitelist || whitelist.every((id) => f.views.some((v) => sameMediaBrowserId(v.Id, id))),
    );
    const { version } = this.facts.info;
    if (this.kind === 'jellyfin') {
      const modern = versionAtLeast(version, JELLYFIN_MIN_WRITE_VERSION);
      this.client.useDialect(jellyfinDialect(modern));
      if (!modern) {
        this.capabilities.writeBlockedReason = `${this.id}: Jellyfin ${version} cannot write resume positions (needs ${JELLYFIN_MIN_WRITE_VERSION} or newer); it can still be a source`;
      }
    }
    this.libraries = selectLibraries(
      this.id,
      this.facts.views.map((v) => ({ ...v, Type: 'CollectionFolder' })),
      whitelist,
    );
    return this.facts.info;
  }

  /** Server identity (no auth), then the token's user, then (with a whitelist) the libraries. */
  private async discover(): Promise<MediaBrowserFacts> {
    const pub = await this.client.publicInfo();
    const info: ServerInfo = { serverId: pub.Id, name: pub.ServerName ?? pub.Id, version: pub.Version };
    if (this.kind === 'jellyfin' && !versionAtLeast(pub.Version, JELLYFIN_MIN_WRITE_VERSION)) this.client.useDialect(jellyfinDialect(false));
    const user = await this.findUser();
    const views = this.config.libraries
      ? (await this.client.views(user.id)).map((v) => ({
          Id: String(v.Id),
          ...(v.Name ? { Name: v.Name } : {}),
          ...(v.CollectionType ? { CollectionType: v.CollectionType } : {}),
        }))
      : [];
    return { info, user, views };
  }

  private async findUser(): Promise<{ id: string; name: string }> {
    const wanted = this.config.user;
    const matches = (u: { Id: string; Name: string }) => wanted !== undefined && namesMediaBrowserUser(wanted, u);
    // Emby has no "who am I" route for a token: the user is named in the config.
    const me = this.kind === 'jellyfin' ? await this.client.me() : undefined;
    if (me && (!wanted || matches(me))) return { id: me.Id, name: me.Name };
    if (me && me.Policy?.IsAdministrator !== true) {
      throw new ProviderError(
        'config',
        this.id,
        `${this.id}: the token belongs to ${me.Name}, not "${this.config.user}", and only an administrator may act for another user`,
      );
    }
    if (!wanted) {
      const why = this.kind === 'emby' ? 'Emby cannot tell whose token this is' : 'the token is an API key, which belongs to no user';
      throw new ProviderError('config', this.id, `${this.id}: ${why}: set \`user:\` to the ${this.label()} user (name or id) whose positions to sync`);
    }
    if (isMediaBrowserId(wanted)) {
      // An id: reading that user checks the token may act for them.
      const user = await this.client.user(mediaBrowserId(wanted));
      return { id: user.Id, name: user.Name };
    }
    const found = (await this.listUsers()).find(matches);
    if (!found)
      throw new ProviderError(
        'config',
        this.id,
        `${this.id}: no ${this.label()} user "${this.config.user}"; users: ${(await this.listUsers()).map((u) => u.Name).join(', ')}`,
      );
    // Reading the user checks that this token may act for them.
    const checked = await this.client.user(found.Id);
    return { id: checked.Id, name: checked.Name };
  }

  /** All users for an admin token; otherwise the ones the server shows on its login screen. */
  private async listUsers(): Promise<{ Id: string; Name: string }[]> {
    try {
      return await this.client.users();
    } catch (err) {
      if (!(err instanceof ProviderError && err.status === 403)) throw err;
      try {
        return await this.client.publicUsers();
      } catch {
        throw new ProviderError('config', this.id, `${this.id}: this token may not list users to find "${this.config.user}": give \`user:\` as the user's id`);
      }
    }
  }

  /** The id of the user this provider acts for (its `user:`, or the token's own user). */
  async userId(): Promise<string> {
    await this.connect();
    return (this.facts as MediaBrowserFacts).user.id;
  }

  async *listProgress(opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    const { serverId } = await this.connect();
    yield* readResumable(this.client, await this.userId(), this.libraries, { provider: this.id, server: serverId }, opts.onPage);
  }

  async readItems(nativeIds: string[]): Promise<ProgressRecord[]> {
    const { serverId } = await this.connect();
    if (nativeIds.length === 0) return [];
    return readById(this.client, await this.userId(), this.libraries, { provider: this.id, server: serverId }, [...new Set(nativeIds)]);
  }

  /** Movies and episodes finished at or after `since`, newest first (see index.ts readFinished). */
  async *listFinished(since: number): AsyncIterable<ProgressRecord[]> {
    const { serverId } = await this.connect();
    yield* readFinished(this.client, await this.userId(), this.libraries, { provider: this.id, server: serverId }, since);
  }

  async readFinished(nativeIds: string[]): Promise<ProgressRecord[]> {
    const { serverId } = await this.connect();
    if (nativeIds.length === 0) return [];
    return readFinishedById(this.client, await this.userId(), this.libraries, { provider: this.id, server: serverId }, [...new Set(nativeIds)]);
  }

  async resolve(items: ResolveRequest[], opts: ResolveOptions = {}): Promise<Map<string, ResolveOutcome>> {
    const { serverId } = await this.connect();
    this.index ??= new ExternalIdIndex(
      mediaBrowserIndexSource(this.client, await this.userId(), this.libraries),
      this.ctx.state,
      serverId,
      this.ctx.log,
      this.ctx.now,
    );
    return resolveWithIndex(items, this.id, serverId, this.index, opts);
  }

  async targetState(refs: NativeRef[], opts: { playing?: boolean } = {}): Promise<Map<string, TargetState>> {
    const { serverId } = await this.connect();
    const userId = await this.userId();
    const out = new Map<string, TargetState>();
    if (refs.length === 0) return out;
    const items = await this.client.itemsById(userId, [...new Set(refs.map((r) => r.id))], [...ITEM_FIELDS, ...this.client.dialect.userDataFields]);
    const playing = opts.playing === false ? new Set<string>() : await this.playingNow(userId);
    for (const item of items) out.set(String(item.Id), this.stateOf(item, serverId, playing));
    if (this.index && items.length < new Set(refs.map((r) => r.id)).size) this.index.markStale();
    return out;
  }

  private stateOf(item: BaseItem, server: string, playing: Set<string>): TargetState {
    const data = item.UserData ?? {};
    this.lastUserData.set(String(item.Id), { data, at: this.ctx.now() });
    const state: TargetState = {
      ref: { provider: this.id, server, id: String(item.Id) },
      watched: data.Played === true,
      playCount: data.PlayCount ?? 0,
      playingNow: playing.has(String(item.Id)),
    };
    Object.assign(state, positionFrom('progressMs', 'PlaybackPositionTicks', data.PlaybackPositionTicks, ticksToMs));
    if (item.RunTimeTicks && item.RunTimeTicks > 0) state.durationMs = ticksToMs(item.RunTimeTicks);
    const at = toEpochMs(data.LastPlayedDate ?? undefined);
    if (at !== undefined) state.progressAt = at;
    return state;
  }

  /** Items this user is playing now, from `/Sessions`. */
  private async playingNow(userId: string): Promise<Set<string>> {
    const sessions = await this.client.sessions();
    return new Set(sessions.filter((s) => s.UserId && sameMediaBrowserId(s.UserId, userId) && s.NowPlayingItem).map((s) => String(s.NowPlayingItem?.Id)));
  }

  async write(ref: NativeRef, value: ProgressValue, opts: WriteOptions = {}): Promise<void> {
    const { userId, current } = await this.beforeChange(ref);
    await writeMediaBrowserProgress(this.client, ref.id, userId, value, current, { ...(opts.unwatchFirst ? { unwatchFirst: true } : {}), now: this.ctx.now() });
  }

  async clear(ref: NativeRef): Promise<void> {
    const { userId, current } = await this.beforeChange(ref);
    await this.client.postUserData(ref.id, userId, clearBody(this.client.dialect.replacesUserData, current));
  }

  async markWatched(ref: NativeRef): Promise<void> {
    const { userId } = await this.beforeChange(ref);
    await this.client.markPlayed(ref.id, userId);
  }

  /** Undo of markWatched: the servers' unplayed route (it also drops the position and LastPlayedDate). */
  async markUnwatched(ref: NativeRef): Promise<void> {
    const { userId } = await this.beforeChange(ref);
    await this.client.markUnplayed(ref.id, userId);
  }

  /** Checks a change may go to this server, and has the current record for Emby's whole-record writes. */
  private async beforeChange(ref: NativeRef): Promise<{ userId: string; current: UserData | undefined }> {
    const { serverId } = await this.connect();
    if (this.capabilities.writeBlockedReason) throw new ProviderError('config', this.id, this.capabilities.writeBlockedReason);
    if (ref.server !== serverId)
      throw new ProviderError('config', this.id, `${this.id}: refusing to change item ${ref.id} that belongs to server ${ref.server}, not ${serverId}`);
    const userId = await this.userId();
    const cached = this.lastUserData.get(ref.id);
    // Whatever happens next changes the record: the copy we hold stops being the server's.
    this.lastUserData.delete(ref.id);
    let current = cached && this.ctx.now() - cached.at <= USER_DATA_REUSE_MS ? cached.data : undefined;
    if (!current && this.client.dialect.replacesUserData) {
      // Emby replaces the whole record: never send one we have not read.
      const [item] = await this.client.itemsById(userId, [ref.id], this.client.dialect.userDataFields);
      current = item?.UserData ?? undefined;
    }
    return { userId, current };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
