// What PMS announces about playback: JSON frames on /:/websockets/notifications and webhook
// posts (multipart, a `payload` JSON part) to the registered URLs. Field lists follow
// ../../shared/protocols.md §1.8–1.9 (python-plexapi's AlertListener, public notification types).
import type { IncomingMessage } from 'node:http';
import type { Admission, NotificationSockets } from '../common/sockets.ts';
import type { Webhooks } from '../common/webhooks.ts';
import type { PlexAccount, PlexItem } from './data.ts';
import { encodeJson } from './encode.ts';
import { accountForRequest, isOwner, type PlexEnv, type PlexEvents, type PlexPlaybackEvent } from './env.ts';
import { LIBRARY_IDENTIFIER, renderItem } from './render.ts';

/** Both spellings: python-plexapi and @ctrl/plex use the plural, the API docs the singular. */
const SOCKET_PATHS = new Set(['/:/websockets/notifications', '/:/websocket/notifications']);

/** PMS's numeric metadata types, as TimelineEntry.type carries them. */
const TYPE_NUMBERS = { movie: 1, show: 2, season: 3, episode: 4 } as const;

/** TimelineEntry.state 5: "processed", the state PMS reports for an item whose metadata changed. */
const TIMELINE_PROCESSED = 5;

export interface PlexSocketInfo {
  accountId: number;
}

/**
 * Only the server owner's token opens the socket: it carries every user's sessions, and
 * sessions are mapped to users through the owner-only /status/sessions. Anything else is 401.
 */
export function admitPlexSocket(env: PlexEnv, req: IncomingMessage, url: URL): Admission<PlexSocketInfo> | null {
  const path = url.pathname.replace(/\/+$/, '');
  if (!SOCKET_PATHS.has(path)) return null;
  const header = (name: string) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const account = accountForRequest({ method: 'GET', path, params: url.searchParams, header }, env);
  if (!account || !isOwner(account, env.data())) return { ok: false, status: 401 };
  return { ok: true, info: { accountId: account.id } };
}

function container(type: string, arrayName: string, entries: unknown[]) {
  return { NotificationContainer: { type, size: entries.length, [arrayName]: entries } };
}

/** The webhook event a report is, or none: progress reports while playing are not events. */
function webhookEvent(event: PlexPlaybackEvent): string | undefined {
  if (event.state === 'stopped') return 'media.stop';
  if (event.state === 'paused') return event.previous === 'paused' ? undefined : 'media.pause';
  if (event.state === 'playing') {
    if (event.previous === undefined) return 'media.play';
    if (event.previous === 'paused') return 'media.resume';
  }
  return undefined;
}

/** The item as the library renders it for this account (JSON), for the webhook's Metadata. */
function metadataFor(env: PlexEnv, account: PlexAccount, item: PlexItem): unknown {
  const row = renderItem(item, env.library, { accountId: account.id, includeGuids: true, withSection: true });
  const json = JSON.parse(encodeJson({ tag: 'MediaContainer', attrs: { size: 1 }, children: [row] })) as {
    MediaContainer: { Metadata: unknown[] };
  };
  return json.MediaContainer.Metadata[0];
}

export function plexEvents(env: PlexEnv, sockets: () => NotificationSockets<PlexSocketInfo> | undefined, webhooks: Webhooks): PlexEvents {
  function webhook(name: string, event: PlexPlaybackEvent): void {
    const data = env.data();
    const payload = {
      event: name,
      // `user`: the webhook belongs to this account; `owner`: to the server owner. Registered
      // URLs stand for the owner's webhooks, so a shared user's play has user false.
      user: isOwner(event.account, data),
      owner: true,
      Account: { id: event.account.id, ...(event.account.thumb !== undefined ? { thumb: event.account.thumb } : {}), title: event.account.name },
      Server: { title: data.friendlyName, uuid: data.machineIdentifier },
      Player: { local: true, publicAddress: '127.0.0.1', title: event.playerTitle ?? event.clientIdentifier, uuid: event.clientIdentifier },
      Metadata: metadataFor(env, event.account, event.item),
    };
    webhooks.send(name, { kind: 'form', fields: { payload: JSON.stringify(payload) } });
  }

  return {
    playback(event) {
      sockets()?.broadcast(
        container('playing', 'PlaySessionStateNotification', [
          {
            sessionKey: event.sessionKey,
            clientIdentifier: event.clientIdentifier,
            guid: '',
            ratingKey: event.item.ratingKey,
            url: '',
            key: `/library/metadata/${event.item.ratingKey}`,
            viewOffset: event.viewOffset,
            playQueueItemID: 0,
            state: event.state,
          },
        ]),
      );
      // PMS sends media.scrobble when playback passes the threshold; the emulator decides that
      // at the stop, so the scrobble goes first and the stop follows.
      if (event.scrobbled) webhook('media.scrobble', event);
      const name = webhookEvent(event);
      if (name) webhook(name, event);
    },
    played(_account, leaves) {
      if (leaves.length === 0) return;
      const updatedAt = Math.floor(env.now() / 1000);
      const entries = leaves.map((leaf) => ({
        identifier: LIBRARY_IDENTIFIER,
        // Strings, as @ctrl/plex's TimelineNotification types them (go-plex-client reads numbers;
        // a client should accept both).
        sectionID: leaf.sectionId,
        itemID: leaf.ratingKey,
        type: TYPE_NUMBERS[leaf.type],
        title: leaf.title,
        state: TIMELINE_PROCESSED,
        updatedAt,
      }));
      sockets()?.broadcast(container('timeline', 'TimelineEntry', entries));
    },
  };
}
