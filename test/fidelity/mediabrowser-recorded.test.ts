// Fidelity: the shapes (field names and JSON types) of our items, user data, sessions, users
// and libraries against the Jellyfin/Emby payloads in watchstate's test fixture. That fixture is
// hand-written by the watchstate project, not recorded, so the comparison is one-way (every
// field it has, we must have with the same type; extra fields of ours are fine) and the few
// places where it cannot be right for a real server are listed below with the reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { compareShapes, shapeOf } from './shapes.ts';

type Json = Record<string, unknown>;

const fixture = JSON.parse(readFileSync(new URL('../../../shared/fixtures/mediabrowser/watchstate_mediabrowser_data.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

/** Fixture entries we do not compare, and why. */
const SKIPPED: Record<string, string> = {
  webhook_jellyfin: 'a webhook plugin payload (pushed by the server), not an API response; webhooks are not emulated',
  webhook_emby: 'a webhook payload, as above',
  playlists: 'playlists are not emulated (Playhead never reads them)',
  playlist_detail_jellyfin: 'playlists are not emulated',
  playlist_detail_emby: 'playlists are not emulated',
  playlist_items: 'playlists are not emulated',
};

/**
 * Where the hand-written fixture departs from what the servers send. Each entry is applied to
 * the fixture before comparing, and a test checks it still matches something in the fixture.
 */
const FIXTURE_LENIENCY: Array<{ key: string; path: string; reason: string; apply(value: unknown): boolean }> = [
  {
    key: 'sessions',
    path: 'sessions[].NowPlayingItem = null',
    reason: 'both servers leave null properties out of their JSON (Jellyfin ignores nulls when writing); an idle session simply has no NowPlayingItem',
    apply(value) {
      let hit = false;
      for (const session of value as Json[]) {
        if (session.NowPlayingItem === null) {
          delete session.NowPlayingItem;
          hit = true;
        }
      }
      return hit;
    },
  },
];

interface Probe {
  method?: string;
  path: (ids: Ids) => string;
  body?: unknown;
  /** The part of our response that corresponds to the fixture entry. */
  pick?: (json: any) => unknown;
}

interface Ids {
  uid: string;
  movie: string;
  episode: string;
  movieName: string;
}

/** Which request answers each fixture entry (the same on both dialects unless noted). */
function probes(dialect: MediaBrowserDialect): Record<string, Probe> {
  const listFields = 'Fields=ProviderIds,Path,DateCreated';
  return {
    info: { path: () => (dialect === 'jellyfin' ? '/System/Info/Public' : '/System/Info') },
    users: { path: () => '/Users' },
    user: { path: (ids) => `/Users/${ids.uid}` },
    auth: { method: 'POST', path: () => '/Users/AuthenticateByName', body: { Username: 'admin', Pw: '' } },
    sessions: { path: () => '/Sessions' },
    libraries: { path: (ids) => `/Users/${ids.uid}/Views` },
    libraries_empty: { path: (ids) => `/Users/${ids.uid}/Views` },
    library_items: { path: (ids) => `/Users/${ids.uid}/Items?Recursive=true&IncludeItemTypes=Movie&${listFields}` },
    metadata: { path: (ids) => `/Users/${ids.uid}/Items/${ids.movie}` },
    metadata_episode: { path: (ids) => `/Users/${ids.uid}/Items/${ids.episode}` },
    search: { path: (ids) => `/Users/${ids.uid}/Items?Recursive=true&IncludeItemTypes=Movie&SearchTerm=${encodeURIComponent(ids.movieName)}&${listFields}` },
  };
}

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect} emulator vs watchstate's Jellyfin/Emby fixture`, () => {
    let emu: RunningMediaBrowserEmulator;
    let ids: Ids;
    const usedLeniency = new Set<string>();

    before(async () => {
      emu = await startMediaBrowserEmulator({
        dialect,
        name: `recorded-${dialect}`,
        synthetic: 'movies=4,shows=3,seasons=1,episodes=2',
        seed: 'shapes',
        quiet: true,
      });
      const admin = emu.users.find((u) => u.admin)!;
      const movie = emu.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb && i.ProviderIds.Tmdb)!;
      const episode = emu.state.items.find((i) => i.Type === 'Episode' && i.ProviderIds.Imdb && i.ProviderIds.Tmdb && i.ProviderIds.Tvdb)!;
      ids = { uid: admin.id, movie: movie.Id, episode: episode.Id, movieName: movie.Name };
      // The fixture's movie is in progress and its episode watched; an idle session and a playing one.
      emu.state.userData[admin.id] = {
        [movie.Id]: { PlaybackPositionTicks: 900_000_000, PlayCount: 0, Played: false, IsFavorite: false },
        [episode.Id]: { PlaybackPositionTicks: 0, PlayCount: 1, Played: true, IsFavorite: false, LastPlayedDate: '2024-01-01T00:00:00Z' },
      };
      const alice = emu.users.find((u) => u.name === 'alice')!;
      const headers = {
        Authorization: `MediaBrowser Client="player", Device="tv", DeviceId="tv-1", Version="1", Token="${alice.token}"`,
        'Content-Type': 'application/json',
      };
      const started = await fetch(`${emu.url}/Sessions/Playing`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ItemId: movie.Id, PositionTicks: 900_000_000 }),
      });
      assert.ok(started.ok);
      const idle = await fetch(`${emu.url}/System/Info`, { headers: { ...headers, Authorization: headers.Authorization.replace('tv-1', 'phone-1') } });
      assert.equal(idle.status, 200);
    });
    after(async () => {
      await emu.close();
    });

    it('knows what to do with every fixture entry', () => {
      const handled = new Set([...Object.keys(probes(dialect)), ...Object.keys(SKIPPED)]);
      for (const key of Object.keys(fixture)) assert.ok(handled.has(key), `fixture entry ${key} is neither compared nor skipped`);
    });

    for (const [key, probe] of Object.entries(probes(dialect))) {
      it(`${key}: same field names and types`, async () => {
        const admin = emu.users.find((u) => u.admin)!;
        const response = await fetch(emu.url + probe.path(ids), {
          method: probe.method ?? 'GET',
          headers: {
            Authorization: `MediaBrowser Client="shapes", Device="ci", DeviceId="shapes-1", Version="1", Token="${admin.token}"`,
            ...(probe.body ? { 'Content-Type': 'application/json' } : {}),
          },
          ...(probe.body ? { body: JSON.stringify(probe.body) } : {}),
        });
        const text = await response.text();
        assert.equal(response.status, 200, text);
        const ours = (probe.pick ?? ((json: unknown) => json))(JSON.parse(text));
        const recorded = structuredClone(fixture[key]);
        for (const leniency of FIXTURE_LENIENCY.filter((l) => l.key === key)) {
          if (leniency.apply(recorded)) usedLeniency.add(leniency.path);
        }
        assert.deepEqual(compareShapes(shapeOf(recorded), shapeOf(ours)), [], `shape differences in ${key}`);
      });
    }

    it('every fixture leniency is still needed', () => {
      for (const leniency of FIXTURE_LENIENCY)
        assert.ok(usedLeniency.has(leniency.path), `${leniency.path} no longer matches the fixture (${leniency.reason})`);
    });

    it('the sessions carry what a "playing now" check needs: the item, its position, paused or not', async () => {
      const admin = emu.users.find((u) => u.admin)!;
      const sessions = (await (await fetch(`${emu.url}/Sessions`, { headers: { 'X-Emby-Token': admin.token } })).json()) as Json[];
      const playing = sessions.find((s) => s.NowPlayingItem !== undefined) as any;
      assert.equal(playing.NowPlayingItem.Id, ids.movie);
      assert.equal(playing.PlayState.PositionTicks, 900_000_000);
      assert.equal(playing.PlayState.IsPaused, false);
      assert.ok(
        sessions.some((s) => s.NowPlayingItem === undefined),
        'an idle session has no NowPlayingItem',
      );
    });
  });
}
