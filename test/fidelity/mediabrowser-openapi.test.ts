// Fidelity: every emulator route that the vendor's OpenAPI document describes is called as a
// client would call it, the request is checked to be an operation of the document (path
// template, method, required parameters, JSON body), and the answer is validated against the
// documented response schema with Ajv in strict mode. Jellyfin against its 10.11.8 document,
// Emby against 4.8.11.0 (whose paths have no `/emby` prefix: the prefix is its server URL).
// Where a document is known to disagree with the server, the correction is listed with its
// reason, and a test proves it is still needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { MbItem } from '../../emulators/mediabrowser/data.ts';
import { activeRoutes } from '../../emulators/mediabrowser/routes.ts';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import {
  describeErrors,
  documentedStatuses,
  findOperation,
  makeCompiler,
  missingRequiredParams,
  requestBodySchema,
  responseSchema,
  type OpenApiDocument,
} from './openapi30.ts';

function loadSpec(file: string): OpenApiDocument {
  return JSON.parse(readFileSync(new URL(`../../../shared/fixtures/openapi/${file}`, import.meta.url), 'utf8')) as OpenApiDocument;
}

interface FormatCorrection {
  format: string;
  pattern: RegExp;
  reason: string;
  /** Where in a response the stock format rejects what real servers send. */
  failsWithoutAt: RegExp;
}

interface DialectSetup {
  dialect: MediaBrowserDialect;
  spec: OpenApiDocument;
  /** Formats the document uses that ajv-formats does not define (not corrections). */
  extraFormats: Record<string, RegExp>;
  corrections: FormatCorrection[];
  /** Emulator routes that are not operations of the document, and why they are served anyway. */
  notInSpec: Record<string, string>;
  /** Prefix the test puts in front of every path (Emby's documented base is `/emby`). */
  prefix: string;
}

const SETUPS: DialectSetup[] = [
  {
    dialect: 'jellyfin',
    spec: loadSpec('jellyfin-10.11.8.json'),
    extraFormats: {},
    corrections: [
      {
        format: 'uuid',
        pattern: /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i,
        reason:
          'the document types ids as `uuid`, but Jellyfin serialises GUIDs without dashes (32 hex digits, its JsonGuidConverter "N" format; protocols.md §2.3); ajv-formats requires the dashed form',
        failsWithoutAt: /\/(Id|ItemId|UserId|SeriesId|SeasonId|ParentId)$/,
      },
    ],
    notInSpec: {
      'GET /Users/{userId}/Views': 'legacy alias kept by 10.9+ (hidden from the document); the only route on 10.8',
      'GET /Users/{userId}/Items': 'legacy alias of GET /Items (hidden from the document)',
      'GET /Users/{userId}/Items/Resume': 'legacy alias of GET /UserItems/Resume (hidden from the document)',
      'GET /Users/{userId}/Items/{itemId}': 'legacy alias of GET /Items/{itemId} (hidden from the document)',
      'GET /Users/{userId}/Items/{itemId}/UserData': 'legacy alias of GET /UserItems/{itemId}/UserData (hidden)',
      'POST /Users/{userId}/Items/{itemId}/UserData': 'legacy alias of POST /UserItems/{itemId}/UserData (hidden)',
      'POST /Users/{userId}/PlayedItems/{itemId}': 'legacy alias of POST /UserPlayedItems/{itemId} (hidden)',
      'DELETE /Users/{userId}/PlayedItems/{itemId}': 'legacy alias of DELETE /UserPlayedItems/{itemId} (hidden)',
      'POST /Users/{userId}/PlayingItems/{itemId}': 'legacy alias of POST /PlayingItems/{itemId} (hidden); the only form on 10.8',
      'POST /Users/{userId}/PlayingItems/{itemId}/Progress': 'legacy alias of POST /PlayingItems/{itemId}/Progress (hidden)',
      'DELETE /Users/{userId}/PlayingItems/{itemId}': 'legacy alias of DELETE /PlayingItems/{itemId} (hidden)',
      'POST /Users/{userId}/FavoriteItems/{itemId}': 'legacy alias of POST /UserFavoriteItems/{itemId} (hidden)',
      'DELETE /Users/{userId}/FavoriteItems/{itemId}': 'legacy alias of DELETE /UserFavoriteItems/{itemId} (hidden)',
    },
    prefix: '',
  },
  {
    dialect: 'emby',
    spec: loadSpec('emby-4.8.11.0.json'),
    extraFormats: { guid: /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i },
    corrections: [],
    notInSpec: {
      'GET /Users': 'absent from the 4.8.11 document (which lists /Users/Query); older Emby and clients such as watchstate call it',
    },
    prefix: '/emby',
  },
];

interface Case {
  name: string;
  method: string;
  path: () => string;
  /** Who calls: a user (default admin) or the API key. */
  as?: 'admin' | 'alice' | 'apiKey';
  body?: () => unknown;
  /** Expected status when not 2xx (error bodies are validated too). */
  status?: number;
  /**
   * The document gives this operation no response body ("Response content unknown") although
   * the server answers one: validate against the named operation's 200 schema instead. The test
   * checks that the document still lacks it.
   */
  schemaOf?: { method: string; path: string; reason: string };
}

for (const setup of SETUPS) {
  const { dialect, spec, prefix } = setup;
  describe(`${dialect} emulator vs the vendor OpenAPI document`, () => {
    let emu: RunningMediaBrowserEmulator;
    const compiler = makeCompiler(spec, `https://${dialect}.invalid/components.json`, {
      ...setup.extraFormats,
      ...Object.fromEntries(setup.corrections.map((c) => [c.format, c.pattern])),
    });
    const stock = makeCompiler(spec, `https://${dialect}.invalid/stock.json`, setup.extraFormats);
    const stockFailures: string[] = [];
    const exercised = new Set<string>();
    const ids: Record<string, string> = {};
    const user = (name: string) => emu.users.find((u) => u.name === name)!;
    const tokenOf = (as: Case['as']) => (as === 'apiKey' ? emu.apiKey : user(as ?? 'admin').token);
    const uid = () => user('alice').id;

    before(async () => {
      emu = await startMediaBrowserEmulator({
        dialect,
        name: `openapi-${dialect}`,
        synthetic: 'movies=6,shows=2,seasons=2,episodes=3',
        seed: 'spec',
        quiet: true,
      });
      const pick = (type: MbItem['Type'], n = 0) => emu.state.items.filter((i) => i.Type === type)[n]!;
      Object.assign(ids, {
        movie: pick('Movie').Id,
        movie2: pick('Movie', 1).Id,
        episode: pick('Episode').Id,
        episode2: pick('Episode', 1).Id,
        series: pick('Series').Id,
        library: emu.state.libraries[0]!.Id,
      });
      // Progress, a watched episode, ratings and a live session, so the optional fields appear.
      emu.state.userData[uid()] = {
        [ids.movie!]: {
          PlaybackPositionTicks: 12_000_000_000,
          PlayCount: 1,
          Played: false,
          IsFavorite: true,
          LastPlayedDate: '2026-11-20T21:03:11Z',
          Rating: 7,
          Likes: true,
        },
        [ids.episode!]: { PlaybackPositionTicks: 0, PlayCount: 2, Played: true, IsFavorite: false, LastPlayedDate: '2026-11-19T20:00:00Z' },
      };
      const started = await call('POST', '/Sessions/Playing', 'alice', {
        ItemId: ids.movie2,
        PositionTicks: 6_000_000_000,
        IsPaused: true,
        CanSeek: true,
        IsMuted: false,
        PlayMethod: 'DirectPlay',
        PlaySessionId: 'spec-play',
      });
      assert.ok(started.status === 204 || started.status === 200, `start playback: ${started.status}`);
    });
    after(async () => {
      await emu.close();
    });

    function headersFor(as: Case['as']): Record<string, string> {
      return {
        Accept: 'application/json',
        Authorization: `MediaBrowser Client="spec-client", Device="ci", DeviceId="spec-device", Version="1.0", Token="${tokenOf(as)}"`,
      };
    }

    async function call(method: string, path: string, as: Case['as'], body?: unknown) {
      const headers = headersFor(as);
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(emu.url + prefix + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text(), headers };
    }

    const userQuery = dialect === 'jellyfin' ? () => `userId=${uid()}` : () => `UserId=${uid()}`;
    const listFields =
      'ProviderIds,Path,DateCreated,ParentId,Etag,SortName,ExternalUrls,CanDelete,CanDownload,Overview,OriginalTitle,UserDataPlayCount,UserDataLastPlayedDate';
    const common: Case[] = [
      { name: 'public system info', method: 'GET', path: () => '/System/Info/Public' },
      { name: 'system info', method: 'GET', path: () => '/System/Info' },
      { name: 'ping', method: 'GET', path: () => '/System/Ping' },
      { name: 'ping (POST)', method: 'POST', path: () => '/System/Ping' },
      { name: 'one user', method: 'GET', path: () => `/Users/${uid()}` },
      { name: 'public users', method: 'GET', path: () => '/Users/Public' },
      { name: 'login', method: 'POST', path: () => '/Users/AuthenticateByName', body: () => ({ Username: 'alice', Pw: '' }) },
      {
        name: 'movies and episodes, paged, all fields',
        method: 'GET',
        path: () => `/Items?${userQuery()}&Recursive=true&IncludeItemTypes=Movie,Episode&Fields=${listFields}&StartIndex=0&Limit=6&SortBy=SortName`,
      },
      {
        name: 'shows and seasons with counts',
        method: 'GET',
        path: () => `/Items?${userQuery()}&Recursive=true&IncludeItemTypes=Series,Season&Fields=ChildCount,RecursiveItemCount,ProviderIds`,
      },
      {
        // Playhead's finished read: played movies and episodes, newest play first, paged.
        name: 'played items, newest play first, paged',
        method: 'GET',
        path: () =>
          `/Items?${userQuery()}&Recursive=true&IncludeItemTypes=Movie,Episode&IsPlayed=true&SortBy=DatePlayed&SortOrder=Descending&Fields=ProviderIds&StartIndex=0&Limit=2&EnableTotalRecordCount=true`,
      },
      { name: 'the root: libraries', method: 'GET', path: () => `/Items?${userQuery()}` },
      { name: 'items by API key, no user', method: 'GET', path: () => `/Items?Recursive=true&IncludeItemTypes=Movie&Fields=ProviderIds`, as: 'apiKey' },
      { name: 'sessions', method: 'GET', path: () => '/Sessions' },
      {
        name: 'playback start',
        method: 'POST',
        path: () => '/Sessions/Playing',
        as: 'alice',
        body: () => ({ ItemId: ids.episode2, PositionTicks: 0, IsPaused: false, CanSeek: true, IsMuted: false, PlayMethod: 'DirectPlay', PlaySessionId: 'p2' }),
      },
      {
        name: 'playback progress',
        method: 'POST',
        path: () => '/Sessions/Playing/Progress',
        as: 'alice',
        body: () => ({
          ItemId: ids.episode2,
          PositionTicks: 3_000_000_000,
          IsPaused: false,
          CanSeek: true,
          IsMuted: false,
          PlayMethod: 'DirectPlay',
          PlaySessionId: 'p2',
        }),
      },
      {
        name: 'playback stopped',
        method: 'POST',
        path: () => '/Sessions/Playing/Stopped',
        as: 'alice',
        body: () => ({ ItemId: ids.episode2, PositionTicks: 3_000_000_000, Failed: false, PlaySessionId: 'p2' }),
      },
      { name: 'playback ping', method: 'POST', path: () => '/Sessions/Playing/Ping?playSessionId=spec-play', as: 'alice' },
      {
        name: 'title search, typed and paged',
        method: 'GET',
        path: () =>
          `/Items?${userQuery()}&SearchTerm=${encodeURIComponent(emu.state.items[0]!.Name.slice(0, 4))}&Recursive=true&IncludeItemTypes=Movie,Episode&StartIndex=0&Limit=3`,
      },
      { name: 'next up', method: 'GET', path: () => `/Shows/NextUp?${userQuery()}&Fields=ProviderIds,Path&Limit=5` },
    ];
    const jellyfin: Case[] = [
      { name: 'users', method: 'GET', path: () => '/Users' },
      { name: 'me', method: 'GET', path: () => '/Users/Me', as: 'alice' },
      { name: 'me with an API key', method: 'GET', path: () => '/Users/Me', as: 'apiKey', status: 400 },
      { name: 'views', method: 'GET', path: () => `/UserViews?userId=${uid()}` },
      { name: 'resume', method: 'GET', path: () => `/UserItems/Resume?userId=${uid()}&Fields=ProviderIds&EnableTotalRecordCount=true` },
      { name: 'one movie', method: 'GET', path: () => `/Items/${ids.movie}?userId=${uid()}` },
      { name: 'one episode', method: 'GET', path: () => `/Items/${ids.episode}?userId=${uid()}` },
      { name: 'one library', method: 'GET', path: () => `/Items/${ids.library}?userId=${uid()}` },
      { name: 'user data', method: 'GET', path: () => `/UserItems/${ids.movie}/UserData?userId=${uid()}` },
      { name: 'user data of an unknown item', method: 'GET', path: () => `/UserItems/${'0'.repeat(32)}/UserData?userId=${uid()}`, status: 404 },
      {
        name: 'write user data',
        method: 'POST',
        path: () => `/UserItems/${ids.movie}/UserData?userId=${uid()}`,
        body: () => ({ PlaybackPositionTicks: 18_000_000_000, LastPlayedDate: '2026-11-24T06:00:00Z', Rating: 8.5 }),
      },
      { name: 'mark played', method: 'POST', path: () => `/UserPlayedItems/${ids.episode2}?userId=${uid()}&datePlayed=2026-11-24T07:00:00Z` },
      { name: 'mark unplayed', method: 'DELETE', path: () => `/UserPlayedItems/${ids.episode2}?userId=${uid()}` },
      { name: 'favourite', method: 'POST', path: () => `/UserFavoriteItems/${ids.series}?userId=${uid()}` },
      { name: 'not a favourite', method: 'DELETE', path: () => `/UserFavoriteItems/${ids.series}?userId=${uid()}` },
      { name: 'seasons', method: 'GET', path: () => `/Shows/${ids.series}/Seasons?userId=${uid()}&fields=ProviderIds` },
      { name: 'episodes', method: 'GET', path: () => `/Shows/${ids.series}/Episodes?userId=${uid()}&fields=ProviderIds,Path&season=1&startIndex=0&limit=2` },
      { name: 'episodes of an unknown series', method: 'GET', path: () => `/Shows/${'0'.repeat(32)}/Episodes?userId=${uid()}`, status: 404 },
      { name: 'capabilities', method: 'POST', path: () => '/Sessions/Capabilities?playableMediaTypes=Video&supportsMediaControl=false', as: 'alice' },
      {
        name: 'full capabilities',
        method: 'POST',
        path: () => '/Sessions/Capabilities/Full',
        as: 'alice',
        body: () => ({ PlayableMediaTypes: ['Video'], SupportedCommands: [], SupportsMediaControl: false, SupportsPersistentIdentifier: true }),
      },
      {
        name: 'playing item start',
        method: 'POST',
        path: () => `/PlayingItems/${ids.movie2}?playSessionId=q1&canSeek=true&playMethod=DirectPlay`,
        as: 'alice',
      },
      {
        name: 'playing item progress',
        method: 'POST',
        path: () => `/PlayingItems/${ids.movie2}/Progress?positionTicks=6000000000&isPaused=true&playSessionId=q1`,
        as: 'alice',
      },
      { name: 'playing item stopped', method: 'DELETE', path: () => `/PlayingItems/${ids.movie2}?positionTicks=6000000000&playSessionId=q1`, as: 'alice' },
    ];
    const emby: Case[] = [
      { name: 'users query', method: 'GET', path: () => '/Users/Query' },
      { name: 'views', method: 'GET', path: () => `/Users/${uid()}/Views?IncludeExternalContent=false` },
      {
        name: 'user items by provider id',
        method: 'GET',
        path: () =>
          `/Users/${uid()}/Items?Recursive=true&IncludeItemTypes=Movie&Fields=${listFields}&AnyProviderIdEquals=tmdb.${emu.state.items.find((i) => i.Id === ids.movie)!.ProviderIds.Tmdb ?? '0'}`,
      },
      { name: 'resume', method: 'GET', path: () => `/Users/${uid()}/Items/Resume?Fields=ProviderIds,UserDataLastPlayedDate` },
      { name: 'one movie', method: 'GET', path: () => `/Users/${uid()}/Items/${ids.movie}` },
      { name: 'one series', method: 'GET', path: () => `/Users/${uid()}/Items/${ids.series}` },
      {
        name: 'replace user data',
        method: 'POST',
        path: () => `/Users/${uid()}/Items/${ids.movie}/UserData`,
        body: () => ({ PlaybackPositionTicks: 18_000_000_000, PlayCount: 1, Played: false, IsFavorite: true, LastPlayedDate: '2026-11-24T06:00:00Z' }),
      },
      { name: 'hide from resume', method: 'POST', path: () => `/Users/${uid()}/Items/${ids.movie}/HideFromResume?Hide=true` },
      { name: 'mark played', method: 'POST', path: () => `/Users/${uid()}/PlayedItems/${ids.episode2}?DatePlayed=20261124070000` },
      { name: 'mark unplayed', method: 'DELETE', path: () => `/Users/${uid()}/PlayedItems/${ids.episode2}` },
      { name: 'mark unplayed (POST form)', method: 'POST', path: () => `/Users/${uid()}/PlayedItems/${ids.episode2}/Delete` },
      { name: 'favourite', method: 'POST', path: () => `/Users/${uid()}/FavoriteItems/${ids.series}` },
      { name: 'not a favourite', method: 'DELETE', path: () => `/Users/${uid()}/FavoriteItems/${ids.series}` },
      { name: 'not a favourite (POST form)', method: 'POST', path: () => `/Users/${uid()}/FavoriteItems/${ids.series}/Delete` },
      { name: 'seasons', method: 'GET', path: () => `/Shows/${ids.series}/Seasons?UserId=${uid()}&Fields=ProviderIds` },
      {
        name: 'episodes',
        method: 'GET',
        path: () => `/Shows/${ids.series}/Episodes?UserId=${uid()}&Fields=ProviderIds,Path&Season=1&StartIndex=0&Limit=2`,
        schemaOf: {
          method: 'GET',
          path: '/Shows/x/Seasons',
          reason: 'the 4.8.11 document says "Response content unknown"; Emby answers a QueryResult<BaseItemDto>',
        },
      },
      { name: 'capabilities', method: 'POST', path: () => '/Sessions/Capabilities?Id=spec&PlayableMediaTypes=Video&SupportsMediaControl=false', as: 'alice' },
      {
        name: 'full capabilities',
        method: 'POST',
        path: () => '/Sessions/Capabilities/Full?Id=spec',
        as: 'alice',
        body: () => ({ PlayableMediaTypes: ['Video'], SupportedCommands: [], SupportsMediaControl: false }),
      },
      {
        name: 'playing item start',
        method: 'POST',
        path: () => `/Users/${uid()}/PlayingItems/${ids.movie2}?MediaSourceId=ms1&PlaySessionId=q1&CanSeek=true`,
        as: 'alice',
      },
      {
        name: 'playing item progress',
        method: 'POST',
        path: () => `/Users/${uid()}/PlayingItems/${ids.movie2}/Progress?MediaSourceId=ms1&PositionTicks=6000000000&IsPaused=true&PlaySessionId=q1`,
        as: 'alice',
      },
      {
        name: 'playing item stopped',
        method: 'DELETE',
        path: () => `/Users/${uid()}/PlayingItems/${ids.movie2}?MediaSourceId=ms1&NextMediaType=Video&PositionTicks=6000000000`,
        as: 'alice',
      },
      {
        name: 'playing item stopped (POST form)',
        method: 'POST',
        path: () => `/Users/${uid()}/PlayingItems/${ids.movie2}/Delete?MediaSourceId=ms1&NextMediaType=Video&PositionTicks=6000000000`,
        as: 'alice',
      },
    ];

    for (const testCase of [...common, ...(dialect === 'jellyfin' ? jellyfin : emby)]) {
      it(`${testCase.method} ${testCase.name}`, async () => {
        const url = new URL(`http://x${testCase.path()}`);
        const found = findOperation(spec, testCase.method, url.pathname);
        assert.ok(found, `${testCase.method} ${url.pathname} is not an operation of the ${dialect} document`);
        const route = activeRoutes(dialect, emu.state.version).find((r) => r.method === testCase.method && r.pattern.test(url.pathname));
        assert.ok(route, `${testCase.method} ${url.pathname} is not an emulator route`);
        exercised.add(`${route.method} ${route.template}`);

        const body = testCase.body?.();
        const response = await call(testCase.method, testCase.path(), testCase.as, body);
        assert.deepEqual(missingRequiredParams(spec, found.operation, url.searchParams, response.headers), [], 'required parameters');
        if (body !== undefined) {
          const bodySchema = requestBodySchema(spec, found.operation);
          assert.ok(bodySchema, `${found.template} documents no JSON request body`);
          const validateBody = compiler.compile(bodySchema);
          assert.ok(validateBody(body), `request body does not match the document:\n${describeErrors(validateBody.errors)}`);
        }

        if (testCase.status !== undefined) assert.equal(response.status, testCase.status, response.text);
        else assert.ok(response.status >= 200 && response.status < 300, `status ${response.status}: ${response.text}`);
        assert.ok(documentedStatuses(found.operation).includes(response.status), `${response.status} is not a documented status of ${found.template}`);
        let schema = responseSchema(spec, found.operation, response.status);
        if (testCase.schemaOf) {
          assert.equal(schema, undefined, `${found.template} now documents its answer: drop schemaOf (${testCase.schemaOf.reason})`);
          const stand = findOperation(spec, testCase.schemaOf.method, testCase.schemaOf.path);
          assert.ok(stand, `${testCase.schemaOf.path} is not an operation of the document`);
          schema = responseSchema(spec, stand.operation, 200);
        }
        if (schema === undefined) {
          assert.equal(response.text, '', `${found.template} documents no JSON body for ${response.status}`);
          return;
        }
        assert.match(response.contentType, /^application\/(problem\+)?json/);
        const json = JSON.parse(response.text) as unknown;
        const validate = compiler.compile(schema);
        assert.ok(validate(json), `${found.template} ${response.status} does not match the document:\n${describeErrors(validate.errors)}`);
        const unpatched = stock.compile(schema);
        if (!unpatched(json)) stockFailures.push(...(unpatched.errors ?? []).map((e) => e.instancePath));
      });
    }

    it('exercised every emulator route the document has; the others are listed with a reason', () => {
      for (const r of activeRoutes(dialect, emu.state.version)) {
        const key = `${r.method} ${r.template}`;
        const sample = r.template.replace(/\{(\w+)\}/g, () => (dialect === 'jellyfin' ? '0123456789abcdef0123456789abcdef' : '12345'));
        const inSpec = findOperation(spec, r.method, sample) !== undefined;
        if (key in setup.notInSpec) {
          assert.equal(inSpec, false, `${key} is in the document after all (${setup.notInSpec[key]})`);
        } else {
          assert.ok(inSpec, `${key} is served but is not an operation of the document, and not listed in notInSpec`);
          assert.ok(exercised.has(key), `${key} is in the document but no case exercises it`);
        }
      }
    });

    it('needs every correction it lists', () => {
      for (const correction of setup.corrections) {
        assert.ok(
          stockFailures.some((path) => correction.failsWithoutAt.test(path)),
          `format correction "${correction.format}" is no longer needed (${correction.reason})`,
        );
      }
    });

    it('is not vacuous: the compiled schemas reject wrong types and unknown fields', () => {
      const operation = dialect === 'jellyfin' ? findOperation(spec, 'GET', '/UserItems/x/UserData')! : findOperation(spec, 'POST', '/Users/x/PlayedItems/y')!;
      const validate = compiler.compile(responseSchema(spec, operation.operation, 200));
      assert.equal(validate({ PlaybackPositionTicks: '600', Played: 'no' }), false);
      const paths = (validate.errors ?? []).map((e) => e.instancePath).sort();
      assert.deepEqual(paths, ['/PlaybackPositionTicks', '/Played']);
      const items = compiler.compile(responseSchema(spec, findOperation(spec, 'GET', dialect === 'jellyfin' ? '/Items' : '/Users/x/Items')!.operation, 200));
      assert.equal(items({ Items: [{ RunTimeTicks: 1.5, ProviderIds: { Imdb: 7 } }], TotalRecordCount: 1 }), false);
      if (dialect === 'jellyfin') {
        // Jellyfin's DTOs are closed (additionalProperties: false): a stray field fails.
        assert.equal(items({ Items: [{ Id: '0123456789abcdef0123456789abcdef', Type: 'Movie', MediaType: 'Video', Bogus: 1 }], TotalRecordCount: 1 }), false);
        // …and `nullable` is honoured, not ignored: null passes where the document allows it, fails elsewhere.
        assert.equal(items({ Items: [{ Id: '0123456789abcdef0123456789abcdef', Type: 'Movie', MediaType: 'Video', UserData: null, Name: null }] }), true);
        assert.equal(items({ Items: [{ Id: '0123456789abcdef0123456789abcdef', MediaType: 'Video', Type: null }] }), false);
      }
    });
  });
}
