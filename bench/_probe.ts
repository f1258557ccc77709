import { startTraktEmulator } from '../emulators/trakt/server.ts';
import { TraktClient } from '../src/providers/trakt/client.ts';
import { createLogger } from '../src/cli/main.ts';
const emu = await startTraktEmulator({ name: 'p', synthetic: 'movies=50,shows=1,seasons=1,episodes=2', seed: 's', quiet: true });
const c = new TraktClient({ provider: 't', url: emu.url, authUrl: emu.url, clientId: emu.clientId, timeoutMs: 5000, retries: 3, writesPerSecond: 1, log: createLogger({ level: 'error' }) });
c.useToken(emu.users[0]!.accessToken);
const t0 = Date.now();
const sends: number[] = [];
for (const m of emu.state.movies.slice(0, 6)) {
  const before = Date.now();
  await c.pause({ movie: { ids: { imdb: m.ids.imdb } }, progress: 40 });
  sends.push(before - t0);
  console.log('call at', before - t0, 'done at', Date.now() - t0);
}
console.log(emu.requests.map((r) => `${r.at - t0} ${r.status}`).join(' | '));
await emu.close();
process.exit(0);
