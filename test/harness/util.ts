// Small helpers the emulator harnesses share.
import { Socket } from 'node:net';
import { Agent, request } from 'undici';
import type { FaultRule } from '../conformance/suite.ts';

/** The library every conformance harness starts its emulator with. */
export const CONFORMANCE_LIBRARY = 'movies=300,shows=3,seasons=2,episodes=8';
export const CONFORMANCE_SEED = 'conformance';

export async function postFaults(baseUrl: string, rules: FaultRule[]): Promise<void> {
  // Its own connection, closed at once: the suite counts the connections a provider leaves open.
  const dispatcher = new Agent();
  try {
    const res = await request(`${baseUrl}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules }),
      headers: { 'content-type': 'application/json' },
      dispatcher,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`faults: ${res.statusCode} ${text}`);
  } finally {
    await dispatcher.close();
  }
}

/**
 * Connections an emulator listening on `port` holds open, counted from the server's side. The
 * emulator runs in the test's process, so its accepted sockets are among the process's handles.
 */
export function openConnections(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Socket && !h.destroyed && h.localPort === port && h.remotePort !== undefined).length;
}

/** How many logged requests match a path prefix (a regular expression when it starts with "^"), as fault rules do, and carry `query`. */
export function countRequests(requests: { path: string; query: Record<string, string> }[], path: string, query: Record<string, string> = {}): number {
  const matches = path.startsWith('^') ? (p: string) => new RegExp(path).test(p) : (p: string) => p.startsWith(path);
  return requests.filter((r) => matches(r.path) && Object.entries(query).every(([k, v]) => r.query[k] === v)).length;
}
