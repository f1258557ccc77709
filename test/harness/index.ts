// Every provider kind's harness, by kind: the conformance suite and the cross-kind tests start
// emulators through these.
import type { Harness } from '../conformance/suite.ts';
import { startPlexHarness } from './plex.ts';
import { startTraktHarness } from './trakt.ts';

export const HARNESSES = {
  plex: startPlexHarness,
  trakt: startTraktHarness,
} satisfies Record<string, (name: string, library: string) => Promise<Harness>>;

export type Kind = keyof typeof HARNESSES;
