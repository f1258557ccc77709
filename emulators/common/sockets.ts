// Notification websockets shared by the emulators: upgrades on the emulator's own node:http
// server (the same port as its routes, as the real servers do), an admission check per kind,
// broadcast to the admitted sockets, and a way to drop them all so tests can exercise reconnects.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** What a kind decides about an upgrade request: admit it (with what it needs to remember) or refuse it. */
export type Admission<Info> = { ok: true; info: Info } | { ok: false; status: number };

export interface SocketClient<Info> {
  socket: WebSocket;
  info: Info;
}

export interface SocketHooks<Info> {
  /** Null when the path is not a notification socket (the upgrade is answered 404). */
  admit(req: IncomingMessage, url: URL): Admission<Info> | null;
  /** Text frames a client sends (Jellyfin's SessionsStart, KeepAlive); Plex clients send none. */
  onMessage?(client: SocketClient<Info>, text: string): void;
  onOpen?(client: SocketClient<Info>): void;
}

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class NotificationSockets<Info> {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #clients = new Set<SocketClient<Info>>();

  constructor(server: Server, hooks: SocketHooks<Info>) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const admission = hooks.admit(req, url);
      if (admission === null || !admission.ok) {
        refuse(socket, admission === null ? 404 : admission.status);
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const client = { socket: ws, info: admission.info };
        this.#clients.add(client);
        ws.on('close', () => this.#clients.delete(client));
        ws.on('message', (raw, isBinary) => {
          if (!isBinary) hooks.onMessage?.(client, raw.toString());
        });
        hooks.onOpen?.(client);
      });
    });
  }

  /** Open sockets, for kinds that pick recipients (owner only, one user's sessions). */
  clients(): SocketClient<Info>[] {
    return [...this.#clients].filter((c) => c.socket.readyState === WebSocket.OPEN);
  }

  /** Sends one JSON text frame to every open client `to` accepts; returns how many got it. */
  broadcast(message: unknown, to: (info: Info) => boolean = () => true): number {
    const text = JSON.stringify(message);
    let sent = 0;
    for (const client of this.clients()) {
      if (!to(client.info)) continue;
      client.socket.send(text);
      sent++;
    }
    return sent;
  }

  /**
   * Cuts every connection without a closing handshake, as a server restart or a network drop
   * does: clients see an abnormal close (1006) and must reconnect. Returns how many were cut.
   */
  drop(): number {
    const all = [...this.#clients];
    for (const client of all) client.socket.terminate();
    this.#clients.clear();
    return all.length;
  }

  /** Upgraded sockets are no longer the http server's connections, so closing it needs this too. */
  close(): void {
    this.drop();
    this.#wss.close();
  }
}
