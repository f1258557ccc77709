// Test-side ends of the emulators' event channels: a websocket client that keeps every frame
// and waits for the one a test expects, and a node:http receiver that keeps every webhook post.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';

const WAIT_MS = 3000;

/** Resolves when `check` returns something, polling; rejects naming `what` after WAIT_MS. */
async function waitUntil<T>(what: string, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class SocketProbe {
  readonly frames: any[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => this.frames.push(JSON.parse(raw.toString())));
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SocketProbe> {
    const socket = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new SocketProbe(socket)));
      socket.once('error', reject);
    });
  }

  /** The first frame (from `from` on) `match` accepts. */
  next(what: string, match: (frame: any) => boolean, from = 0): Promise<any> {
    return waitUntil(what, () => this.frames.slice(from).find(match));
  }

  send(value: unknown): void {
    this.socket.send(JSON.stringify(value));
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The HTTP status a refused upgrade answered with. */
export function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`${url} was accepted`));
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => undefined);
  });
}

export interface WebhookPost {
  contentType: string;
  userAgent: string;
  /** The JSON body, or for multipart posts the parsed `payload` part. */
  payload: any;
  /** Multipart part names, in order (empty for JSON posts). */
  parts: string[];
}

async function parsePost(req: IncomingMessage, body: Buffer): Promise<WebhookPost> {
  const contentType = req.headers['content-type'] ?? '';
  const userAgent = req.headers['user-agent'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const payload = form.get('payload');
    return { contentType, userAgent, payload: typeof payload === 'string' ? JSON.parse(payload) : undefined, parts: [...form.keys()] };
  }
  return { contentType, userAgent, payload: JSON.parse(body.toString('utf8')), parts: [] };
}

export class WebhookReceiver {
  readonly posts: WebhookPost[] = [];
  url = '';
  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void parsePost(req, Buffer.concat(chunks)).then((post) => {
          receiver?.posts.push(post);
          res.writeHead(200).end();
        });
      });
    });
    receiver = new WebhookReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return receiver;
  }

  /** Waits until `count` posts arrived and returns them. */
  received(count: number): Promise<WebhookPost[]> {
    return waitUntil(`${count} webhook posts (have ${this.posts.length})`, () => (this.posts.length >= count ? this.posts.slice(0, count) : undefined));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** POST a JSON body to an emulator control route. */
export async function control(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(baseUrl + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
  });
  return { status: res.status, json: await res.json() };
}
