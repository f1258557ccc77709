// Jellyfin's `/socket` and Emby's `/embywebsocket`: the server pushes what happened to play state,
// so serve can run one item instead of scanning. Facts (shared/protocols.md, the
// emulator's README): the server opens with `ForceKeepAlive` (seconds) and drops clients that do
// not send `KeepAlive` within it; `UserDataChanged {UserId, UserDataList[{ItemId…}]}` follows
// every user-data save (a stop, a played mark, a position write); `PlaybackStopped` carries the
// session (after a stop, often without `NowPlayingItem`); `Sessions` (after `SessionsStart`)
// lists what is playing, which is what serve's settle needs to know. After a reconnect it says
// `*` changed (../trigger.ts): what happened while it was down was announced to nobody. Each
// event names its user (an API key's socket sees every user's plays; serve routes them to that
// user's instance); one whose user the server did not name is dropped, never guessed.
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { TriggerContext } from '../module.ts';
import type { ItemEvent, ProviderTrigger, TriggerHealth } from '../trigger.ts';
import type { MediaBrowserKind } from './config.ts';

const TICKS_PER_MS = 10_000;

export interface MediaBrowserSocketOptions {
  /** First reconnect delay (default 1 s); doubles per failed attempt. */
  minBackoffMs?: number;
  /** Cap of the reconnect delay (default 60 s). */
  maxBackoffMs?: number;
  /** For the jitter (tests pin it). */
  random?: () => number;
}

export interface MediaBrowserSocketConfig {
  kind: MediaBrowserKind;
  url: string;
  /** A user's access token or a server API key: both open the socket. */
  token: string;
}

const envelope = z.object({ MessageType: z.string(), Data: z.unknown().optional() });
const forceKeepAlive = z.number().positive();
const userDataChanged = z.object({
  UserId: z.string(),
  UserDataList: z.array(z.object({ ItemId: z.string(), PlaybackPositionTicks: z.number().optional(), Played: z.boolean().optional() })),
});
const session = z.object({
  Id: z.string(),
  UserId: z.string().optional(),
  UserName: z.string().optional(),
  NowPlayingItem: z.object({ Id: z.string() }).optional(),
  PlayState: z.object({ PositionTicks: z.number().optional(), IsPaused: z.boolean().optional() }).optional(),
});
type Session = z.infer<typeof session>;

/** Where the socket lives and how it is authenticated; the token goes in the query (browsers'
 * websockets cannot send headers, so both servers take it there). */
function mediaBrowserSocketUrl(config: MediaBrowserSocketConfig, deviceId: string): URL {
  const url = new URL(config.url.replace(/\/+$/, '') + (config.kind === 'jellyfin' ? '/socket' : '/embywebsocket'));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // Jellyfin accepts `ApiKey` whatever its legacy-auth switch says (`api_key` goes away in 12.0);
  // Emby knows `api_key` and wants a device id to tie the socket to a session.
  if (config.kind === 'jellyfin') url.searchParams.set('ApiKey', config.token);
  else {
    url.searchParams.set('api_key', config.token);
    url.searchParams.set('deviceId', deviceId);
  }
  return url;
}

export class MediaBrowserSocketTrigger implements ProviderTrigger {
  readonly name: string;
  private readonly opts: Required<MediaBrowserSocketOptions>;
  private socket: WebSocket | undefined;
  private onEvent: ((event: ItemEvent) => void) | undefined;
  private stopped = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private state: TriggerHealth;
  /** Session id → what it last played and whether paused: `Sessions` repeats itself after every
   * progress report, and only a change is news. */
  private readonly sessions = new Map<string, { itemId: string; paused: boolean; userId?: string; userName?: string }>();

  constructor(
    private readonly id: string,
    private readonly config: MediaBrowserSocketConfig,
    private readonly ctx: TriggerContext,
    opts: MediaBrowserSocketOptions = {},
  ) {
    this.name = `${config.kind}-websocket`;
    this.opts = { minBackoffMs: opts.minBackoffMs ?? 1000, maxBackoffMs: opts.maxBackoffMs ?? 60_000, random: opts.random ?? Math.random };
    this.state = { state: 'connecting', since: ctx.now(), reconnects: 0 };
  }

  start(onEvent: (event: ItemEvent) => void): void {
    this.onEvent = onEvent;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.keepAliveTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000);
      // A server that never answers the close handshake must not hold serve's shutdown.
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  health(): TriggerHealth {
    return { ...this.state };
  }

  private setState(state: TriggerHealth['state'], error?: string): void {
    if (state !== this.state.state) this.state = { ...this.state, state, since: this.ctx.now() };
    if (error !== undefined) this.state.lastError = error;
  }

  /** The token must never reach a log or the API's health, whatever a library put in its message. */
  private redact(message: string): string {
    return message.split(this.config.token).join('***');
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    const socket = new WebSocket(mediaBrowserSocketUrl(this.config, `playhead-${this.id}`), { handshakeTimeout: 10_000 });
    this.socket = socket;
    let failure: string | undefined;
    socket.on('open', () => {
      this.attempts = 0;
      const missed = this.state.reconnects > 0;
      this.setState('up');
      this.ctx.log.info({ provider: this.id, trigger: this.name }, 'websocket connected');
      // Ask for Sessions pushes: serve's settle needs to know what is still playing.
      socket.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,1500' }));
      // While the socket was down the server told nobody what changed: say "re-read" (`*`).
      if (missed) this.announce({ provider: this.id, nativeId: '*', kind: 'changed', at: this.ctx.now(), via: this.name });
    });
    socket.on('message', (data) => this.receive(socket, String(data)));
    socket.on('unexpected-response', (_req, res) => {
      failure = res.statusCode === 401 || res.statusCode === 403 ? `refused the token (${res.statusCode})` : `answered ${res.statusCode} to the upgrade`;
      res.resume();
      socket.terminate();
    });
    socket.on('error', (err) => {
      failure ??= this.redact(err.message);
    });
    socket.on('close', (code) => {
      clearInterval(this.keepAliveTimer);
      if (this.socket === socket) this.socket = undefined;
      if (this.stopped) return;
      this.setState('down', failure ?? `closed (${code})`);
      this.ctx.log.warn({ provider: this.id, trigger: this.name, error: this.state.lastError }, 'websocket down');
      this.scheduleReconnect();
    });
  }

  /** Exponential, capped, with jitter (half to all of the delay) so that many servers restarting
   * at once are not hammered in step. */
  private scheduleReconnect(): void {
    const ceiling = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** this.attempts);
    const delay = Math.round(ceiling * (0.5 + this.opts.random() / 2));
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.state.reconnects++;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private receive(socket: WebSocket, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return; // Not ours to understand; the next message may be.
    }
    const message = envelope.safeParse(raw);
    if (!message.success) return;
    const { MessageType: type, Data: data } = message.data;
    if (type === 'ForceKeepAlive') {
      const seconds = forceKeepAlive.safeParse(data);
      clearInterval(this.keepAliveTimer);
      // Half the asked period, as the servers' own clients do, so a late timer still beats it.
      const every = (seconds.success ? seconds.data : 60) * 500;
      this.keepAliveTimer = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ MessageType: 'KeepAlive' }));
      }, every);
      this.keepAliveTimer.unref();
      return;
    }
    if (type === 'UserDataChanged') {
      const parsed = userDataChanged.safeParse(data);
      if (!parsed.success) return;
      for (const entry of parsed.data.UserDataList) {
        const positionMs = entry.PlaybackPositionTicks !== undefined ? Math.round(entry.PlaybackPositionTicks / TICKS_PER_MS) : undefined;
        const kind = entry.Played ? 'played' : positionMs ? 'progress' : 'changed';
        this.emit(entry.ItemId, kind, { id: parsed.data.UserId }, positionMs);
      }
      return;
    }
    if (type === 'PlaybackStopped') {
      const parsed = session.safeParse(data);
      if (!parsed.success) return;
      const s = parsed.data;
      // After a stop the session usually no longer names its item: the last Sessions did.
      const itemId = s.NowPlayingItem?.Id ?? this.sessions.get(s.Id)?.itemId;
      this.sessions.delete(s.Id);
      if (itemId) this.emit(itemId, 'stopped', userOf(s), positionOf(s));
      return;
    }
    if (type === 'Sessions') {
      const parsed = z.array(session).safeParse(data);
      if (parsed.success) this.sessionsChanged(parsed.data);
    }
  }

  private sessionsChanged(list: Session[]): void {
    const seen = new Set<string>();
    for (const s of list) {
      seen.add(s.Id);
      const itemId = s.NowPlayingItem?.Id;
      const before = this.sessions.get(s.Id);
      if (!itemId) {
        // The session went idle: what it played has stopped (PlaybackStopped may say so too;
        // serve coalesces the two).
        if (before) this.emit(before.itemId, 'stopped', { id: before.userId, name: before.userName });
        this.sessions.delete(s.Id);
        continue;
      }
      const paused = s.PlayState?.IsPaused ?? false;
      if (before && before.itemId === itemId && before.paused === paused) continue;
      if (before && before.itemId !== itemId) this.emit(before.itemId, 'stopped', { id: before.userId, name: before.userName });
      this.sessions.set(s.Id, { itemId, paused, ...(s.UserId ? { userId: s.UserId } : {}), ...(s.UserName ? { userName: s.UserName } : {}) });
      this.emit(itemId, paused ? 'paused' : 'playing', userOf(s), positionOf(s));
    }
    for (const [id, before] of this.sessions) {
      if (!seen.has(id)) {
        this.emit(before.itemId, 'stopped', { id: before.userId, name: before.userName });
        this.sessions.delete(id);
      }
    }
  }

  private emit(nativeId: string, kind: ItemEvent['kind'], user: { id?: string | undefined; name?: string | undefined }, positionMs?: number): void {
    if (!user.id) {
      this.ctx.log.debug({ provider: this.id, trigger: this.name, item: nativeId, kind }, 'websocket event names no user: dropped');
      return;
    }
    this.announce({
      provider: this.id,
      nativeId,
      kind,
      at: this.ctx.now(),
      via: this.name,
      user: { id: user.id, ...(user.name ? { name: user.name } : {}) },
      ...(positionMs !== undefined ? { positionMs } : {}),
    });
  }

  private announce(event: ItemEvent): void {
    this.state.lastEventAt = event.at;
    this.onEvent?.(event);
  }
}

function userOf(s: Session): { id?: string | undefined; name?: string | undefined } {
  return { id: s.UserId, name: s.UserName };
}

function positionOf(s: Session): number | undefined {
  const ticks = s.PlayState?.PositionTicks;
  return ticks !== undefined ? Math.round(ticks / TICKS_PER_MS) : undefined;
}
