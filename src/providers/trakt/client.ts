// Trakt API client: the required headers on every call, the user's bearer token, pagination
// headers followed, and writes paced to Trakt's limit (1 per second per user).
import type { Logger } from 'pino';
import { Connections, HttpClient, type Query } from '../http.ts';
import {
  type HistoryEntry,
  historyList,
  historyRemoved,
  type LastActivities,
  lastActivities,
  playbackList,
  scrobbleResponse,
  type ScrobbleResponse,
  searchResults,
  type PlaybackEntry,
} from './schema.ts';
import type { TraktProviderConfig } from './config.ts';

export const PLAYBACK_PAGE_SIZE = 1000;
/** Plays per `/sync/history` page (Trakt caps page sizes; 100 is well inside what it serves). */
export const HISTORY_PAGE_SIZE = 100;
const PACING_MARGIN_MS = 50;

export interface TraktClientOptions {
  provider: string;
  url: string;
  authUrl: string;
  clientId: string;
  timeoutMs: number;
  retries: number;
  writesPerSecond: number;
  log: Logger;
  minBackoffMs?: number;
  /** Waits (injectable so tests need not sleep through the pacing). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A client for one configured Trakt provider (its settings, plus the run's log and clock). */
export function traktClientFor(
  id: string,
  config: TraktProviderConfig,
  extra: Pick<TraktClientOptions, 'log' | 'now' | 'minBackoffMs' | 'sleep'>,
): TraktClient {
  const { url, authUrl, clientId, timeoutMs, retries, writesPerSecond } = config;
  return new TraktClient({ provider: id, url, authUrl, clientId, timeoutMs, retries, writesPerSecond, ...extra });
}

export class TraktClient {
  readonly api: HttpClient;
  /** OAuth host (api.trakt.tv for older apps, auth.trakt.tv for new ones). */
  readonly auth: HttpClient;
  private accessToken: string | undefined;
  private nextWriteAt = 0;
  private readonly opts: TraktClientOptions;
  /** One set of connections for the API and OAuth hosts. */
  private readonly connections = new Connections();

  constructor(opts: TraktClientOptions) {
    this.opts = opts;
    const common = {
      connections: this.connections,
      provider: opts.provider,
      timeoutMs: opts.timeoutMs,
      retries: opts.retries,
      log: opts.log,
      ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
      headers: { 'trakt-api-version': '2', 'trakt-api-key': opts.clientId, 'user-agent': 'Playhead/0.1.0' },
    };
    this.api = new HttpClient({
      ...common,
      baseUrl: opts.url,
      // Trakt answers 401 to a lapsed or revoked sign-in and 403 to an unknown app.
      refusedHints: {
        401: `the Trakt sign-in is no longer valid: run \`playhead auth ${opts.provider}\``,
        403: 'Trakt does not know this app: check client_id',
      },
    });
    this.auth = new HttpClient({ ...common, baseUrl: opts.authUrl, retries: 0 });
  }

  /** Ends this client's keep-alive connections (API and OAuth hosts). */
  close(): Promise<void> {
    return this.connections.close();
  }

  useToken(accessToken: string): void {
    this.accessToken = accessToken;
  }

  private userHeaders(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}) };
  }

  /** Every saved playback position, following the pagination headers. */
  async playback(): Promise<PlaybackEntry[]> {
    const out: PlaybackEntry[] = [];
    for (let page = 1; ; page++) {
      const query: Query = { extended: 'full', page, limit: PLAYBACK_PAGE_SIZE };
      const { body, headers } = await this.api.json(playbackList, 'GET', '/sync/playback', query, this.userHeaders());
      out.push(...body);
      const pages = Number(headers['x-pagination-page-count'] ?? '1');
      if (!Number.isFinite(pages) || page >= pages || body.length === 0) return out;
    }
  }

  /** `/sync/last_activities`: one small answer saying when plays and positions last changed. */
  async lastActivities(): Promise<LastActivities> {
    return (await this.api.json(lastActivities, 'GET', '/sync/last_activities', undefined, this.userHeaders())).body;
  }

  /**
   * Plays under a `/sync/history` path (`/sync/history/movies`, `/sync/history/shows/{id}`, …),
   * newest first, one page at a time (`limit` per page), following the pagination headers.
   * The caller stops early by leaving the loop.
   */
  async *history(path: string, query: Query = {}, limit = HISTORY_PAGE_SIZE): AsyncIterable<HistoryEntry[]> {
    for (let page = 1; ; page++) {
      const { body, headers } = await this.api.json(historyList, 'GET', path, { ...query, extended: 'full', page, limit }, this.userHeaders());
      yield body;
      const pages = Number(headers['x-pagination-page-count'] ?? '1');
      if (!Number.isFinite(pages) || page >= pages || body.length === 0) return;
    }
  }

  /** The Trakt id of the movie, show or episode an external id names (`/search/{kind}/{id}`), if any. */
  async traktIdOf(kind: string, id: string, type: 'movie' | 'show' | 'episode'): Promise<number | undefined> {
    const path = `/search/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
    const { body } = await this.api.json(searchResults, 'GET', path, { type }, this.userHeaders());
    return body.find((r) => r.type === type)?.[type]?.ids.trakt;
  }

  /** Saves a playback position (`/scrobble/pause`: the one call that stores progress without a play). */
  async pause(body: Record<string, unknown>): Promise<void> {
    // The answer is validated (a 201 with another shape would be a Trakt we do not understand).
    await this.paced(() => this.api.json(scrobbleResponse, 'POST', '/scrobble/pause', undefined, this.userHeaders(), JSON.stringify(body)));
  }

  /** Logs a play (`/scrobble/stop` at or past Trakt's threshold; Trakt drops the item's playback
   * entry with it). The answer says what Trakt did: `scrobble` for a play. */
  async stop(body: Record<string, unknown>): Promise<ScrobbleResponse> {
    return (await this.paced(() => this.api.json(scrobbleResponse, 'POST', '/scrobble/stop', undefined, this.userHeaders(), JSON.stringify(body)))).body;
  }

  /** Removes plays from the history by their own ids (never every play of an item). */
  async removeHistory(playIds: number[]): Promise<void> {
    const body = JSON.stringify({ ids: playIds });
    await this.paced(() => this.api.json(historyRemoved, 'POST', '/sync/history/remove', undefined, this.userHeaders(), body));
  }

  /** Drops one saved playback position by its playback id. */
  async removePlayback(playbackId: number): Promise<void> {
    await this.paced(() => this.api.send('DELETE', `/sync/playback/${playbackId}`, undefined, this.userHeaders()));
  }

  /**
   * Runs one write no sooner than a period after the previous one ended. Counting from the end
   * (not the start) keeps the spacing when a write was retried after a 429: its last attempt is
   * what Trakt counted.
   */
  private async paced<T>(write: () => Promise<T>): Promise<T> {
    const now = this.opts.now ?? Date.now;
    const wait = Math.max(0, this.nextWriteAt - now());
    if (wait > 0) await (this.opts.sleep ?? realSleep)(wait);
    try {
      return await write();
    } finally {
      this.nextWriteAt = now() + this.writeGapMs();
    }
  }

  /** A little over the limit's period: timers and clocks drift by milliseconds, and a write that
   * arrives 1 ms early is a 429. */
  private writeGapMs(): number {
    return 1000 / this.opts.writesPerSecond + PACING_MARGIN_MS;
  }
}
