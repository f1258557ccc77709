import { startTraktEmulator } from '../emulators/trakt/server.ts';
import { TraktClient } from '../src/providers/trakt/client.ts';
import { createLogger } from '../src/cli/main.ts';
const emu = await startTraktEmulator({ name: 'p', synthetic: 'movies=50,shows=1,seasons=1,episodes=2', seed: 's', quiet: true });
const t0 = Date.now();
const woke: number[] = [];
const c = new TraktClient({ provider: 't', url: emu.url, authUrl: emu.url, clientId: emu.clientId, timeoutMs: 5000, retries: 3, writesPerSecond: 1, log: createLogger({ level: 'error' }),
  sleep: (ms) => new Promise((r) => setTimeout(() => { woke.push(Date.now() - t0); r(); }, ms)) });
c.useToken(emu.users[0]!.accessToken);
for (const m of emu.state.movies.slice(0, 6)) await c.pause({ movie: { ids: { imdb: m.ids.imdb } }, progress: 40 });
console.log('sleep ended at', woke.join(' '));
console.log('server at     ', emu.requests.map((r) => `${r.at - t0}`).join(' '));
// same with a GET after 1 s idle
await new Promise((r) => setTimeout(r, 1000));
const g0 = Date.now(); await c.playback(); console.log('GET after idle took', Date.now() - g0);
await new Promise((r) => setTimeout(r, 1000));
const p0 = Date.now(); await c.pause({ movie: { ids: { imdb: emu.state.movies[10]!.ids.imdb } }, progress: 40 }); console.log('POST after 1 s idle took', Date.now() - p0);
await emu.close();
process.exit(0);
