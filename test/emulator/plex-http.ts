// Tiny HTTP helpers for the Plex emulator tests (plain fetch: tests must not share the client).
import { XMLParser } from 'fast-xml-parser';

export interface CallOptions {
  method?: string;
  token?: string | null;
  json?: boolean;
  headers?: Record<string, string>;
  body?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['X-Plex-Token'] = options.token;
  if (options.json !== false) headers.Accept = 'application/json';
  const response = await fetch(baseUrl + path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  let json: unknown;
  if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') json = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, json };
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Keep every element a list so one row and many rows look the same.
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && name !== 'MediaContainer',
  parseAttributeValue: false,
});

export function parseXml(text: string): any {
  return xmlParser.parse(text);
}
