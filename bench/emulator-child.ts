// Benchmark helper: runs one Jellyfin, Emby or Trakt emulator in its own process, because
// `playhead emulate` only knows `plex` so far (src/cli/emulate.ts).
//
//   node --import tsx bench/emulator-child.ts <jellyfin|emby|trakt> <name> <synthetic> <seed>
//
// Starts the emulator on a free port with no per-request log (quiet), prints one JSON line on
// stdout: where it listens and how to get in, then runs until SIGTERM/SIGINT and closes.
//   jellyfin/emby: {"kind","url","serverId","apiKey","users":[{id,name,token,admin}]}
//   trakt:         {"kind","url","clientId","clientSecret","users":[{username,accessToken,refreshToken,expiresAt}]}
import { waitForStopSignal } from '../emulators/common/cli.ts';
import { startMediaBrowserEmulator } from '../emulators/mediabrowser/server.ts';
import { startTraktEmulator } from '../emulators/trakt/server.ts';

export interface MediaBrowserChildInfo {
  kind: 'jellyfin' | 'emby';
  url: string;
  serverId: string;
  apiKey: string;
  users: { id: string; name: string; token: string; admin: boolean }[];
}

export interface TraktChildInfo {
  kind: 'trakt';
  url: string;
  clientId: string;
  clientSecret: string;
  /** `expiresAt` in epoch ms, from the emulator's state (the grant issued at start-up). */
  users: { username: string; accessToken: string; refreshToken: string; expiresAt: number }[];
}

export type ChildInfo = MediaBrowserChildInfo | TraktChildInfo;

async function main(argv: string[]): Promise<void> {
  const [kind, name, synthetic, seed] = argv;
  if (!kind || !name || !synthetic || !seed) throw new Error('usage: emulator-child.ts <jellyfin|emby|trakt> <name> <synthetic> <seed>');
  let info: ChildInfo;
  let close: () => Promise<void>;
  if (kind === 'jellyfin' || kind === 'emby') {
    const emu = await startMediaBrowserEmulator({ dialect: kind, name, synthetic, seed, port: 0, quiet: true });
    info = { kind, url: emu.url, serverId: emu.serverId, apiKey: emu.apiKey, users: emu.users };
    close = () => emu.close();
  } else if (kind === 'trakt') {
    const emu = await startTraktEmulator({ name, synthetic, seed, port: 0, quiet: true });
    const expiry = new Map(emu.state.users.map((u) => [u.username, Date.parse(u.tokens[0]?.expiresAt ?? '')] as const));
    info = {
      kind,
      url: emu.url,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      users: emu.users.map((u) => ({ ...u, expiresAt: expiry.get(u.username) ?? Date.now() })),
    };
    close = () => emu.close();
  } else {
    throw new Error(`unknown emulator kind "${kind}" (jellyfin, emby or trakt)`);
  }
  process.stdout.write(`${JSON.stringify(info)}\n`);
  await waitForStopSignal();
  await close();
}

if (process.argv[1] !== undefined && /emulator-child\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`emulator-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
