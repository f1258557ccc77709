// Responses as values: handlers return a Reply, the HTTP layer writes it (and may truncate it
// when a fault says so). Error bodies are the small HTML pages PMS sends.
import { REASON_PHRASES, type EmulatorRequest, type Reply } from '../common/http.ts';
import type { FaultReplies } from '../common/faults.ts';
import { encodeJson, encodeXml, type PlexNode } from './encode.ts';

export type { Reply };

/** Plex handlers need nothing beyond the common request view (X-Plex-* come as headers or params). */
export type PlexRequest = EmulatorRequest;

/** Every PMS response carries this header (seen in recorded traffic). */
const BASE_HEADERS = { 'X-Plex-Protocol': '1.0' };

/** PMS names only the common statuses; any other error page just says "Error". */
function statusText(status: number): string {
  return REASON_PHRASES[status] ?? 'Error';
}

/** `<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>` and kin. */
export function htmlStatus(status: number): Reply {
  const text = statusText(status);
  return {
    status,
    headers: { ...BASE_HEADERS, 'Content-Type': 'text/html' },
    body: `<html><head><title>${text}</title></head><body><h1>${status} ${text}</h1></body></html>`,
  };
}

/** 200 with an empty body, what PMS answers to /:/scrobble, /:/unscrobble and /:/progress. */
export function emptyOk(): Reply {
  return { status: 200, headers: { ...BASE_HEADERS, 'Content-Type': 'text/html' }, body: '' };
}

function wantsJson(request: PlexRequest): boolean {
  return (request.header('accept') ?? '').toLowerCase().includes('application/json');
}

export function containerReply(request: PlexRequest, container: PlexNode, headers: Record<string, string> = {}): Reply {
  const json = wantsJson(request);
  return {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      'Content-Type': json ? 'application/json' : 'text/xml;charset=utf-8',
      ...headers,
    },
    body: json ? encodeJson(container) : encodeXml(container),
  };
}

/** Fault rules answer like a PMS that is in trouble: its HTML status page, or a sign-in page. */
export const PLEX_FAULT_REPLIES: FaultReplies = {
  status: htmlStatus,
  nonJson: {
    status: 200,
    headers: { 'Content-Type': 'text/html' },
    body: '<html><head><title>Plex</title></head><body><h1>Plex Media Server</h1><p>Please sign in.</p></body></html>',
  },
};
