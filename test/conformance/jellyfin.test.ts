// Jellyfin against the conformance suite, backed by the MediaBrowser emulator's Jellyfin dialect.
import { runConformance } from './suite.ts';
import { startMediaBrowserHarness } from '../harness/mediabrowser.ts';

runConformance({ kind: 'jellyfin', start: () => startMediaBrowserHarness('jellyfin', 'conformance-jellyfin') });
