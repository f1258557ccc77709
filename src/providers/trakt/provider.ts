// The Trakt provider: one instance = one Trakt account (signed in with `playhead auth <name>`).
// Trakt needs no native id to write: items are named by their external ids, so "resolving" an
// item means knowing its ids, a ref's id is the item's canonical key (every method reads the
// item back from it, whatever ran before), and its live state is the playback list. What the
// user finished comes from the history, which is kept apart from playback; marking an item
// watched logs a play there, and its undo removes only the plays logged since.
import type { TraktProviderConfig } from './config.ts';
import { canonicalKey, matchTokens } from '../../core/ids.ts';
import { type ExternalIds, ID_KINDS, type ItemIdentity, type NativeRef, type ProgressRecord, type ProgressValue, type TargetState } from '../../core/model.ts';
import type { Capabilities, ListOptions, Provider, ProviderContext, ResolveOutcome, ResolveRequest, ServerInfo } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import { traktCapabilities } from './capabilities.ts';
import { type TraktClient, traktClientFor } from './client.ts';
import { recordFromHistory, recordFromPlayback } from './index.ts';
import { loadTokens, refreshTokens, REFRESH_MARGIN_MS, saveTokens } from './oauth.ts';
import type { HistoryEntry, PlaybackEntry } from './schema.ts';
import { identityOfRef, scrobbleBody } from './write.ts';
import { holdsPositionField, positionFrom } from '../wire.ts';

/**
 * A Trakt ref is either an item key (what `resolve` hands out: the item's canonical key, which
 * names it by its ids) or a playback id (what `listProgress` records carry).
 */
function isTraktRef(ref: NativeRef): boolean {
  return identityOfRef(ref.id) !== undefined || /^\d+$/.test(ref.id);
}

/** Where the item a playback id named is kept once a logged play dropped its entry. */
const loggedPlaybackKey = (playbackId: string) => `logged_playback:${playbackId}`;

export class TraktProvider implements Provider {
  readonly kind = 'trakt';
  readonly capabilities: Capabilities;
  readonly client: TraktClient;
  private info: ServerInfo | undefined;
  /** Trakt ids found by search (`movie:imdb:tt…` → id, or undefined when Trakt has no such item). */
  private readonly traktIds = new Map<string, number | undefined>();

  constructor(
    readonly id: string,
    private readonly config: TraktProviderConfig,
    private readonly ctx: ProviderContext,
    opts: { minBackoffMs?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.capabilities = traktCapabilities(config.completionPercent);
    this.client = traktClientFor(id, config, { log: ctx.log, now: ctx.now, ...opts });
  }

  /** Checks the sign-in and refreshes the token when it is close to expiry (never in a dry run). */
  async connect(): Promise<ServerInfo> {
    if (this.info) return this.info;
    let tokens = loadTokens(this.ctx.state);
    if (!tokens) throw new ProviderError('auth', this.id, `${this.id}: not signed in to Trakt; run \`playhead auth ${this.id}\``);
    if (tokens.expiresAt - this.ctx.now() < REFRESH_MARGIN_MS) {
      if (this.ctx.dryRun) {
        if (tokens.expiresAt <= this.ctx.now()) {
          throw new ProviderError(
            'auth',
            this.id,
            `${this.id}: the Trakt token expired; a dry run does not refresh it — run \`playhead sync\` or \`playhead auth ${this.id}\``,
          );
        }
      } else {
        tokens = await refreshTokens(this.client.auth, this.config.clientId, this.config.clientSecret, tokens, this.ctx.now());
        saveTokens(this.ctx.state, tokens);
      }
    }
    this.client.useToken(tokens.accessToken);
    // One Trakt account per instance: its identity is the API host plus the instance.
    this.info = { serverId: `trakt:${new URL(this.config.url).host}/${this.id}`, name: 'Trakt', version: '2' };
    return this.info;
  }

  async *listProgress(opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    const { serverId } = await this.connect();
    const entries = await this.client.playback();
    // Trakt can hold 0 % entries: they are not positions (a bad value stays, for `bad_position`).
    const records = entries.filter((e) => holdsPositionField(e.progress)).map((e) => recordFromPlayback(e, { provider: this.id, server: serverId }));
    opts.onPage?.(records.length, records.length);
    yield records;
  }

  /** Trakt's native ids are playback ids (what `listProgress` records carry): one read of the list. */
  async readItems(nativeIds: string[]): Promise<ProgressRecord[]> {
    if (nativeIds.length === 0) return [];
    const wanted = new Set(nativeIds);
    const out: ProgressRecord[] = [];
    for await (const page of this.listProgress()) out.push(...page.filter((r) => wanted.has(r.ref.id)));
    return out;
  }

  /**
   * Plays logged at or after `since`: one `/sync/last_activities` first, and a kind (movies,
   * episodes) whose `watched_at` stamp is older than `since` is not read at all (a play is logged
   * no earlier than its own time, so none of its plays can be that recent). The others are read
   * from `/sync/history/{kind}?start_at=`, newest first, paged; an item watched several times is
   * given once, at its latest play.
   */
  async *listFinished(since: number, opts: ListOptions = {}): AsyncIterable<ProgressRecord[]> {
    const { serverId } = await this.connect();
    const stamps = await this.client.lastActivities();
    const given = new Set<string>();
    for (const kind of ['movies', 'episodes'] as const) {
      // Trakt says "never" with the epoch itself; a stamp we cannot read is no reason to skip.
      const stamp = Date.parse(stamps[kind].watched_at);
      if (Number.isFinite(stamp) && stamp < since) continue;
      for await (const page of this.client.history(`/sync/history/${kind}`, { start_at: new Date(since).toISOString() })) {
        const records = page.flatMap((play) => {
          const record = recordFromHistory(play, { provider: this.id, server: serverId });
          if (!record || given.has(record.ref.id)) return [];
          given.add(record.ref.id);
          return [record];
        });
        opts.onPage?.(given.size, undefined);
        if (records.length > 0) yield records;
      }
    }
  }

  /**
   * The latest play of each item these native ids name (an item key, or the playback id of an
   * entry still saved), whatever its time; the record keeps the id it was asked by. An item never
   * played, or an id naming nothing any more, is absent. Per item: its Trakt id (one search,
   * remembered) and its newest play (`/sync/history/{kind}/{trakt id}`).
   */
  async readFinished(nativeIds: string[]): Promise<ProgressRecord[]> {
    if (nativeIds.length === 0) return [];
    const { serverId } = await this.connect();
    const out: ProgressRecord[] = [];
    for (const [id, identity] of await this.identitiesOf([...new Set(nativeIds)])) {
      const play = await this.latestPlay(identity);
      const record = play && recordFromHistory(play, { provider: this.id, server: serverId }, id);
      if (record) out.push(record);
    }
    return out;
  }

  /** The items native ids name: an item key names itself; playback ids are looked up in one read of the list. */
  private async identitiesOf(ids: string[]): Promise<Map<string, ItemIdentity>> {
    const out = new Map<string, ItemIdentity>();
    const byPlayback = ids.filter((id) => !identityOfRef(this.itemIdOf(id)) && /^\d+$/.test(id));
    const find = byPlayback.length > 0 ? await this.playbackFinder() : undefined;
    for (const id of ids) {
      const named = identityOfRef(this.itemIdOf(id));
      const entry = named ? undefined : find?.({ provider: this.id, server: '', id });
      const identity = named ?? (entry && recordFromPlayback(entry, { provider: this.id, server: '' }));
      if (identity) out.set(id, identity);
    }
    return out;
  }

  /** The newest play of an item, or undefined (not played, or not on Trakt). */
  private async latestPlay(item: ItemIdentity): Promise<HistoryEntry | undefined> {
    if (item.type === 'movie') return this.newestOf('movie', item.ids);
    const { season, episode } = item;
    if (item.show && season !== undefined && episode !== undefined) {
      const show = await this.traktId('show', item.show.ids);
      if (show !== undefined) {
        // A show's plays, newest first: the first of this episode is its latest.
        for await (const page of this.client.history(`/sync/history/shows/${show}`)) {
          const found = page.find((p) => p.type === 'episode' && p.episode.season === season && p.episode.number === episode);
          if (found) return found;
        }
        return undefined;
      }
    }
    return this.newestOf('episode', item.ids);
  }

  /** The newest play of a movie or an episode named by its own ids. */
  private async newestOf(type: 'movie' | 'episode', ids: ExternalIds): Promise<HistoryEntry | undefined> {
    const traktId = await this.traktId(type, ids);
    if (traktId === undefined) return undefined;
    for await (const page of this.client.history(`/sync/history/${type}s/${traktId}`, {}, 1)) return page[0];
    return undefined;
  }

  /** The Trakt id of an item by the first of its external ids Trakt finds; remembered per instance. */
  private async traktId(type: 'movie' | 'show' | 'episode', ids: ExternalIds): Promise<number | undefined> {
    for (const kind of ID_KINDS) {
      const value = ids[kind];
      if (!value) continue;
      const key = `${type}:${kind}:${value}`;
      if (!this.traktIds.has(key)) this.traktIds.set(key, await this.client.traktIdOf(kind, value, type));
      const found = this.traktIds.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async resolve(items: ResolveRequest[]): Promise<Map<string, ResolveOutcome>> {
    const { serverId } = await this.connect();
    const out = new Map<string, ResolveOutcome>();
    for (const item of items) {
      const key = canonicalKey(item);
      const named = key === undefined ? undefined : identityOfRef(key);
      if (key === undefined || !named || !scrobbleBody(named, 1)) {
        out.set(item.key, { unresolved: 'Trakt needs imdb/tmdb/tvdb ids (episodes: the show ids with season/episode, or the episode ids)' });
        continue;
      }
      out.set(item.key, { ref: { provider: this.id, server: serverId, id: key } });
    }
    return out;
  }

  /** The current playback list, matched to the refs. One read per call. */
  async targetState(refs: NativeRef[]): Promise<Map<string, TargetState>> {
    const out = new Map<string, TargetState>();
    if (refs.length === 0) return out;
    const find = await this.playbackFinder();
    for (const ref of refs) {
      if (!isTraktRef(ref)) continue;
      const entry = find(ref);
      // Trakt keeps watched history apart from playback: a position never hides behind a watched flag.
      const state: TargetState = { ref, watched: false, playCount: 0, playingNow: false };
      if (entry) {
        Object.assign(state, positionFrom('progressPct', 'progress', entry.progress, undefined, 100));
        const at = Date.parse(entry.paused_at);
        if (Number.isFinite(at)) state.progressAt = at;
      }
      out.set(ref.id, state);
    }
    return out;
  }

  /**
   * Reads the playback list once and returns a lookup: a resolved ref (an item key) by the item's
   * external ids, a listed record's ref by its playback id.
   */
  private async playbackFinder(): Promise<(ref: NativeRef) => PlaybackEntry | undefined> {
    await this.connect();
    const byToken = new Map<string, PlaybackEntry>();
    const byPlaybackId = new Map<string, PlaybackEntry>();
    for (const entry of await this.client.playback()) {
      byPlaybackId.set(String(entry.id), entry);
      const record = recordFromPlayback(entry, { provider: this.id, server: '' });
      for (const token of matchTokens(record)) byToken.set(token, entry);
    }
    return (ref) => {
      const identity = identityOfRef(this.itemIdOf(ref.id));
      if (!identity) return byPlaybackId.get(ref.id);
      return matchTokens(identity)
        .map((t) => byToken.get(t))
        .find((e) => e !== undefined);
    };
  }

  /** The item a ref names: read from a resolved ref itself, looked up for a listed record's ref. */
  private async identityOf(ref: NativeRef): Promise<ItemIdentity> {
    const named = identityOfRef(this.itemIdOf(ref.id));
    if (named) return named;
    this.checkRef(ref);
    const entry = (await this.playbackFinder())(ref);
    if (!entry) throw new ProviderError('not_found', this.id, `${this.id}: playback ${ref.id} is no longer saved on Trakt`);
    return recordFromPlayback(entry, { provider: this.id, server: '' });
  }

  /**
   * The id to find an item by: a playback id whose entry a play logged here dropped stands for
   * the item it named (its canonical key, kept in the provider's state, so a later run's undo can
   * still name it); any other id is itself.
   */
  private itemIdOf(refId: string): string {
    return identityOfRef(refId) ? refId : (this.ctx.state.get(loggedPlaybackKey(refId)) ?? refId);
  }

  /** Refuses a ref that is neither form of Trakt ref (another provider's native id). */
  private checkRef(ref: NativeRef): void {
    if (!isTraktRef(ref)) throw new ProviderError('config', this.id, `${this.id}: ${ref.id} names no Trakt item (neither its ids nor a playback id)`);
  }

  async clear(ref: NativeRef): Promise<void> {
    this.checkRef(ref);
    const entry = (await this.playbackFinder())(ref);
    // Nothing saved for the item: already clear.
    if (entry) await this.client.removePlayback(entry.id);
  }

  /**
   * Logs a play of the item (`/scrobble/stop` at 100 %); Trakt drops its playback entry with it,
   * so it leaves Continue Watching. A 409 says Trakt logged a play of it moments ago (the item's
   * scrobble window is still open): that play stands, and the position is removed here.
   */
  async markWatched(ref: NativeRef): Promise<void> {
    const identity = await this.identityOf(ref);
    const body = scrobbleBody(identity, 100);
    if (!body) throw new ProviderError('config', this.id, `${this.id}: ${ref.id} has no ids Trakt knows`);
    const key = canonicalKey(identity);
    // A playback id names nothing once the play drops its entry: remember the item for undo.
    if (key !== undefined && key !== ref.id) this.ctx.state.set(loggedPlaybackKey(ref.id), key);
    await this.connect();
    try {
      const answer = await this.client.stop(body);
      if (answer.action !== 'scrobble') {
        throw new ProviderError('bad_response', this.id, `${this.id}: Trakt answered the stop of ${ref.id} with "${answer.action}", not a play`);
      }
    } catch (err) {
      if (!(err instanceof ProviderError && err.status === 409)) throw err;
      await this.clear(ref);
    }
  }

  /**
   * Removes the item's plays logged at or after `since` (one read of the kind's history since
   * then, `/sync/history/remove` by play id), so a play the person logged before stays. Trakt
   * keeps watched times in whole seconds: `since` counts from the start of its second.
   */
  async markUnwatched(ref: NativeRef, since?: number): Promise<void> {
    if (since === undefined) throw new ProviderError('config', this.id, `${this.id}: Trakt removes only the plays logged since a time, and none was given`);
    const identity = await this.identityOf(ref);
    const wanted = new Set(matchTokens(identity));
    const from = Math.floor(since / 1000) * 1000;
    const kind = identity.type === 'movie' ? 'movies' : 'episodes';
    const playIds: number[] = [];
    await this.connect();
    for await (const page of this.client.history(`/sync/history/${kind}`, { start_at: new Date(from).toISOString() })) {
      for (const play of page) {
        const record = recordFromHistory(play, { provider: this.id, server: '' });
        // Re-checked here: the time filter is the server's, the item is ours to pick.
        if (record?.watchedAt !== undefined && record.watchedAt >= from && matchTokens(record).some((t) => wanted.has(t))) playIds.push(play.id);
      }
    }
    if (playIds.length > 0) await this.client.removeHistory(playIds);
  }

  async write(ref: NativeRef, value: ProgressValue): Promise<void> {
    const identity = await this.identityOf(ref);
    if (value.progressPct === undefined) {
      throw new ProviderError('bad_response', this.id, `${this.id}: cannot write ${ref.id} to Trakt: no duration to turn the position into a percent`);
    }
    const body = scrobbleBody(identity, value.progressPct);
    if (!body) throw new ProviderError('config', this.id, `${this.id}: ${ref.id} has no ids Trakt knows`);
    await this.connect();
    await this.client.pause(body);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
