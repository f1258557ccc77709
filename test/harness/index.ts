// Every provider kind's harness, by kind: the conformance suite and the cross-kind tests start
// emulators through these.
import type { Harness } from '../conformance/suite.ts';
import { startFakeHarness } from './fake.ts';
import { startMediaBrowserHarness } from './mediabrowser.ts';
import { startPlexHarness } from './plex.ts';
import { startTraktHarness } from './trakt.ts';

export const HARNESSES = {
  plex: startPlexHarness,
  jellyfin: (name: string, library: string) => startMediaBrowserHarness('jellyfin', name, library),
  emby: (name: string, library: string) => startMediaBrowserHarness('emby', name, library),
  trakt: startTraktHarness,
  fake: startFakeHarness,
} satisfies Record<string, (name: string, library: string) => Promise<Harness>>;

export type Kind = keyof typeof HARNESSES;
