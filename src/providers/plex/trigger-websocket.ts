// `playhead serve`'s Plex trigger: the server's notifications websocket
// (`/:/websockets/notifications`), which needs the server owner's token but no Plex Pass.
// `playing` frames (PlaySessionStateNotification) say a session played, paused or stopped an
// item; `timeline` frames (TimelineEntry) say an item's played state changed. Frames name no
// user: a session is mapped to its account through `/status/sessions` while it lives, and each
// event carries that account, so serve sends it to that account's instance only (the owner's
// socket sees every account's plays). Reconnects with backoff, except when the token is refused
// (only the owner may open it: asking again cannot help); serve reads `health()`.
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { z } from 'zod';
import { redactUrl } from '../http.ts';
import type { ItemEvent, ProviderTrigger, TriggerHealth } from '../trigger.ts';
import { lenientId } from '../wire.ts';
import { plexClientFor } from './account.ts';
import type { PlexClient } from './client.ts';
import type { PlexProviderConfig } from './config.ts';
import type { TriggerContext } from '../module.ts';

const VIA = 'plex-websocket';
/** Backoff between reconnects: doubles from the first, capped (a restarting server is back in seconds, a dead one is not hammered). */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** TimelineEntry.state 5: PMS has processed a change to the item (its played state among them). */
const TIMELINE_PROCESSED = 5;
/** How many session → account mappings are remembered (sessions end; keys are not reused soon). */
const MAX_SESSIONS = 500;

const frameSchema = z.object({
  NotificationContainer: z.looseObject({
    type: z.string(),
    PlaySessionStateNotification: z
      .array(z.looseObject({ sessionKey: lenientId.optional(), ratingKey: lenientId, viewOffset: z.number().optional(), state: z.string() }))
      .optional(),
    TimelineEntry: z.array(z.looseObject({ itemID: lenientId, state: z.number().optional(), type: z.number().optional() })).optional(),
  }),
});

const KIND_OF_STATE: Record<string, ItemEvent['kind']> = { playing: 'playing', buffering: 'playing', paused: 'paused', stopped: 'stopped' };

export interface PlexWebsocketOptions {
  provider: string;
  url: string;
  token: string;
  client: PlexClient;
  log: Logger;
  now: () => number;
  /** Shorter backoff (tests). */
  firstBackoffMs?: number;
}

export class PlexWebsocketTrigger implements ProviderTrigger {
  readonly name = VIA;
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;
  private state: TriggerHealth;
  /** sessionKey → the session's account. */
  private readonly sessions = new Map<string, NonNullable<ItemEvent['user']>>();
  private onEvent: (event: ItemEvent) => void = () => {};

  constructor(private readonly opts: PlexWebsocketOptions) {
    this.state = { state: 'connecting', since: opts.now(), reconnects: 0 };
  }

  start(onEvent: (event: ItemEvent) => void): void {
    this.onEvent = onEvent;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    }
    await this.opts.client.close();
  }

  health(): TriggerHealth {
    return { ...this.state };
  }

  private setState(state: TriggerHealth['state'], error?: string): void {
    if (this.state.state !== state) this.state = { ...this.state, state, since: this.opts.now() };
    if (error !== undefined) this.state.lastError = error;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = new URL('/:/websockets/notifications', `${this.opts.url}/`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    // The token goes in a header, so that no URL we might log carries it.
    const socket = new WebSocket(url, { headers: { 'X-Plex-Token': this.opts.token } });
    this.socket = socket;
    socket.on('open', () => {
      this.attempt = 0;
      this.setState('up');
      this.opts.log.info({ provider: this.opts.provider, url: redactUrl(url.toString()) }, 'plex notifications connected');
    });
    // The refusal says why; the "closed before established" error that terminating it raises does not.
    let refused = false;
    socket.on('unexpected-response', (_req, res) => {
      const why = res.statusCode === 401 ? 'the token was refused (only the server owner may open the notifications socket)' : `answered ${res.statusCode}`;
      refused = true;
      // A refused token stays refused: no reconnects (serve opens the socket with the owner's token).
      if (res.statusCode === 401 || res.statusCode === 403) this.stopped = true;
      this.setState('down', `${this.opts.provider}: notifications ${why}`);
      socket.terminate();
    });
    socket.on('message', (data) => {
      void this.frame(String(data)).catch((err: unknown) => {
        this.opts.log.warn({ provider: this.opts.provider, err: err instanceof Error ? err.message : String(err) }, 'plex notification not handled');
      });
    });
    socket.on('error', (err) => this.setState('down', refused ? undefined : `${this.opts.provider}: notifications: ${err.message}`));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.stopped) {
        if (refused) this.setState('down');
        return;
      }
      this.setState('down');
      const delay = Math.min(MAX_BACKOFF_MS, (this.opts.firstBackoffMs ?? FIRST_BACKOFF_MS) * 2 ** this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => {
        this.state.reconnects += 1;
        this.setState('connecting');
        this.connect();
      }, delay);
    });
  }

  private async frame(text: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = frameSchema.safeParse(json);
    if (!parsed.success) return; // other notification types (activity, status, …)
    const container = parsed.data.NotificationContainer;
    const at = this.opts.now();
    for (const n of container.PlaySessionStateNotification ?? []) {
      const kind = KIND_OF_STATE[n.state];
      if (!kind) continue;
      const user = await this.accountOf(n.sessionKey);
      if (!user) {
        this.opts.log.debug({ provider: this.opts.provider, item: n.ratingKey, state: n.state }, 'plex notification of an unknown session: dropped');
        continue;
      }
      this.emit({
        provider: this.opts.provider,
        nativeId: n.ratingKey,
        user,
        kind,
        ...(n.viewOffset !== undefined ? { positionMs: n.viewOffset } : {}),
        at,
        via: VIA,
      });
    }
    // A played-state change names no user at all: it goes out without one, and each instance
    // the socket serves reads the item for its own account (an unchanged item is a no-op run).
    for (const e of container.TimelineEntry ?? []) {
      if (e.state !== TIMELINE_PROCESSED || (e.type !== 1 && e.type !== 4)) continue;
      this.emit({ provider: this.opts.provider, nativeId: e.itemID, kind: 'changed', at, via: VIA });
    }
  }

  private emit(event: ItemEvent): void {
    this.state.lastEventAt = event.at;
    this.onEvent(event);
  }

  /**
   * A session's account. Looked up once per session; a stop whose session began before we
   * connected is gone from `/status/sessions` and stays unknown: it is dropped, never guessed,
   * so it cannot reach another user's pair (the next scheduled run, or the catch-up after a
   * reconnect, still sees the change).
   */
  private async accountOf(sessionKey: string | undefined): Promise<ItemEvent['user']> {
    if (sessionKey === undefined) return undefined;
    const known = this.sessions.get(sessionKey);
    if (known !== undefined) return known;
    const sessions = (await this.opts.client.sessions()) ?? [];
    const found = sessions.find((s) => s.sessionKey === sessionKey);
    if (found?.userId === undefined) return undefined;
    const user = { id: found.userId, ...(found.userTitle !== undefined ? { name: found.userTitle } : {}) };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(sessionKey, user);
    return user;
  }
}

/** The trigger for one configured Plex instance; its client (for `/status/sessions`) is its own. */
export function plexWebsocketTrigger(id: string, config: PlexProviderConfig, ctx: TriggerContext): PlexWebsocketTrigger {
  const client = plexClientFor(id, config, ctx, 'trigger');
  return new PlexWebsocketTrigger({
    provider: id,
    url: config.url,
    token: config.token,
    client,
    log: ctx.log,
    now: ctx.now,
    ...(ctx.minBackoffMs !== undefined ? { firstBackoffMs: ctx.minBackoffMs } : {}),
  });
}
