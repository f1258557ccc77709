// A fake-provider harness: the in-memory fake server from test/support/fake-provider.ts, with
// the conformance library and the fake kind registered for as long as the harness runs.
import { fakeKind, type FakeKind } from '../support/fake-provider.ts';
import { registerProviderModule } from '../../src/providers/registry.ts';
import type { Harness, TestItem, TestUser } from '../conformance/suite.ts';
import { CONFORMANCE_LIBRARY, CONFORMANCE_SEED } from './util.ts';

const TOKEN = 'alice-fake-token';
/** A token is one user: the main user is alice, the other bob. */
const TOKENS: Record<TestUser, string> = { main: TOKEN, other: 'bob-fake-token' };

/** One registration of the fake kind while any fake harness runs (a test may run two at once). */
let shared: { kind: FakeKind; users: number; unregister: () => void } | undefined;

function useFakeKind(): { kind: FakeKind; release: () => void } {
  if (!shared) {
    const kind = fakeKind();
    shared = { kind, users: 0, unregister: registerProviderModule(kind.module) };
  }
  const current = shared;
  current.users++;
  return {
    kind: current.kind,
    release: () => {
      if (--current.users > 0) return;
      current.unregister();
      shared = undefined;
    },
  };
}

export async function startFakeHarness(name = 'conformance-fake', library = CONFORMANCE_LIBRARY): Promise<Harness> {
  const { kind, release } = useFakeKind();
  const server = kind.addServer(name, Object.values(TOKENS));
  // A server that is never up, for the connection-refused check.
  const down = kind.addServer(`${name}-down`, [TOKEN]);
  down.down = true;
  server.addSynthetic(library, CONFORMANCE_SEED);
  const natives = new Map<TestItem, string>();
  const toTest = (type: 'movie' | 'episode'): TestItem[] =>
    server.items
      .filter((i) => i.type === type)
      .map(({ id, ...item }) => {
        natives.set(item, id);
        return item;
      });
  const movies = toTest('movie');
  const episodes = toTest('episode');
  const native = (t: TestItem) => {
    const id = natives.get(t);
    if (!id) throw new Error(`no item ${t.title}`);
    return id;
  };
  const config = { kind: 'fake', server: name, token: TOKEN, pageSize: 100, retries: 3, maxConcurrentWrites: 4 };
  return {
    kind: 'fake',
    config: (who = 'main') => ({ ...config, token: TOKENS[who] }),
    badConfig: () => ({ ...config, token: 'refused', retries: 0 }),
    unreachableConfig: () => ({ ...config, server: down.name }),
    unknownId: 'm999999',
    listingPageSize: config.pageSize,
    movies: () => movies,
    episodes: () => episodes,
    missing: () => ({ type: 'movie', ids: { imdb: 'tt9999999' }, title: 'Not On This Server', durationMs: 100 }),
    async setProgress(item, fraction, at, who = 'main') {
      Object.assign(server.userData(native(item), TOKENS[who]), { progressMs: Math.round(item.durationMs * fraction), progressAt: at, watched: false });
    },
    async progressOf(item, who = 'main') {
      const ms = server.dataFor(TOKENS[who]).get(native(item))?.progressMs ?? 0;
      return ms > 0 ? { ms } : undefined;
    },
    async clearProgress(item) {
      server.userData(native(item)).progressMs = 0;
    },
    async setWatched(item) {
      Object.assign(server.userData(native(item)), { progressMs: 0, watched: true, playCount: 1, progressAt: Date.now() });
    },
    async setFinished(item, atMs) {
      server.finish(native(item), atMs, TOKEN);
    },
    async setPlaying(item) {
      server.playing.add(native(item));
    },
    listingPath: '/progress',
    async setFaults(rules) {
      server.faults = rules.map((r) => ({ ...r }));
    },
    requestCount: (prefix) => server.requests.filter((r) => r.path.startsWith(prefix)).length,
    async close() {
      kind.servers.delete(name);
      kind.servers.delete(down.name);
      release();
    },
  };
}
