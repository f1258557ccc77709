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
import type { UserDataSaveReason } from './library.ts';
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
  userDataSaved(userId: string, itemId: string, reason: UserDataSaveReason): void;
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
  const pending = new Map<string, Map<string, UserDataSaveReason>>();
  function flushUserData(): void {
    for (const [userId, saves] of pending) {
      const list = [...saves.keys()].flatMap((id) => {
        const item = env.catalog.item(id);
        return item ? [renderUserData(env, userId, item, { list: false, fields: new Set() })] : [];
      });
      sockets()?.broadcast(message('UserDataChanged', { UserId: userId, UserDataList: list }), forUser(userId, false));
      if (jellyfin) {
        const user = env.data().users.find((u) => u.id === userId);
        for (const [id, reason] of saves) {
          const item = env.catalog.item(id);
          if (item && user) jellyfinWebhook('UserDataSaved', item, { ...userDataFields(user, item), SaveReason: reason });
        }
      }
    }
    pending.clear();
  }

  function serverFields() {
    const data = env.data();
    // ServerUrl is a plugin setting; the emulator has none configured.
    return { ServerId: data.serverId, ServerName: data.serverName, ServerVersion: data.version, ServerUrl: '' };
  }

  const pad = (n: number, width: number) => String(n).padStart(width, '0');

  /** The plugin's base-item variables (its DataObjectHelpers.AddBaseItemData, for the types emulated). */
  function itemFields(item: MbItem): Record<string, unknown> {
    const now = isoTicks(env.now());
    const fields: Record<string, unknown> = {
      Timestamp: now,
      UtcTimestamp: now,
      Name: item.Name,
      Overview: item.Overview ?? '',
      Tagline: '',
      ItemId: item.Id,
      ItemType: item.Type,
      RunTimeTicks: item.RunTimeTicks ?? 0,
      RunTime: clockTime(item.RunTimeTicks ?? 0),
    };
    if (item.ProductionYear !== undefined) fields.Year = item.ProductionYear;
    if (item.PremiereDate !== undefined) fields.PremiereDate = item.PremiereDate.slice(0, 10);
    if (item.Path !== undefined) fields.Path = item.Path;
    if (item.Type === 'Episode') {
      const series = item.SeriesId !== undefined ? env.catalog.item(item.SeriesId) : undefined;
      if (series) {
        fields.SeriesName = series.Name;
        fields.SeriesId = series.Id;
        // An episode's Year is its series' year.
        if (series.ProductionYear !== undefined) fields.Year = series.ProductionYear;
      }
      if (item.SeasonId !== undefined) fields.SeasonId = item.SeasonId;
      if (item.ParentIndexNumber !== undefined) {
        Object.assign(fields, {
          SeasonNumber: item.ParentIndexNumber,
          SeasonNumber00: pad(item.ParentIndexNumber, 2),
          SeasonNumber000: pad(item.ParentIndexNumber, 3),
        });
      }
      if (item.IndexNumber !== undefined) {
        Object.assign(fields, { EpisodeNumber: item.IndexNumber, EpisodeNumber00: pad(item.IndexNumber, 2), EpisodeNumber000: pad(item.IndexNumber, 3) });
      }
    }
    // The plugin names each provider id Provider_<provider in lower case>.
    for (const [provider, id] of Object.entries(item.ProviderIds)) fields[`Provider_${provider.toLowerCase()}`] = id;
    return fields;
  }

  /** The plugin's user-item-data variables (AddUserItemData) plus the user. */
  function userDataFields(user: MbUser, item: MbItem): Record<string, unknown> {
    const record = env.catalog.userData(user.id, item.Id);
    return {
      Likes: record.Likes ?? false,
      Rating: record.Rating ?? 0,
      PlaybackPositionTicks: record.PlaybackPositionTicks,
      PlaybackPosition: clockTime(record.PlaybackPositionTicks),
      PlayCount: record.PlayCount,
      Favorite: record.IsFavorite,
      Played: record.Played,
      AudioStreamIndex: -1,
      SubtitleStreamIndex: -1,
      ...(record.LastPlayedDate !== undefined ? { LastPlayedDate: record.LastPlayedDate } : {}),
      NotificationUsername: user.name,
      UserId: user.id,
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
    userDataSaved(userId, itemId, reason) {
      if (pending.size === 0) queueMicrotask(flushUserData);
      let saves = pending.get(userId);
      if (!saves) pending.set(userId, (saves = new Map()));
      saves.set(itemId, reason);
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
        // The plugin's AddPlaybackProgressData, then the user (one post per user of the session).
        jellyfinWebhook(type, event.item, {
          PlaybackPositionTicks: position,
          PlaybackPosition: clockTime(position),
          MediaSourceId: event.mediaSourceId ?? null,
          IsPaused: event.isPaused,
          IsAutomated: false,
          DeviceId: event.session.deviceId,
          DeviceName: event.session.deviceName,
          ClientName: event.session.client,
          ...(event.playMethod !== undefined ? { PlayMethod: event.playMethod } : {}),
          ...(event.kind === 'stop' ? { PlayedToCompletion: event.playedToCompletion } : {}),
          NotificationUsername: event.user.name,
          UserId: event.user.id,
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
          ...(event.mediaSourceId !== undefined ? { MediaSourceId: event.mediaSourceId } : {}),
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
