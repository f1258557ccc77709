// The Trakt provider: one instance = one Trakt account (signed in with `playhead auth <name>`).
// Trakt needs no native id to write: items are named by their external ids, so "resolving" an
// item means knowing its ids, a ref's id is the item's canonical key (every method reads the
// item back from it, whatever ran before), and its live state is the playback list.
import type { TraktProviderConfig } from './config.ts';
import { canonicalKey, matchTokens } from '../../core/ids.ts';
import type { ItemIdentity, NativeRef, ProgressRecord, ProgressValue, TargetState } from '../../core/model.ts';
import type { Capabilities, ListOptions, Provider, ProviderContext, ResolveOutcome, ResolveRequest, ServerInfo } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import { traktCapabilities } from './capabilities.ts';
import { type TraktClient, traktClientFor } from './client.ts';
import { recordFromPlayback } from './index.ts';
import { loadTokens, refreshTokens, REFRESH_MARGIN_MS, saveTokens } from './oauth.ts';
import type { PlaybackEntry } from './schema.ts';
import { identityOfRef, scrobbleBody } from './write.ts';
import { holdsPositionField, positionFrom } from '../wire.ts';

/**
 * A Trakt ref is either an item key (what `resolve` hands out: the item's canonical key, which
 * names it by its ids) or a playback id (what `listProgress` records carry).
 */
function isTraktRef(ref: NativeRef): boolean {
  return identityOfRef(ref.id) !== undefined || /^\d+$/.test(ref.id);
}

export class TraktProvider implements Provider {
  readonly kind = 'trakt';
  readonly capabilities: Capabilities;
  readonly client: TraktClient;
  private info: ServerInfo | undefined;

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
      const identity = identityOfRef(ref.id);
      if (!identity) return byPlaybackId.get(ref.id);
      return matchTokens(identity)
        .map((t) => byToken.get(t))
        .find((e) => e !== undefined);
    };
  }

  /** The item a ref names: read from a resolved ref itself, looked up for a listed record's ref. */
  private async identityOf(ref: NativeRef): Promise<ItemIdentity> {
    const named = identityOfRef(ref.id);
    if (named) return named;
    this.checkRef(ref);
    const entry = (await this.playbackFinder())(ref);
    if (!entry) throw new ProviderError('not_found', this.id, `${this.id}: playback ${ref.id} is no longer saved on Trakt`);
    return recordFromPlayback(entry, { provider: this.id, server: '' });
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
