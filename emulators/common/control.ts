// /__emulator/* — the test harness's side door, the same for every emulator kind: read or
// replace the whole state, read or clear the request log, set or clear faults. No token needed;
// never logged, never faulted.
import type { FaultKind, Faults } from './faults.ts';
import { jsonReply, type Reply } from './http.ts';

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
    switch (route) {
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
      default:
        return jsonReply(404, { error: `no emulator control route ${route}` });
    }
  } catch (error) {
    return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
