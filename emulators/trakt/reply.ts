// Responses as values: handlers return a Reply, the HTTP layer writes it (and may truncate it
// when a fault says so). Trakt speaks JSON; errors carry `{error, error_description}` except
// where the real API sends no body (device-token polling, 204s).
import type { FaultReplies } from '../common/faults.ts';
import { REASON_PHRASES, type EmulatorRequest, type Reply } from '../common/http.ts';

export type { Reply };

export interface TraktRequest extends EmulatorRequest {
  /** Raw body text. */
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function errorReply(status: number, error: string, description: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { error, error_description: description }, headers);
}

/** A status with no body at all (204, and the device-token poll answers). */
export { emptyReply } from '../common/http.ts';

/** What Cloudflare in front of Trakt answers for 5xx/52x: a small HTML page, not JSON. */
function htmlReply(status: number, title: string): Reply {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=UTF-8' },
    body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${status} ${title}</h1><p>trakt.tv</p></body></html>`,
  };
}

/** The common phrases, plus Trakt's documented statuses and the gateway errors Cloudflare sends. */
const STATUS_TEXT: Record<number, string> = {
  ...REASON_PHRASES,
  409: 'Conflict',
  412: 'Precondition Failed',
  420: 'Account Limit Exceeded',
  422: 'Unprocessable Entity',
  423: 'Locked User Account',
  426: 'VIP Only',
  429: 'Rate Limit Exceeded',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
  520: 'Web server is returning an unknown error',
  521: 'Web server is down',
  522: 'Connection timed out',
};

/** The reply for a `status` fault rule: HTML for server errors, a JSON error otherwise. */
export function faultReply(status: number): Reply {
  const text = STATUS_TEXT[status] ?? 'Error';
  if (status >= 500) return htmlReply(status, text);
  const headers: Record<string, string> = status === 429 ? { 'Retry-After': '1' } : {};
  return errorReply(status, text.toLowerCase().replace(/\s+/g, '_'), `${text} (injected fault)`, headers);
}

/** A `nonJson` rule gets Cloudflare's "Just a moment..." browser check instead of JSON. */
export const TRAKT_FAULT_REPLIES: FaultReplies = {
  status: faultReply,
  nonJson: {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=UTF-8' },
    body: '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><h1>Checking your browser before accessing trakt.tv</h1></body></html>',
  },
};
