// The fake provider (test/support/fake-provider.ts, a kind that exists only in the tests)
// against the conformance suite, backed by its in-memory server.
import { runConformance } from './suite.ts';
import { startFakeHarness } from '../harness/fake.ts';

runConformance({ kind: 'fake', start: () => startFakeHarness() });
