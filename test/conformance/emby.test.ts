// Emby against the conformance suite, backed by the MediaBrowser emulator's Emby dialect.
import { runConformance } from './suite.ts';
import { startMediaBrowserHarness } from '../harness/mediabrowser.ts';

runConformance({ kind: 'emby', start: () => startMediaBrowserHarness('emby', 'conformance-emby') });
