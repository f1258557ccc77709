// What every kind's webhook parser shares: the error a body that cannot be read gives (serve's
// endpoint answers it 400 with its message and goes on), and reading JSON or a multipart part.
import type { z } from 'zod';
import type { WebhookBody } from './module.ts';

/** A posted body we cannot read; its message says why, for the sender's (the server's) log. */
export class WebhookBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookBodyError';
  }
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isMultipart(body: WebhookBody): boolean {
  return mediaType(body.contentType) === 'multipart/form-data';
}

/** Parses JSON text against a schema; every failure becomes a WebhookBodyError naming `what`. */
export function parseJsonText<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WebhookBodyError(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WebhookBodyError(`${what} is not understood: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** A text field of a multipart/form-data body, read by the platform's own parser (boundaries,
 * quoting, CRLFs) rather than by hand. */
export async function multipartField(body: WebhookBody, name: string): Promise<string> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body.raw), { headers: { 'content-type': body.contentType } }).formData();
  } catch {
    throw new WebhookBodyError('the multipart/form-data body cannot be read');
  }
  const value = form.get(name);
  if (typeof value !== 'string') throw new WebhookBodyError(`the multipart/form-data body has no \`${name}\` text part`);
  return value;
}
