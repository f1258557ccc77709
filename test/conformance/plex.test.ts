// Plex against the conformance suite, backed by the Plex emulator.
import { runConformance } from './suite.ts';
import { startPlexHarness } from '../harness/plex.ts';

runConformance({ kind: 'plex', start: () => startPlexHarness() });
