// Jellyfin's Webhook plugin (a Generic destination sending JSON with "send all properties") and
// Emby's built-in webhooks (JSON, or a form with the JSON in `data`). Facts: shared/protocols.md
// (the plugin's variables; Emby webhooks) and the emulator's README. An event that settles
// nothing gives no events; a body that is not JSON or lacks the ids is an error.
import { z } from 'zod';
import type { WebhookBody } from '../module.ts';
import type { ItemEvent } from '../trigger.ts';
import { isMultipart, multipartField, parseJsonText, WebhookBodyError } from '../webhook.ts';
import type { MediaBrowserKind } from './config.ts';

const TICKS_PER_MS = 10_000;

const jellyfinBody = z.object({
  NotificationType: z.string(),
  ItemId: z.string().optional(),
  UserId: z.string().optional(),
  NotificationUsername: z.string().optional(),
  PlaybackPositionTicks: z.number().optional(),
  IsPaused: z.boolean().optional(),
  Played: z.boolean().optional(),
  SaveReason: z.string().optional(),
});

const embyBody = z.object({
  Event: z.string(),
  Item: z.object({ Id: z.union([z.string(), z.number().transform(String)]) }).optional(),
  User: z.object({ Id: z.string().optional(), Name: z.string().optional() }).optional(),
  PlaybackInfo: z.object({ PositionTicks: z.number().optional() }).optional(),
});

const EMBY_KINDS: Record<string, ItemEvent['kind']> = {
  'playback.start': 'playing',
  'playback.pause': 'paused',
  'playback.stop': 'stopped',
  // Not sent by every Emby version; watchstate accepts it, and it means played.
  'playback.scrobble': 'played',
  'item.markplayed': 'played',
  'item.markunplayed': 'unplayed',
};

/** The plugin's SaveReasons that come with every progress report of a play still going on. */
const PLAYING_SAVES = new Set(['PlaybackStart', 'PlaybackProgress']);

function jellyfinKind(b: z.infer<typeof jellyfinBody>): ItemEvent['kind'] | undefined {
  switch (b.NotificationType) {
    case 'PlaybackStart':
      return 'playing';
    case 'PlaybackProgress':
      // Progress reports while playing are not news; entering (or staying in) a pause is.
      return b.IsPaused ? 'paused' : undefined;
    case 'PlaybackStop':
      return 'stopped';
    case 'UserDataSaved':
      if (b.SaveReason !== undefined && PLAYING_SAVES.has(b.SaveReason)) return undefined;
      if (b.Played) return 'played';
      return b.SaveReason === 'TogglePlayed' ? 'unplayed' : 'changed';
    default:
      return undefined;
  }
}

function ms(ticks: number | undefined): number | undefined {
  return ticks !== undefined ? Math.round(ticks / TICKS_PER_MS) : undefined;
}

function event(
  id: string,
  via: string,
  nativeId: string,
  kind: ItemEvent['kind'],
  at: number,
  user: { id?: string | undefined; name?: string | undefined },
  positionMs: number | undefined,
): ItemEvent[] {
  // Serve sends an event to its user's instance only: one that names no user is dropped.
  if (!user.id) return [];
  const who = { id: user.id, ...(user.name ? { name: user.name } : {}) };
  return [{ provider: id, nativeId, kind, at, via, user: who, ...(positionMs !== undefined ? { positionMs } : {}) }];
}

export async function parseMediaBrowserWebhook(id: string, kind: MediaBrowserKind, body: WebhookBody, now: () => number = Date.now): Promise<ItemEvent[]> {
  if (kind === 'jellyfin' && isMultipart(body)) throw new WebhookBodyError('a Jellyfin webhook must be JSON (the Webhook plugin, Generic destination)');
  // Emby before 4.9 posts multipart/form-data with the JSON in a `data` field (watchstate reads
  // it there); 4.9 can send application/json.
  const text = isMultipart(body) ? await multipartField(body, 'data') : body.raw.toString('utf8');
  if (kind === 'jellyfin') {
    const b = parseJsonText(text, jellyfinBody, 'the Jellyfin webhook body');
    const k = jellyfinKind(b);
    if (!k) return [];
    if (!b.ItemId) throw new WebhookBodyError(`the Jellyfin ${b.NotificationType} webhook has no ItemId`);
    return event(id, 'jellyfin-webhook', b.ItemId, k, now(), { id: b.UserId, name: b.NotificationUsername }, ms(b.PlaybackPositionTicks));
  }
  const b = parseJsonText(text, embyBody, 'the Emby webhook body');
  const k = EMBY_KINDS[b.Event];
  if (!k) return [];
  if (!b.Item) throw new WebhookBodyError(`the Emby ${b.Event} webhook has no Item`);
  return event(id, 'emby-webhook', b.Item.Id, k, now(), { id: b.User?.Id, name: b.User?.Name }, ms(b.PlaybackInfo?.PositionTicks));
}
