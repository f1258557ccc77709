// HTTP plumbing every emulator shares: replies as values, the request as handlers see it, body
// reading, writing a reply (whole, headers only, or cut short by a fault), the server itself,
// listening on a port and closing again.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonReply(status: number, value: unknown, contentType = 'application/json'): Reply {
  return { status, headers: { 'Content-Type': contentType }, body: JSON.stringify(value) };
}

export function emptyReply(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: '' };
}

/**
 * Standard reason phrases for the error statuses the emulators print in their own error pages.
 * Kinds whose real server names more statuses extend this table rather than change it.
 */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A request as route handlers see it: no streams, headers looked up by any spelling of the name. */
export interface EmulatorRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  /** Header value by case-insensitive name. */
  header(name: string): string | undefined;
}

/** Header lookup by case-insensitive name; repeated headers come back comma-joined. */
export function headerReader(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

export function toEmulatorRequest(req: IncomingMessage, url: URL, path: string): EmulatorRequest {
  return { method: (req.method ?? 'GET').toUpperCase(), path, params: url.searchParams, header: headerReader(req) };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Real clients add trailing slashes now and then; servers ignore them. */
export function normalizePath(pathname: string): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
}

export function writeReply(res: ServerResponse, reply: Reply, options: { head?: boolean; truncate?: boolean } = {}): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(body.length) });
  if (options.head) {
    res.end();
  } else if (options.truncate) {
    // Promise the whole body, send half, then drop the connection.
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
  } else {
    res.end(body);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A node:http server that runs `serve` for each request. `serve` throwing is an emulator bug:
 * print it under `who` (e.g. `plex emulator "home"`), then answer `internalError` if nothing
 * was sent yet, or drop the connection if the reply had already started.
 */
export function createEmulatorServer(who: string, serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>, internalError: Reply): Server {
  return createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      process.stderr.write(`${who}: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) writeReply(res, internalError);
      else res.destroy();
    });
  });
}

/** Listen and report the URL (IPv6 hosts bracketed). Port 0 picks a free port. */
export async function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${actual}`, port: actual };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
