// Tiny HTTP helpers for the Trakt emulator tests (plain fetch: tests must not share the client).
import type { RunningTraktEmulator } from '../../emulators/trakt/server.ts';

export interface TraktCallOptions {
  method?: string;
  /** Bearer token; null sends none. */
  token?: string | null;
  /** JSON body (serialised here). */
  body?: unknown;
  /** Raw body text, sent as is. */
  raw?: string;
  /** Replaces the default headers (trakt-api-key, trakt-api-version, Content-Type) when set. */
  headers?: Record<string, string>;
  /** Added to the default headers. */
  extraHeaders?: Record<string, string>;
}

export interface TraktCallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function defaultHeaders(emu: RunningTraktEmulator): Record<string, string> {
  return { 'trakt-api-key': emu.clientId, 'trakt-api-version': '2', 'Content-Type': 'application/json' };
}

export async function trakt(emu: RunningTraktEmulator, path: string, options: TraktCallOptions = {}): Promise<TraktCallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? defaultHeaders(emu)), ...options.extraHeaders };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(emu.url + path, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let json: unknown;
  if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') json = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, json };
}

export function tokenOf(emu: RunningTraktEmulator, username: string): string {
  const user = emu.users.find((u) => u.username === username);
  if (!user) throw new Error(`no user ${username}`);
  return user.accessToken;
}
