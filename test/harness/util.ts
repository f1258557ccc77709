// Small helpers the emulator harnesses share.
import { request } from 'undici';
import type { FaultRule } from '../conformance/suite.ts';

/** The library every conformance harness starts its emulator with. */
export const CONFORMANCE_LIBRARY = 'movies=260,shows=3,seasons=2,episodes=8';
export const CONFORMANCE_SEED = 'conformance';

export async function postFaults(baseUrl: string, rules: FaultRule[]): Promise<void> {
  const res = await request(`${baseUrl}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rules }), headers: { 'content-type': 'application/json' } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`faults: ${res.statusCode} ${text}`);
}
