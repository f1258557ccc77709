// Plex Media Server HTTP client: the routes Playhead uses, JSON via `Accept`, one token per
// instance, a stable client identifier, paging with X-Plex-Container-Start/Size.
import type { Logger } from 'pino';
import { HttpClient, type Query } from '../http.ts';
import { identityContainer, metadataContainer, sectionsContainer, serverInfoContainer, sessionsContainer, type PlexMetadata } from './schema.ts';

const PLEX_LIBRARY_IDENTIFIER = 'com.plexapp.plugins.library';
/** Most ids per `/library/metadata/{a,b,c}` call: keeps URLs well under common limits. */
const METADATA_BATCH = 100;

export interface PlexClientOptions {
  provider: string;
  url: string;
  token: string;
  clientId: string;
  timeoutMs: number;
  retries: number;
  log: Logger;
  minBackoffMs?: number;
}

export interface PlexPage {
  rows: PlexMetadata[];
  totalSize: number | undefined;
  /** The server's clock at the time of the answer (epoch s), from the Date header. */
  serverTime: number | undefined;
}

export interface PlexSection {
  id: string;
  type: string;
  title: string;
}

export class PlexClient {
  readonly http: HttpClient;

  constructor(opts: PlexClientOptions) {
    this.http = new HttpClient({
      provider: opts.provider,
      baseUrl: opts.url,
      timeoutMs: opts.timeoutMs,
      retries: opts.retries,
      log: opts.log,
      ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
      headers: {
        'X-Plex-Token': opts.token,
        'X-Plex-Client-Identifier': opts.clientId,
        'X-Plex-Product': 'Playhead',
        'X-Plex-Version': '0.1.0',
        'X-Plex-Platform': 'Node.js',
        'X-Plex-Device-Name': 'Playhead',
      },
    });
  }

  /** Ends this client's keep-alive connections. */
  close(): Promise<void> {
    return this.http.close();
  }

  async identity(): Promise<{ machineIdentifier: string; version: string }> {
    const { body } = await this.http.json(identityContainer, 'GET', '/identity');
    return { machineIdentifier: body.MediaContainer.machineIdentifier, version: body.MediaContainer.version ?? 'unknown' };
  }

  async serverInfo(): Promise<{ machineIdentifier: string; friendlyName: string; version: string; owner?: string }> {
    const { body } = await this.http.json(serverInfoContainer, 'GET', '/');
    const c = body.MediaContainer;
    return {
      machineIdentifier: c.machineIdentifier,
      friendlyName: c.friendlyName ?? c.machineIdentifier,
      version: c.version ?? 'unknown',
      ...(c.myPlexUsername ? { owner: c.myPlexUsername } : {}),
    };
  }

  async sections(): Promise<PlexSection[]> {
    const { body } = await this.http.json(sectionsContainer, 'GET', '/library/sections');
    return (body.MediaContainer.Directory ?? []).map((d) => ({ id: String(d.key), type: d.type, title: d.title }));
  }

  /** One page of a section listing with media-query filters. */
  async sectionPage(sectionId: string, query: Query, start: number, size: number): Promise<PlexPage> {
    const path = `/library/sections/${encodeURIComponent(sectionId)}/all`;
    const { body, headers } = await this.http.json(metadataContainer, 'GET', path, query, {
      'X-Plex-Container-Start': String(start),
      'X-Plex-Container-Size': String(size),
    });
    const c = body.MediaContainer;
    const headerTotal = headers['x-plex-container-total-size'];
    const totalSize = c.totalSize ?? (headerTotal !== undefined ? Number(headerTotal) : undefined);
    const date = headers.date ? Date.parse(headers.date) : NaN;
    return { rows: c.Metadata ?? [], totalSize, serverTime: Number.isFinite(date) ? Math.floor(date / 1000) : undefined };
  }

  /** Full metadata for several items in one call per METADATA_BATCH ids. Unknown ids are simply absent. */
  async metadata(ratingKeys: string[], includeGuids = true): Promise<PlexMetadata[]> {
    const out: PlexMetadata[] = [];
    for (let i = 0; i < ratingKeys.length; i += METADATA_BATCH) {
      const batch = ratingKeys.slice(i, i + METADATA_BATCH);
      const path = `/library/metadata/${batch.map(encodeURIComponent).join(',')}`;
      try {
        const { body } = await this.http.json(metadataContainer, 'GET', path, includeGuids ? { includeGuids: 1 } : undefined);
        out.push(...(body.MediaContainer.Metadata ?? []));
      } catch (err) {
        // PMS answers 404 when none of the ids exist: that is "no rows", not a failure.
        if ((err as { kind?: string }).kind !== 'not_found') throw err;
      }
    }
    return out;
  }

  /** Sessions playing now; undefined when this token may not see them (non-owner → 403). */
  async sessions(): Promise<{ ratingKey: string; sessionKey?: string; userId?: string; userTitle?: string; state?: string }[] | undefined> {
    try {
      const { body } = await this.http.json(sessionsContainer, 'GET', '/status/sessions');
      return (body.MediaContainer.Metadata ?? []).map((m) => ({
        ratingKey: String(m.ratingKey),
        ...(m.sessionKey !== undefined ? { sessionKey: String(m.sessionKey) } : {}),
        ...(m.User?.id !== undefined ? { userId: String(m.User.id) } : {}),
        ...(m.User?.title !== undefined ? { userTitle: m.User.title } : {}),
        ...(m.Player?.state !== undefined ? { state: m.Player.state } : {}),
      }));
    } catch (err) {
      if ((err as { status?: number }).status === 403) return undefined;
      throw err;
    }
  }

  /**
   * Stores a resume position the way a player does when it stops: `POST /:/timeline` with
   * state=stopped. Unlike `/:/progress` this works for shared and managed users' tokens.
   */
  async timelineStopped(ratingKey: string, timeMs: number, durationMs: number): Promise<void> {
    await this.http.send('POST', '/:/timeline', {
      ratingKey,
      key: `/library/metadata/${ratingKey}`,
      identifier: PLEX_LIBRARY_IDENTIFIER,
      state: 'stopped',
      time: Math.max(0, Math.round(timeMs)),
      duration: Math.max(0, Math.round(durationMs)),
    });
  }

  /** Marks an item played (viewCount + 1, offset cleared). */
  async scrobble(ratingKey: string): Promise<void> {
    await this.http.send('PUT', '/:/scrobble', { key: ratingKey, identifier: PLEX_LIBRARY_IDENTIFIER });
  }

  /** Marks an item unplayed (viewCount 0, offset cleared). */
  async unscrobble(ratingKey: string): Promise<void> {
    await this.http.send('PUT', '/:/unscrobble', { key: ratingKey, identifier: PLEX_LIBRARY_IDENTIFIER });
  }
}
