// What Jellyfin and Emby announce about play state: messages on the websocket (`/socket` for
// Jellyfin, `/embywebsocket` for Emby) and webhook posts (Jellyfin's Webhook plugin with its
// "send all properties" JSON; Emby's built-in webhooks). Field lists: ../../shared/protocols.md
// (Jellyfin notifications and Webhook plugin, Emby webhooks).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Admission, NotificationSockets, SocketClient } from '../common/sockets.ts';
import { headerReader } from '../common/http.ts';
import type { Webhooks } from '../common/webhooks.ts';
import { callerForToken, readCredentials } from './auth.ts';
import type { MbItem, MbUser } from './data.ts';
import { detailOptions, renderItem, renderSession, renderUserData } from './render.ts';
import { isAdmin, Params, type Caller, type MbEnv, type MbEvents, type MbPlaybackEvent } from './request.ts';
import { isoTicks, TICKS_PER_SECOND } from './time.ts';

export interface MbSocketInfo {
  caller: Caller;
  /** Sent SessionsStart (and no SessionsStop since): gets `Sessions` on every session change. */
  sessions: boolean;
}

/** What a client's KeepAlive must beat, in seconds; clients send one every half of it. */
const KEEP_ALIVE_SECONDS = 60;

const SOCKET_PATH = { jellyfin: '/socket', emby: '/embywebsocket' } as const;

/** The websocket takes the same credentials as the HTTP routes (query api_key/ApiKey or a header). */
export function admitMbSocket(env: MbEnv, req: IncomingMessage, url: URL, path: string): Admission<MbSocketInfo> | null {
  if (path.toLowerCase() !== SOCKET_PATH[env.dialect]) return null;
  const request = { method: 'GET', path, params: new Params(url.searchParams), header: headerReader(req), body: '' };
  const caller = callerForToken(readCredentials(request, env.dialect, env.legacyAuth).token, env.data());
  if (!caller) return { ok: false, status: 401 };
  return { ok: true, info: { caller, sessions: false } };
}

function userIdOf(caller: Caller): string | undefined {
  return caller.kind === 'user' ? caller.user.id : undefined;
}

/** hh:mm:ss, the Webhook plugin's PlaybackPosition and RunTime. */
function clockTime(ticks: number): string {
  const total = Math.floor(ticks / TICKS_PER_SECOND);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

export function mediaBrowserEvents(
  env: MbEnv,
  sockets: () => NotificationSockets<MbSocketInfo> | undefined,
  webhooks: Webhooks,
): MbEvents & {
  onSocketOpen(client: SocketClient<MbSocketInfo>): void;
  onSocketMessage(client: SocketClient<MbSocketInfo>, text: string): void;
  userDataSaved(userId: string, itemId: string): void;
} {
  const jellyfin = env.dialect === 'jellyfin';

  function message(type: string, data?: unknown) {
    // Jellyfin's outbound messages carry a MessageId; Emby's do not.
    return { MessageType: type, ...(data !== undefined ? { Data: data } : {}), ...(jellyfin ? { MessageId: randomUUID().replaceAll('-', '') } : {}) };
  }

  function sessionsFor(caller: Caller) {
    const own = userIdOf(caller);
    return env
      .data()
      .sessions.filter((s) => isAdmin(caller) || s.userId === own)
      .sort((a, b) => Date.parse(b.lastActivityDate) - Date.parse(a.lastActivityDate))
      .map((s) => renderSession(env, s));
  }

  function pushSessions(): void {
    for (const client of sockets()?.clients() ?? []) {
      if (client.info.sessions) client.socket.send(JSON.stringify(message('Sessions', sessionsFor(client.info.caller))));
    }
  }

  /** The user's own sockets, plus API-key sockets (which belong to no user and see everything). */
  const forUser = (userId: string, orAdmin: boolean) => (info: MbSocketInfo) =>
    info.caller.kind === 'apiKey' || userIdOf(info.caller) === userId || (orAdmin && isAdmin(info.caller));

  // UserDataChanged goes out once per user per burst of saves (a series marked played saves
  // every episode), as the servers batch their user-data notifications.
  const pending = new Map<string, Set<string>>();
  function flushUserData(): void {
    for (const [userId, itemIds] of pending) {
      const list = [...itemIds].flatMap((id) => {
        const item = env.catalog.item(id);
        return item ? [renderUserData(env, userId, item, { list: false, fields: new Set() })] : [];
      });
      sockets()?.broadcast(message('UserDataChanged', { UserId: userId, UserDataList: list }), forUser(userId, false));
      if (jellyfin) {
        const user = env.data().users.find((u) => u.id === userId);
        for (const id of itemIds) {
          const item = env.catalog.item(id);
          if (item && user) jellyfinWebhook('UserDataSaved', item, userDataFields(user, item));
        }
      }
    }
    pending.clear();
  }

  function serverFields() {
    const data = env.data();
    const now = env.now();
    return {
      ServerId: data.serverId,
      ServerName: data.serverName,
      ServerVersion: data.version,
      ServerUrl: '',
      Timestamp: isoTicks(now),
      UtcTimestamp: isoTicks(now),
    };
  }

  function itemFields(item: MbItem): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      Name: item.Name,
      ItemId: item.Id,
      ItemType: item.Type,
      ...(item.ProductionYear !== undefined ? { Year: item.ProductionYear } : {}),
      ...(item.Overview !== undefined ? { Overview: item.Overview } : {}),
    };
    if (item.Type === 'Episode') {
      const series = item.SeriesId !== undefined ? env.catalog.item(item.SeriesId) : undefined;
      if (series) fields.SeriesName = series.Name;
      if (item.ParentIndexNumber !== undefined) fields.SeasonNumber = item.ParentIndexNumber;
      if (item.IndexNumber !== undefined) fields.EpisodeNumber = item.IndexNumber;
    }
    if (item.RunTimeTicks !== undefined) Object.assign(fields, { RunTimeTicks: item.RunTimeTicks, RunTime: clockTime(item.RunTimeTicks) });
    // The plugin names each provider id Provider_<provider in lower case>.
    for (const [provider, id] of Object.entries(item.ProviderIds)) fields[`Provider_${provider.toLowerCase()}`] = id;
    return fields;
  }

  function userDataFields(user: MbUser, item: MbItem): Record<string, unknown> {
    const record = env.catalog.userData(user.id, item.Id);
    return {
      UserId: user.id,
      NotificationUsername: user.name,
      PlaybackPositionTicks: record.PlaybackPositionTicks,
      PlaybackPosition: clockTime(record.PlaybackPositionTicks),
      Played: record.Played,
      PlayCount: record.PlayCount,
      Favorite: record.IsFavorite,
    };
  }

  function jellyfinWebhook(type: string, item: MbItem, extra: Record<string, unknown>): void {
    webhooks.send(type, { kind: 'json', value: { ...serverFields(), NotificationType: type, ...itemFields(item), ...extra } });
  }

  function embyWebhook(event: string, title: string, user: MbUser, item: MbItem, extra: Record<string, unknown>): void {
    const data = env.data();
    webhooks.send(event, {
      kind: 'json',
      value: {
        Title: title,
        Date: isoTicks(env.now()),
        Event: event,
        User: { Name: user.name, Id: user.id },
        Item: renderItem(env, item, { ...detailOptions(undefined), enableUserData: false }),
        Server: { Name: data.serverName, Id: data.serverId, Version: data.version },
        ...extra,
      },
    });
  }

  function embyPlaybackEvent(event: MbPlaybackEvent): string | undefined {
    if (event.kind === 'start') return 'playback.start';
    if (event.kind === 'stop') return 'playback.stop';
    if (event.isPaused && !event.wasPaused) return 'playback.pause';
    if (!event.isPaused && event.wasPaused) return 'playback.unpause';
    return undefined;
  }

  return {
    onSocketOpen(client) {
      // Both servers tell a new socket how often to send KeepAlive.
      client.socket.send(JSON.stringify(message('ForceKeepAlive', KEEP_ALIVE_SECONDS)));
    },
    onSocketMessage(client, text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return; // The servers drop what they cannot parse; so does the emulator.
      }
      const type = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).MessageType : undefined;
      if (type === 'KeepAlive') client.socket.send(JSON.stringify(message('KeepAlive')));
      else if (type === 'SessionsStart') {
        client.info.sessions = true;
        client.socket.send(JSON.stringify(message('Sessions', sessionsFor(client.info.caller))));
      } else if (type === 'SessionsStop') client.info.sessions = false;
    },
    userDataSaved(userId, itemId) {
      if (pending.size === 0) queueMicrotask(flushUserData);
      let ids = pending.get(userId);
      if (!ids) pending.set(userId, (ids = new Set()));
      ids.add(itemId);
    },
    playback(event) {
      if (event.kind !== 'progress') {
        const type = event.kind === 'start' ? 'PlaybackStart' : 'PlaybackStopped';
        sockets()?.broadcast(message(type, renderSession(env, event.session)), forUser(event.user.id, true));
      }
      pushSessions();
      const position = event.positionTicks ?? 0;
      if (jellyfin) {
        const type = { start: 'PlaybackStart', progress: 'PlaybackProgress', stop: 'PlaybackStop' }[event.kind];
        jellyfinWebhook(type, event.item, {
          UserId: event.user.id,
          NotificationUsername: event.user.name,
          PlaybackPositionTicks: position,
          PlaybackPosition: clockTime(position),
          IsPaused: event.isPaused,
          ...(event.kind === 'stop' ? { PlayedToCompletion: event.playedToCompletion } : {}),
          DeviceId: event.session.deviceId,
          DeviceName: event.session.deviceName,
          ClientName: event.session.client,
          ...(event.session.mediaSourceId !== undefined ? { MediaSourceId: event.session.mediaSourceId } : {}),
        });
        return;
      }
      const name = embyPlaybackEvent(event);
      if (!name) return;
      const verb = {
        'playback.start': 'has started playing',
        'playback.stop': 'has finished playing',
        'playback.pause': 'has paused',
        'playback.unpause': 'has resumed',
      }[name];
      embyWebhook(name, `${event.user.name} ${verb} ${event.item.Name} on ${event.session.deviceName}`, event.user, event.item, {
        Session: {
          Id: event.session.id,
          DeviceId: event.session.deviceId,
          DeviceName: event.session.deviceName,
          Client: event.session.client,
          ApplicationVersion: event.session.applicationVersion,
        },
        PlaybackInfo: {
          PositionTicks: position,
          ...(event.kind === 'stop' ? { PlayedToCompletion: event.playedToCompletion } : {}),
          ...(event.session.mediaSourceId !== undefined ? { MediaSourceId: event.session.mediaSourceId } : {}),
        },
      });
    },
    marked(user, item, played) {
      if (jellyfin) return; // Jellyfin announces these as UserDataSaved (sent with the save).
      const name = played ? 'item.markplayed' : 'item.markunplayed';
      embyWebhook(name, `${user.name} marked ${item.Name} as ${played ? 'played' : 'unplayed'}`, user, item, {});
    },
  };
}
