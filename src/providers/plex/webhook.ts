// Plex Pass webhooks: PMS posts multipart/form-data whose `payload` part is JSON (a `thumb` JPEG
// part may come along, for some events). Facts: shared/protocols.md §1.8. Only what
// settles a position is news: a pause, a stop, a scrobble (played past the threshold). The
// position in Metadata is a hint; the item-scoped run re-reads the item.
import { z } from 'zod';
import type { WebhookBody } from '../module.ts';
import type { ItemEvent } from '../trigger.ts';
import { isMultipart, multipartField, parseJsonText, WebhookBodyError } from '../webhook.ts';

// Numbers as strings happen in PMS's JSON (protocols.md §1.2): accept either.
const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

const payload = z.object({
  event: z.string(),
  Account: z.object({ id: numberish.optional(), title: z.string().optional() }).optional(),
  Metadata: z.object({ ratingKey: z.union([z.string().min(1), z.number().transform(String)]), viewOffset: numberish.optional() }).optional(),
});

const KINDS: Record<string, ItemEvent['kind']> = {
  'media.pause': 'paused',
  'media.stop': 'stopped',
  'media.scrobble': 'played',
};

export async function parsePlexWebhook(id: string, body: WebhookBody, now: () => number = Date.now): Promise<ItemEvent[]> {
  if (!isMultipart(body)) throw new WebhookBodyError('a Plex webhook is multipart/form-data with a `payload` part');
  const data = parseJsonText(await multipartField(body, 'payload'), payload, 'the Plex webhook payload');
  const kind = KINDS[data.event];
  // media.play, media.resume, library.new, admin.* …: nothing to sync.
  if (!kind || !data.Metadata) return [];
  // Serve sends an event to its account's instance only: one that names no account is dropped.
  if (data.Account?.id === undefined) return [];
  const user = { id: String(data.Account.id), ...(data.Account.title !== undefined ? { name: data.Account.title } : {}) };
  return [
    {
      provider: id,
      nativeId: data.Metadata.ratingKey,
      kind,
      at: now(),
      via: 'plex-webhook',
      user,
      ...(data.Metadata.viewOffset !== undefined ? { positionMs: data.Metadata.viewOffset } : {}),
    },
  ];
}
