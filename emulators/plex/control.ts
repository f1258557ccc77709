// /__emulator/* — the test harness's side door: read or replace the whole state, read or clear
// the request log, set or clear faults. No token needed; never logged, never faulted.
import { normalizeData, type PlexEmulatorData } from './data.ts';
import type { Faults } from './faults.ts';
import { jsonReply, type Reply } from './reply.ts';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Epoch milliseconds from the emulator's clock. */
  at: number;
  /** Set when a fault rule shaped this response (status 0 for a reset connection). */
  fault?: 'status' | 'reset' | 'truncate' | 'nonJson';
  /** The account the token belonged to, when it was valid. */
  accountId?: number;
  /** X-Plex-Client-Identifier (header or query), so tests can see who is calling. */
  clientIdentifier?: string;
}

export interface ControlTarget {
  data(): PlexEmulatorData;
  replaceData(data: PlexEmulatorData): void;
  requests: RequestLogEntry[];
  faults: Faults;
}

function parseBody(body: string): unknown {
  return body.trim() === '' ? {} : JSON.parse(body);
}

function badRequest(error: unknown): Reply {
  return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
}

export function handleControl(method: string, path: string, body: string, target: ControlTarget): Reply {
  const route = `${method} ${path.replace(/\/$/, '')}`;
  try {
    switch (route) {
      case 'GET /__emulator/state':
        return jsonReply(200, target.data());
      case 'PUT /__emulator/state': {
        const next = normalizeData(parseBody(body), 'state');
        target.replaceData(next);
        return jsonReply(200, { ok: true, items: next.items.length });
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
        return jsonReply(200, target.faults.set(parseBody(body)));
      case 'DELETE /__emulator/faults':
        target.faults.clear();
        return jsonReply(200, { ok: true });
      default:
        return jsonReply(404, { error: `no emulator control route ${route}` });
    }
  } catch (error) {
    return badRequest(error);
  }
}
