// /__emulator/* — the test harness's side door, the same for every emulator kind: read or
// replace the whole state, read or clear the request log, set or clear faults, skew the clock,
// restart (forget what a restart forgets), delete one item, register webhook URLs and drop the
// notification websockets. No token needed; never logged, never faulted.
import type { SkewedClock } from './clock.ts';
import type { FaultKind, Faults } from './faults.ts';
import { jsonReply, type Reply } from './http.ts';
import type { Webhooks } from './webhooks.ts';

/** What every emulator records per request; each kind adds who was calling. */
export interface BaseRequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Epoch milliseconds from the emulator's clock. */
  at: number;
  /** Set when a fault rule shaped this response (status 0 for a reset connection). */
  fault?: FaultKind;
}

export interface ControlTarget<Data, Entry> {
  data(): Data;
  /** Validate raw JSON (throwing an error that names the bad field) and make it the state. */
  replaceData(raw: unknown): Data;
  /** The small summary answered to a successful PUT, e.g. `{ items: 12 }`. */
  summary(data: Data): Record<string, unknown>;
  requests: Entry[];
  faults: Faults;
  /** The clock `POST /__emulator/clock {offsetMs}` moves. */
  clock?: SkewedClock;
  /** What a server restart loses (sessions, session keys); the library and user data stay. */
  restart?(): void;
  /** Removes one item by native id, as a library scan after a file was deleted; false when none. */
  deleteItem?(id: string): boolean;
  /** URLs that receive the kind's webhook posts (`/__emulator/webhooks`). */
  webhooks?: Webhooks;
  /** Cuts every notification websocket; returns how many (`POST /__emulator/websockets/drop`). */
  dropSockets?(): number;
}

const ITEM_ROUTE = /^DELETE \/__emulator\/items\/([^/]+)$/;
const WEBHOOK_ROUTE = /^DELETE \/__emulator\/webhooks\/(\d+)$/;

function offsetOf(raw: unknown): number {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).offsetMs : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error('offsetMs (an integer, milliseconds) is required');
  return value;
}

/** `GET /__emulator/state`: the method and the path without a trailing slash, to switch on. */
export function controlRoute(method: string, path: string): string {
  return `${method} ${path.replace(/\/$/, '')}`;
}

/** Control bodies are JSON; an empty one means `{}` (a bare POST or PUT). */
export function parseControlBody(body: string): unknown {
  return body.trim() === '' ? {} : JSON.parse(body);
}

export function handleControl<Data, Entry>(method: string, path: string, body: string, target: ControlTarget<Data, Entry>): Reply {
  const route = controlRoute(method, path);
  try {
    const item = ITEM_ROUTE.exec(route);
    if (item && target.deleteItem) {
      const id = decodeURIComponent(item[1]!);
      return target.deleteItem(id) ? jsonReply(200, { ok: true }) : jsonReply(404, { error: `no item ${id}` });
    }
    const webhook = WEBHOOK_ROUTE.exec(route);
    if (webhook && target.webhooks) {
      return target.webhooks.remove(Number(webhook[1])) ? jsonReply(200, { ok: true }) : jsonReply(404, { error: `no webhook ${webhook[1]}` });
    }
    switch (route) {
      case 'GET /__emulator/webhooks':
        if (target.webhooks) return jsonReply(200, { webhooks: target.webhooks.list(), deliveries: target.webhooks.deliveries });
        break;
      case 'POST /__emulator/webhooks':
        if (target.webhooks) return jsonReply(201, target.webhooks.add(parseControlBody(body)));
        break;
      case 'DELETE /__emulator/webhooks':
        if (target.webhooks) {
          target.webhooks.clear();
          return jsonReply(200, { ok: true });
        }
        break;
      case 'POST /__emulator/websockets/drop':
        if (target.dropSockets) return jsonReply(200, { dropped: target.dropSockets() });
        break;
      case 'GET /__emulator/state':
        return jsonReply(200, target.data());
      case 'PUT /__emulator/state': {
        const next = target.replaceData(parseControlBody(body));
        return jsonReply(200, { ok: true, ...target.summary(next) });
      }
      case 'GET /__emulator/requests':
        return jsonReply(200, target.requests);
      case 'DELETE /__emulator/requests':
        target.requests.length = 0;
        return jsonReply(200, { ok: true });
      case 'GET /__emulator/faults':
        return jsonReply(200, target.faults.config);
      case 'POST /__emulator/faults':
      case 'PUT /__emulator/faults':
        return jsonReply(200, target.faults.set(parseControlBody(body)));
      case 'DELETE /__emulator/faults':
        target.faults.clear();
        return jsonReply(200, { ok: true });
      case 'GET /__emulator/clock':
        if (target.clock) return jsonReply(200, { offsetMs: target.clock.offsetMs, now: target.clock.now() });
        break;
      case 'POST /__emulator/clock':
        if (target.clock) {
          target.clock.offsetMs = offsetOf(parseControlBody(body));
          return jsonReply(200, { offsetMs: target.clock.offsetMs, now: target.clock.now() });
        }
        break;
      case 'POST /__emulator/restart':
        if (target.restart) {
          target.restart();
          return jsonReply(200, { ok: true });
        }
        break;
      default:
        break;
    }
    return jsonReply(404, { error: `no emulator control route ${route}` });
  } catch (error) {
    return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
