// What a real-time trigger reports, and how `playhead serve` drives one. A trigger is a small
// module in its provider's folder (a websocket it keeps open, a webhook body it parses, a poll);
// it knows nothing of pairs or users' configs: it says "this item on this server changed, for
// this account", and serve runs the pairs that read from that account there for that item alone.

/** One thing that happened to one item on one server, as a trigger saw it. */
export interface ItemEvent {
  /** The provider id (its name in the config) whose server saw it. */
  provider: string;
  /** The item's native id there: Plex ratingKey, Jellyfin/Emby item id, Trakt's item token.
   * `*` means "something changed on this provider, which item is not known: re-read its playback"
   * (Trakt's poll of /sync/last_activities: its stamps say that playback moved, not where; a
   * websocket back after a drop: what happened meanwhile was announced to nobody). */
  nativeId: string;
  /** Whose play it was, as the server names the account: serve runs only the pairs of the
   * provider acting as that account on this server. Absent: no one's in particular (a catch-up,
   * a played-state change the server names nobody for, Trakt's own account); a trigger drops a
   * play whose user it cannot know rather than send it without one. */
  user?: { id?: string; name?: string };
  kind: 'playing' | 'paused' | 'stopped' | 'played' | 'unplayed' | 'progress' | 'changed';
  /** The position the event carries (ms), if any: a hint only, the run re-reads the item. */
  positionMs?: number;
  /** When the trigger received it (epoch ms). */
  at: number;
  /** Which trigger saw it: `plex-websocket`, `plex-webhook`, `jellyfin-websocket`, … */
  via: string;
}

export interface TriggerHealth {
  state: 'connecting' | 'up' | 'down';
  /** Since when (epoch ms) it is in that state. */
  since: number;
  lastEventAt?: number;
  /** The last failure in words, never with a token in it. */
  lastError?: string;
  reconnects: number;
}

/** A trigger that runs by itself (a websocket, a poll); webhooks are parsed by serve's endpoint. */
export interface ProviderTrigger {
  readonly name: string;
  /** It notices every change a run would read from its provider (Trakt's activity stamps), so
   * while it is up a scheduled run of a pair reading only such providers has nothing to find. */
  readonly seesEveryChange?: boolean;
  /** Starts (and keeps reconnecting with backoff until `stop`); never throws for a server that is down. */
  start(onEvent: (event: ItemEvent) => void): void;
  stop(): Promise<void>;
  health(): TriggerHealth;
}

/** One spelling of a server's URL (scheme, host in lower case, port, path without a trailing
 * slash), so that two instances written `http://NAS:32400/` and `http://nas:32400` are one server. */
export function serverUrlKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim().replace(/\/+$/, '');
  }
}
