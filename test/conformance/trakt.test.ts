// Trakt against the conformance suite, backed by the Trakt emulator.
import { runConformance } from './suite.ts';
import { startTraktHarness } from '../harness/trakt.ts';

runConformance({ kind: 'trakt', start: () => startTraktHarness() });
