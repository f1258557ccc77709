// Responses as values: handlers return a Reply, the HTTP layer writes it (and may truncate it
// when a fault says so). Error bodies are the small HTML pages PMS sends.
import { encodeJson, encodeXml, type PlexNode } from './encode.ts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PlexRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  /** Header value by case-insensitive name. */
  header(name: string): string | undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Every PMS response carries this header (seen in recorded traffic). */
const BASE_HEADERS = { 'X-Plex-Protocol': '1.0' };

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
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

export function wantsJson(request: PlexRequest): boolean {
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

export function jsonReply(status: number, value: unknown): Reply {
  return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) };
}
