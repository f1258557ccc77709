// Fidelity (d): the official Jellyfin TypeScript SDK, @jellyfin/sdk, driven against the Jellyfin
// emulator the way an app drives a real server: public system info and the SDK's own version
// check, login by name, the current user, user views, paged item queries (IsResumable, Recursive,
// IncludeItemTypes, Fields=ProviderIds), a single item with its UserData, the 10.9+ UserData
// writer, played/unplayed, and session reports read back through /Sessions. Every check compares
// what the SDK parsed with the emulator's own state.
//
// SDK 1.0.0 is generated from Jellyfin 12.0's OpenAPI document (its README pairs 0.12/0.13 with
// 10.11, 1.0 with 12.x; its MINIMUM_VERSION is 10.10.0). The routes Playhead needs have the same
// paths on 10.11 and 12.0, and the SDK authenticates only with the `Authorization: MediaBrowser …`
// header, which both accept, so the main suite runs against the emulator's default 10.11.8; a
// second suite runs a 12.0 server (legacy auth off) and a 10.8 one (no UserData routes).
//
// The generated client sends `Accept: application/json,application/json; profile=CamelCase,…` and
// reads PascalCase: Jellyfin's content negotiation lets the first acceptable entry decide. (The
// emulator used to answer camelCase whenever the CamelCase profile was mentioned at all.)
//
// Every API class is built from the same `Api` object, created with an axios instance whose
// proxy support is off: axios honours HTTP(S)_PROXY by default, and loopback traffic must never
// leave for a proxy. The SDK makes no other requests (no discovery, no websocket unless asked).
//
// Also what other tools call most: a title search (`getItems` with `searchTerm`), Next Up
// (`getShowApi().getNextUp`, the 1.0 name of the 10.x SDK's `getTvShowsApi`) and the
// played/playing reports (the 1.0 SDK's `getUserDataApi` and `getSessionApi` hold what
// `getPlaystateApi` held). The query-string reports (`/PlayingItems/{id}`) are not in SDK 1.0;
// test/emulator/mediabrowser-clients.test.ts calls them over raw HTTP.
//
// Browsing a series (`getSeasons`, `getEpisodes`), favourites and the capabilities a client
// posts on connecting are covered too.
//
// SDK calls the test leaves out, and why: `getSessionApi().reportSessionEnded()`
// (`/Sessions/Logout`), `getShowApi().getUpcomingEpisodes` and `getLatestMedia`
// (`/Items/Latest`) are not emulated (README "Known gaps"); Playhead uses none.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import * as sdkIndex from '@jellyfin/sdk';
import * as sdkModels from '@jellyfin/sdk/lib/generated-client/models/index.js';
import * as authenticationApi from '@jellyfin/sdk/lib/utils/api/authentication-api.js';
import * as libraryApi from '@jellyfin/sdk/lib/utils/api/library-api.js';
import * as sessionApi from '@jellyfin/sdk/lib/utils/api/session-api.js';
import * as showApi from '@jellyfin/sdk/lib/utils/api/show-api.js';
import * as systemApi from '@jellyfin/sdk/lib/utils/api/system-api.js';
import * as userApi from '@jellyfin/sdk/lib/utils/api/user-api.js';
import * as userDataApi from '@jellyfin/sdk/lib/utils/api/user-data-api.js';
import * as userViewApi from '@jellyfin/sdk/lib/utils/api/user-view-api.js';
import * as versioning from '@jellyfin/sdk/lib/utils/versioning.js';
import type { MbItem, MbUserData } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';

// ---- the SDK's surface, typed here -----------------------------------------------------------
// The package's declarations import their siblings without file extensions, so under this
// project's NodeNext resolution they export nothing (jellyfin-sdk-typescript#992, fix pending in
// #1100). The code that runs is the package's own; these types name the part of it used below,
// with the SDK's names (its DTO fields are also optional).

interface UserItemDataDto {
  Rating?: number;
  PlayedPercentage?: number;
  UnplayedItemCount?: number;
  PlaybackPositionTicks?: number;
  PlayCount?: number;
  IsFavorite?: boolean;
  Likes?: boolean;
  LastPlayedDate?: string;
  Played?: boolean;
  Key?: string;
  ItemId?: string;
}
type UpdateUserItemDataDto = Omit<UserItemDataDto, 'PlayedPercentage' | 'UnplayedItemCount'>;
interface BaseItemDto {
  Id?: string;
  Name?: string;
  ServerId?: string;
  Type?: string;
  IsFolder?: boolean;
  CollectionType?: string;
  RunTimeTicks?: number;
  ProductionYear?: number;
  IndexNumber?: number;
  ParentIndexNumber?: number;
  ProviderIds?: Record<string, string>;
  Path?: string;
  ParentId?: string;
  DateCreated?: string;
  SeriesId?: string;
  SeriesName?: string;
  SeasonId?: string;
  UserData?: UserItemDataDto;
}
interface BaseItemDtoQueryResult {
  Items?: BaseItemDto[];
  TotalRecordCount?: number;
  StartIndex?: number;
}
interface UserDto {
  Id?: string;
  Name?: string;
  ServerId?: string;
  ServerName?: string;
  HasPassword?: boolean;
  Policy?: { IsAdministrator?: boolean; EnableAllFolders?: boolean };
}
interface SessionInfoDto {
  Id?: string;
  UserId?: string;
  UserName?: string;
  Client?: string;
  DeviceId?: string;
  DeviceName?: string;
  ApplicationVersion?: string;
  LastActivityDate?: string;
  LastPausedDate?: string;
  NowPlayingItem?: BaseItemDto;
  PlayState?: { PositionTicks?: number; IsPaused?: boolean; PlayMethod?: string; CanSeek?: boolean };
}
interface PublicSystemInfo {
  LocalAddress?: string;
  ServerName?: string;
  Version?: string;
  ProductName?: string;
  OperatingSystem?: string;
  Id?: string;
  StartupWizardCompleted?: boolean;
}
interface AuthenticationResult {
  User?: UserDto;
  SessionInfo?: SessionInfoDto;
  AccessToken?: string;
  ServerId?: string;
}
interface PlaybackReport {
  ItemId?: string;
  PositionTicks?: number;
  PlaySessionId?: string;
  PlayMethod?: string;
  CanSeek?: boolean;
  IsPaused?: boolean;
  Failed?: boolean;
}

type Reply<T> = Promise<{ data: T; status: number }>;
interface ItemQuery {
  userId?: string;
  searchTerm?: string;
  parentId?: string;
  recursive?: boolean;
  includeItemTypes?: string[];
  filters?: string[];
  isPlayed?: boolean;
  minDateLastSavedForUser?: string;
  fields?: string[];
  sortBy?: string[];
  sortOrder?: string[];
  startIndex?: number;
  limit?: number;
  enableTotalRecordCount?: boolean;
}
interface ItemRef {
  itemId: string;
  userId?: string;
}

interface Api {
  readonly accessToken: string;
}
interface JellyfinSdk {
  Jellyfin: new (options: {
    clientInfo: { name: string; version: string };
    deviceInfo: { name: string; id: string };
  }) => {
    createApi(basePath: string, accessToken?: string, axiosInstance?: AxiosInstance): Api;
  };
  MINIMUM_VERSION: string;
  compareVersions(a?: string, b?: string): -1 | 0 | 1;
  getSystemApi(api: Api): {
    getPublicSystemInfo(): Reply<PublicSystemInfo>;
    getSystemInfo(): Reply<PublicSystemInfo & { WebSocketPortNumber?: number }>;
    getPingSystem(): Reply<string>;
  };
  getAuthenticationApi(api: Api): { authenticateUserByName(p: { authenticateUserByName: { Username: string; Pw: string } }): Reply<AuthenticationResult> };
  getUserApi(api: Api): {
    getPublicUsers(): Reply<UserDto[]>;
    getCurrentUser(): Reply<UserDto>;
    getUsers(): Reply<UserDto[]>;
    getUserById(p: { userId: string }): Reply<UserDto>;
  };
  getUserViewApi(api: Api): { getUserViews(p?: { userId?: string }): Reply<BaseItemDtoQueryResult> };
  getLibraryApi(api: Api): {
    getItems(p: ItemQuery): Reply<BaseItemDtoQueryResult>;
    getItem(p: ItemRef): Reply<BaseItemDto>;
    getResumeItems(p: { userId?: string; fields?: string[]; enableTotalRecordCount?: boolean }): Reply<BaseItemDtoQueryResult>;
  };
  getUserDataApi(api: Api): {
    getItemUserData(p: ItemRef): Reply<UserItemDataDto>;
    updateItemUserData(p: ItemRef & { updateUserItemDataDto: UpdateUserItemDataDto }): Reply<UserItemDataDto>;
    markPlayedItem(p: ItemRef & { datePlayed?: string }): Reply<UserItemDataDto>;
    markUnplayedItem(p: ItemRef): Reply<UserItemDataDto>;
    markFavoriteItem(p: ItemRef): Reply<UserItemDataDto>;
    unmarkFavoriteItem(p: ItemRef): Reply<UserItemDataDto>;
  };
  getShowApi(api: Api): {
    getNextUp(p: {
      userId?: string;
      seriesId?: string;
      parentId?: string;
      startIndex?: number;
      limit?: number;
      fields?: string[];
      enableResumable?: boolean;
      enableRewatching?: boolean;
      enableTotalRecordCount?: boolean;
      nextUpDateCutoff?: string;
    }): Reply<BaseItemDtoQueryResult>;
    getSeasons(p: { seriesId: string; userId?: string; fields?: string[] }): Reply<BaseItemDtoQueryResult>;
    getEpisodes(p: {
      seriesId: string;
      userId?: string;
      season?: number;
      seasonId?: string;
      startItemId?: string;
      startIndex?: number;
      limit?: number;
      fields?: string[];
    }): Reply<BaseItemDtoQueryResult>;
  };
  getSessionApi(api: Api): {
    postCapabilities(p: { playableMediaTypes?: string[]; supportsMediaControl?: boolean }): Reply<void>;
    postFullCapabilities(p: { clientCapabilitiesDto: { PlayableMediaTypes?: string[]; SupportsMediaControl?: boolean } }): Reply<void>;
    getSessions(p?: { deviceId?: string; activeWithinSeconds?: number }): Reply<SessionInfoDto[]>;
    reportPlaybackStart(p: { playbackStartInfo: PlaybackReport }): Reply<void>;
    reportPlaybackProgress(p: { playbackProgressInfo: PlaybackReport }): Reply<void>;
    reportPlaybackStopped(p: { playbackStopInfo: PlaybackReport }): Reply<void>;
  };
}
type Enum = Record<string, string>;
interface SdkModels {
  BaseItemKind: Enum;
  ItemFields: Enum;
  ItemFilter: Enum;
  ItemSortBy: Enum;
  PlayMethod: Enum;
  SortOrder: Enum;
}

const sdk = {
  ...sdkIndex,
  ...versioning,
  ...systemApi,
  ...authenticationApi,
  ...userApi,
  ...userViewApi,
  ...libraryApi,
  ...userDataApi,
  ...sessionApi,
  ...showApi,
} as unknown as JellyfinSdk;
const {
  Jellyfin,
  MINIMUM_VERSION,
  compareVersions,
  getSystemApi,
  getAuthenticationApi,
  getUserApi,
  getUserViewApi,
  getLibraryApi,
  getUserDataApi,
  getSessionApi,
  getShowApi,
} = sdk;
const models = sdkModels as unknown as SdkModels;
/** The SDK's enum values (string constants), by name: a missing one fails here, not on the server. */
function enumValue(kind: keyof SdkModels, name: string): string {
  const value = models[kind][name];
  assert.ok(value, `@jellyfin/sdk has no ${kind}.${name}`);
  return value;
}
const BaseItemKind = { Movie: enumValue('BaseItemKind', 'Movie'), Episode: enumValue('BaseItemKind', 'Episode'), Series: enumValue('BaseItemKind', 'Series') };
const ItemFields = { ProviderIds: enumValue('ItemFields', 'ProviderIds'), Path: enumValue('ItemFields', 'Path') };
const ItemFilter = { IsResumable: enumValue('ItemFilter', 'IsResumable'), IsPlayed: enumValue('ItemFilter', 'IsPlayed') };
const ItemSortBy = {
  SortName: enumValue('ItemSortBy', 'SortName'),
  IndexNumber: enumValue('ItemSortBy', 'IndexNumber'),
  DatePlayed: enumValue('ItemSortBy', 'DatePlayed'),
};
const PlayMethod = { DirectPlay: enumValue('PlayMethod', 'DirectPlay') };
const SortOrder = { Descending: enumValue('SortOrder', 'Descending') };

const NAME = 'sdk-fidelity';
const SYNTHETIC = 'movies=20,shows=2,seasons=2,episodes=3';
const START_MS = Date.parse('2026-11-24T12:00:00Z');
const TICKS_PER_MS = 10_000;
const CLIENT = { name: 'Playhead Fidelity', version: '0.1.0' };
const DEVICE = { name: 'ci-runner', id: 'sdk-fidelity-device-1' };

let clock = START_MS;
let emulator: RunningMediaBrowserEmulator;
let http: AxiosInstance;
let jellyfin: InstanceType<JellyfinSdk['Jellyfin']>;
/** Alice's api: a non-admin user, signed in with her token. */
let api: Api;
let alice: { id: string; name: string; token: string };

before(async () => {
  emulator = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: NAME, synthetic: SYNTHETIC, seed: 'x', quiet: true, now: () => clock });
  http = axios.create({ proxy: false });
  jellyfin = new Jellyfin({ clientInfo: CLIENT, deviceInfo: DEVICE });
  alice = emulator.users.find((u) => u.name === 'alice')!;
  api = jellyfin.createApi(emulator.url, alice.token, http);
});

after(async () => {
  await emulator?.close();
});

// ---- emulator state helpers ----------------------------------------------------------------

const tick = (seconds: number) => void (clock += seconds * 1000);
/** What the server writes for a date: ISO with seven fractional digits. */
const wire = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

function itemsOf(type: MbItem['Type']): MbItem[] {
  return emulator.state.items.filter((i) => i.Type === type);
}

function stored(userId: string, itemId: string): MbUserData | undefined {
  return emulator.state.userData[userId]?.[itemId];
}

function movie(n: number): MbItem {
  const found = itemsOf('Movie')[n];
  assert.ok(found, `synthetic library has no movie #${n}`);
  return found;
}

function childrenOf(id: string): MbItem[] {
  return emulator.state.items.filter((i) => i.ParentId === id);
}

/** The library an item lives in, up its parent links. */
function libraryOf(item: MbItem): string | undefined {
  let at: MbItem | undefined = item;
  for (let depth = 0; at && depth < 4; depth++) {
    const parent: string = at.ParentId;
    if (emulator.state.libraries.some((l) => l.Id === parent)) return parent;
    at = emulator.state.items.find((i) => i.Id === parent);
  }
  return undefined;
}

function status(error: unknown): number | undefined {
  return isAxiosError(error) ? error.response?.status : undefined;
}

/** What every list row should carry for a movie or episode of the state. */
function expectedRow(source: MbItem) {
  return {
    Id: source.Id,
    Name: source.Name,
    Type: source.Type,
    RunTimeTicks: source.RunTimeTicks,
    ProductionYear: source.ProductionYear,
    ProviderIds: source.ProviderIds,
    ServerId: emulator.serverId,
  };
}

function row(dto: BaseItemDto) {
  return {
    Id: dto.Id,
    Name: dto.Name,
    Type: dto.Type,
    RunTimeTicks: dto.RunTimeTicks,
    ProductionYear: dto.ProductionYear,
    ProviderIds: dto.ProviderIds,
    ServerId: dto.ServerId,
  };
}

// ---- system and sign-in ----------------------------------------------------------------------

describe('@jellyfin/sdk against the Jellyfin emulator (10.11)', () => {
  it('reads the public system info without a token and passes the SDK version check', async () => {
    const anonymous = jellyfin.createApi(emulator.url, undefined, http);
    const { data: info } = await getSystemApi(anonymous).getPublicSystemInfo();
    assert.deepEqual(info, {
      LocalAddress: emulator.url,
      ServerName: NAME,
      Version: emulator.state.version,
      ProductName: 'Jellyfin Server',
      OperatingSystem: 'Linux',
      Id: emulator.serverId,
      StartupWizardCompleted: true,
    });
    assert.equal(info.Version, '10.11.8');
    assert.equal(compareVersions(info.Version, MINIMUM_VERSION), 1);

    // The full info needs a token: the anonymous api is refused, alice's is not.
    await assert.rejects(getSystemApi(anonymous).getSystemInfo(), (error) => status(error) === 401);
    const { data: full } = await getSystemApi(api).getSystemInfo();
    assert.equal(full.Id, emulator.serverId);
    assert.equal(full.Version, '10.11.8');
    assert.equal(full.ServerName, NAME);
    assert.equal(full.WebSocketPortNumber, emulator.port);
    assert.equal((await getSystemApi(api).getPingSystem()).data, 'Jellyfin Server');

    // The SDK's Authorization header names its client and device; the emulator read it.
    const last = emulator.requests.at(-1)!;
    assert.deepEqual([last.path, last.userId, last.client], ['/System/Ping', alice.id, CLIENT.name]);
  });

  it('lists the public users and signs in by name, then uses the token it got', async () => {
    const anonymous = jellyfin.createApi(emulator.url, undefined, http);
    const { data: publicUsers } = await getUserApi(anonymous).getPublicUsers();
    assert.deepEqual(
      publicUsers.map((u) => [u.Id, u.Name]),
      emulator.state.users.map((u) => [u.id, u.name]),
    );

    const bob = emulator.state.users.find((u) => u.name === 'bob')!;
    bob.password = 'hunter2';
    const auth = getAuthenticationApi(anonymous);
    await assert.rejects(auth.authenticateUserByName({ authenticateUserByName: { Username: 'bob', Pw: 'wrong' } }), (error) => status(error) === 401);
    assert.equal(anonymous.accessToken, '');

    tick(5);
    const { data: login } = await auth.authenticateUserByName({ authenticateUserByName: { Username: 'Bob', Pw: 'hunter2' } });
    assert.equal(login.AccessToken, bob.token);
    assert.equal(login.ServerId, emulator.serverId);
    assert.equal(login.User?.Id, bob.id);
    assert.equal(login.User?.Name, 'bob');
    assert.equal(login.User?.HasPassword, true);
    assert.equal(login.User?.Policy?.IsAdministrator, false);
    assert.equal(login.SessionInfo?.UserId, bob.id);
    assert.equal(login.SessionInfo?.DeviceId, DEVICE.id);
    assert.equal(login.SessionInfo?.DeviceName, DEVICE.name);
    assert.equal(login.SessionInfo?.Client, CLIENT.name);
    assert.equal(login.SessionInfo?.ApplicationVersion, CLIENT.version);
    assert.equal(login.SessionInfo?.LastActivityDate, wire(clock));
    // The SDK keeps the token: the same api object is now bob's.
    assert.equal(anonymous.accessToken, bob.token);
    const { data: me } = await getUserApi(anonymous).getCurrentUser();
    assert.deepEqual([me.Id, me.Name], [bob.id, 'bob']);
    // The login left a session for bob's device, as on a real server.
    const session = emulator.state.sessions.find((s) => s.userId === bob.id && s.deviceId === DEVICE.id);
    assert.equal(session?.client, CLIENT.name);
    assert.equal(session?.id, login.SessionInfo?.Id);
  });

  it('reads the current user and the user list', async () => {
    const { data: me } = await getUserApi(api).getCurrentUser();
    assert.equal(me.Id, alice.id);
    assert.equal(me.Name, 'alice');
    assert.equal(me.ServerId, emulator.serverId);
    assert.equal(me.ServerName, NAME);
    assert.equal(me.HasPassword, false);
    assert.equal(me.Policy?.IsAdministrator, false);
    assert.equal(me.Policy?.EnableAllFolders, true);
    const { data: users } = await getUserApi(api).getUsers();
    assert.deepEqual(
      users.map((u) => [u.Id, u.Name, u.Policy?.IsAdministrator]),
      emulator.state.users.map((u) => [u.id, u.name, u.admin]),
    );
    const { data: byId } = await getUserApi(api).getUserById({ userId: emulator.users.find((u) => u.admin)!.id });
    assert.equal(byId.Name, 'admin');
  });

  // ---- libraries and items -------------------------------------------------------------------

  it('lists the user views', async () => {
    const { data: views } = await getUserViewApi(api).getUserViews({ userId: alice.id });
    assert.equal(views.TotalRecordCount, 2);
    assert.equal(views.StartIndex, 0);
    assert.deepEqual(
      views.Items?.map((v) => [v.Id, v.Name, v.CollectionType, v.Type, v.IsFolder]),
      emulator.state.libraries.map((l) => [l.Id, l.Name, l.CollectionType, 'CollectionFolder', true]),
    );
  });

  it('pages through every movie and episode with their provider ids', async () => {
    const expected = emulator.state.items.filter((i) => i.Type === 'Movie' || i.Type === 'Episode');
    assert.equal(expected.length, 32);
    const rows: BaseItemDto[] = [];
    const pages: Array<[number | undefined, number | undefined, number]> = [];
    for (let startIndex = 0; ; ) {
      const { data } = await getLibraryApi(api).getItems({
        userId: alice.id,
        recursive: true,
        includeItemTypes: [BaseItemKind.Movie, BaseItemKind.Episode],
        fields: [ItemFields.ProviderIds],
        sortBy: [ItemSortBy.SortName],
        startIndex,
        limit: 7,
        enableTotalRecordCount: true,
      });
      const items = data.Items ?? [];
      pages.push([data.StartIndex, data.TotalRecordCount, items.length]);
      rows.push(...items);
      startIndex += items.length;
      if (items.length === 0 || startIndex >= (data.TotalRecordCount ?? 0)) break;
    }
    assert.deepEqual(pages, [
      [0, 32, 7],
      [7, 32, 7],
      [14, 32, 7],
      [21, 32, 7],
      [28, 32, 4],
    ]);
    assert.deepEqual(
      rows.map(row).sort((a, b) => a.Id!.localeCompare(b.Id!)),
      expected.map(expectedRow).sort((a, b) => a.Id.localeCompare(b.Id)),
    );
    // List rows carry UserData (alice's defaults here) but no Path: it was not asked for.
    assert.ok(rows.every((r) => r.UserData?.ItemId === r.Id && r.UserData?.PlaybackPositionTicks === 0 && r.UserData?.Played === false));
    assert.ok(rows.every((r) => r.Path === undefined));
  });

  it('walks a library → series → seasons → episodes by parentId', async () => {
    const [moviesView, showsView] = emulator.state.libraries;
    const library = getLibraryApi(api);
    const movies = await library.getItems({ userId: alice.id, parentId: moviesView!.Id, includeItemTypes: [BaseItemKind.Movie], recursive: true });
    assert.equal(movies.data.TotalRecordCount, 20);
    const shows = await library.getItems({ userId: alice.id, parentId: showsView!.Id, sortBy: [ItemSortBy.SortName] });
    assert.deepEqual(
      shows.data.Items?.map((s) => s.Id).sort(),
      itemsOf('Series')
        .map((s) => s.Id)
        .sort(),
    );
    const series = shows.data.Items![0]!;
    assert.equal(series.Type, 'Series');
    assert.equal(series.IsFolder, true);
    assert.equal(series.UserData?.UnplayedItemCount, 6);
    const seasons = await library.getItems({ userId: alice.id, parentId: series.Id!, sortBy: [ItemSortBy.IndexNumber] });
    assert.deepEqual(
      seasons.data.Items?.map((s) => [s.Id, s.IndexNumber, s.SeriesId, s.SeriesName]),
      childrenOf(series.Id!).map((s) => [s.Id, s.IndexNumber, series.Id, series.Name]),
    );
    const season = seasons.data.Items![1]!;
    const episodes = await library.getItems({
      userId: alice.id,
      parentId: season.Id!,
      sortBy: [ItemSortBy.IndexNumber],
      sortOrder: [SortOrder.Descending],
      fields: [ItemFields.ProviderIds, ItemFields.Path],
    });
    const expected = childrenOf(season.Id!).sort((a, b) => (b.IndexNumber ?? 0) - (a.IndexNumber ?? 0));
    assert.deepEqual(
      episodes.data.Items?.map((e) => [e.Id, e.IndexNumber, e.ParentIndexNumber, e.SeasonId, e.SeriesName, e.ProviderIds, e.Path]),
      expected.map((e) => [e.Id, e.IndexNumber, 2, season.Id, series.Name, e.ProviderIds, e.Path]),
    );
  });

  it('searches titles case-insensitively, with types, parent, paging, exact matches first', async () => {
    /** Jellyfin's match quality: exact name, "term …", a prefix, anything else. */
    const quality = (name: string, word: string) => {
      const n = name.toLowerCase();
      const t = word.toLowerCase();
      return n === t ? 0 : n.startsWith(`${t} `) ? 1 : n.startsWith(t) ? 2 : 3;
    };
    const matching = (word: string) => emulator.state.items.filter((i) => i.Name.toLowerCase().includes(word.toLowerCase()));
    // A title word whose best match does not come first by name ("Horizon in …" after "Canyon of
    // the Horizon"), so the order shows match quality ruling over SortName.
    const word = itemsOf('Movie')
      .flatMap((i) => i.Name.split(' '))
      .filter((w) => /^[A-Za-z]{4,}$/.test(w))
      .find((w) => {
        const byName = matching(w)
          .filter((i) => i.Type === 'Movie')
          .sort((a, b) => a.Name.replace(/^(the|a|an) /i, '').localeCompare(b.Name.replace(/^(the|a|an) /i, '')));
        return byName.some((item, n) => n > 0 && quality(item.Name, w) < quality(byName[0]!.Name, w));
      });
    assert.ok(word, 'the synthetic library has a title word whose best match sorts late');
    // Sent in upper case: Jellyfin matches the lower-cased (clean) name.
    const term = word.toUpperCase();
    const hits = (types?: MbItem['Type'][]) => matching(word).filter((i) => !types || types.includes(i.Type));
    const library = getLibraryApi(api);
    const { data: all } = await library.getItems({ userId: alice.id, searchTerm: term, recursive: true, enableTotalRecordCount: true });
    assert.ok(hits().length >= 1);
    assert.equal(all.TotalRecordCount, hits().length);
    assert.deepEqual(
      all.Items?.map((i) => i.Id).sort(),
      hits()
        .map((i) => i.Id)
        .sort(),
    );
    const { data: films } = await library.getItems({ userId: alice.id, searchTerm: term, recursive: true, includeItemTypes: [BaseItemKind.Movie] });
    assert.deepEqual(
      films.Items?.map((i) => i.Id).sort(),
      hits(['Movie'])
        .map((i) => i.Id)
        .sort(),
    );
    const qualities = films.Items!.map((i) => quality(i.Name!, word));
    assert.deepEqual(
      qualities,
      [...qualities].sort((a, b) => a - b),
      'better matches come first',
    );
    // Paging walks the same order, one row at a time.
    const walked: string[] = [];
    for (let startIndex = 0; startIndex < (all.TotalRecordCount ?? 0); startIndex++) {
      const { data } = await library.getItems({ userId: alice.id, searchTerm: term, recursive: true, startIndex, limit: 1 });
      assert.equal(data.StartIndex, startIndex);
      walked.push(data.Items![0]!.Id!);
    }
    assert.deepEqual(
      walked,
      all.Items?.map((i) => i.Id),
    );
    // Under the shows library only episodes and series can match.
    const shows = emulator.state.libraries.find((l) => l.CollectionType === 'tvshows')!;
    const episodeWord = itemsOf('Episode')[0]!.Name.split(' ').at(-1)!;
    const { data: inShows } = await library.getItems({ userId: alice.id, searchTerm: episodeWord.toLowerCase(), recursive: true, parentId: shows.Id });
    const expected = emulator.state.items.filter((i) => libraryOf(i) === shows.Id && i.Name.toLowerCase().includes(episodeWord.toLowerCase()));
    assert.ok(expected.length >= 1);
    assert.deepEqual(inShows.Items?.map((i) => i.Id).sort(), expected.map((i) => i.Id).sort());
    // Nothing matches a term no title has.
    const { data: none } = await library.getItems({ userId: alice.id, searchTerm: 'zzzz-no-such-title', recursive: true });
    assert.deepEqual([none.TotalRecordCount, none.Items?.length], [0, 0]);
  });

  // ---- user data -------------------------------------------------------------------------------

  it('writes a resume position with updateItemUserData and reads it back on the item', async () => {
    const target = movie(0);
    const position = Math.round(target.RunTimeTicks! * 0.4);
    const lastPlayed = '2026-11-24T06:00:00Z';
    const { data: written, status: code } = await getUserDataApi(api).updateItemUserData({
      itemId: target.Id,
      userId: alice.id,
      updateUserItemDataDto: { PlaybackPositionTicks: position, LastPlayedDate: lastPlayed },
    });
    assert.equal(code, 200);
    assert.equal(written.ItemId, target.Id);
    assert.equal(written.PlaybackPositionTicks, position);
    assert.equal(written.LastPlayedDate, wire(Date.parse(lastPlayed)));
    assert.equal(written.PlayedPercentage, (position / target.RunTimeTicks!) * 100);
    assert.equal(written.Played, false);
    assert.equal(written.PlayCount, 0);
    assert.equal(stored(alice.id, target.Id)?.PlaybackPositionTicks, position);
    assert.equal(Date.parse(stored(alice.id, target.Id)!.LastPlayedDate!), Date.parse(lastPlayed));
    // Bob's record is untouched.
    const bob = emulator.users.find((u) => u.name === 'bob')!;
    assert.equal(stored(bob.id, target.Id), undefined);

    // The single-item view (GET /Items/{id}?userId=) carries every field and the same UserData.
    const { data: detail } = await getLibraryApi(api).getItem({ itemId: target.Id, userId: alice.id });
    assert.equal(detail.Name, target.Name);
    assert.equal(detail.Path, target.Path);
    assert.equal(detail.ParentId, target.ParentId);
    assert.deepEqual(detail.ProviderIds, target.ProviderIds);
    assert.equal(detail.RunTimeTicks, target.RunTimeTicks);
    assert.equal(detail.DateCreated, wire(Date.parse(target.DateCreated)));
    assert.deepEqual(detail.UserData, written);
    const { data: userData } = await getUserDataApi(api).getItemUserData({ itemId: target.Id, userId: alice.id });
    assert.deepEqual(userData, written);

    // Partial update: a body with only Played leaves the position alone; values are stored as
    // sent (99 % stays a position, no auto-played), and 0 clears it.
    await getUserDataApi(api).updateItemUserData({ itemId: target.Id, userId: alice.id, updateUserItemDataDto: { Played: false, IsFavorite: true } });
    assert.equal(stored(alice.id, target.Id)?.PlaybackPositionTicks, position);
    assert.equal(stored(alice.id, target.Id)?.IsFavorite, true);
    const nearEnd = Math.round(target.RunTimeTicks! * 0.99);
    const { data: late } = await getUserDataApi(api).updateItemUserData({
      itemId: target.Id,
      userId: alice.id,
      updateUserItemDataDto: { PlaybackPositionTicks: nearEnd },
    });
    assert.deepEqual([late.PlaybackPositionTicks, late.Played, late.PlayCount], [nearEnd, false, 0]);
    const { data: cleared } = await getUserDataApi(api).updateItemUserData({
      itemId: target.Id,
      userId: alice.id,
      updateUserItemDataDto: { PlaybackPositionTicks: 0 },
    });
    assert.equal(cleared.PlaybackPositionTicks, 0);
    assert.equal(cleared.PlayedPercentage, undefined);
    assert.equal(cleared.LastPlayedDate, wire(Date.parse(lastPlayed)));
  });

  it('finds in-progress items with Filters=IsResumable and on /UserItems/Resume, newest first', async () => {
    const first = movie(1);
    const episode = itemsOf('Episode')[2]!;
    const writes: Array<[MbItem, number, string]> = [
      [first, Math.round(first.RunTimeTicks! * 0.25), '2026-11-20T10:00:00Z'],
      [episode, 600_000 * TICKS_PER_MS, '2026-11-21T10:00:00Z'],
    ];
    for (const [target, ticks, date] of writes) {
      await getUserDataApi(api).updateItemUserData({
        itemId: target.Id,
        userId: alice.id,
        updateUserItemDataDto: { PlaybackPositionTicks: ticks, LastPlayedDate: date },
      });
    }
    const { data } = await getLibraryApi(api).getItems({
      userId: alice.id,
      recursive: true,
      includeItemTypes: [BaseItemKind.Movie, BaseItemKind.Episode],
      filters: [ItemFilter.IsResumable],
      fields: [ItemFields.ProviderIds],
      startIndex: 0,
      limit: 100,
    });
    const resumable = Object.entries(emulator.state.userData[alice.id] ?? {})
      .filter(([, record]) => record.PlaybackPositionTicks > 0)
      .map(([id]) => id);
    assert.deepEqual(resumable.sort(), [first.Id, episode.Id].sort());
    assert.equal(data.TotalRecordCount, 2);
    assert.deepEqual(
      data.Items?.map((i) => [i.Id, i.UserData?.PlaybackPositionTicks, i.ProviderIds]).sort(),
      writes.map(([target, ticks]) => [target.Id, ticks, target.ProviderIds]).sort(),
    );

    const { data: resume } = await getLibraryApi(api).getResumeItems({ userId: alice.id, fields: [ItemFields.ProviderIds], enableTotalRecordCount: true });
    assert.deepEqual(
      resume.Items?.map((i) => [i.Id, i.UserData?.PlaybackPositionTicks, i.UserData?.LastPlayedDate]),
      [
        [episode.Id, writes[1]![1], wire(Date.parse(writes[1]![2]))],
        [first.Id, writes[0]![1], wire(Date.parse(writes[0]![2]))],
      ],
    );
    assert.equal(resume.Items?.[0]?.SeriesId, episode.SeriesId);

    // The series above the episode counts as resumable too (a folder with an episode in progress).
    const { data: folders } = await getLibraryApi(api).getItems({
      userId: alice.id,
      recursive: true,
      includeItemTypes: [BaseItemKind.Series],
      filters: [ItemFilter.IsResumable],
    });
    assert.deepEqual(
      folders.Items?.map((i) => i.Id),
      [episode.SeriesId],
    );
  });

  it('marks a movie played and unplayed, and a whole series', async () => {
    const target = movie(2);
    await getUserDataApi(api).updateItemUserData({ itemId: target.Id, userId: alice.id, updateUserItemDataDto: { PlaybackPositionTicks: 3_000_000_000 } });
    const datePlayed = '2026-11-22T08:30:00Z';
    const { data: played } = await getUserDataApi(api).markPlayedItem({ itemId: target.Id, userId: alice.id, datePlayed });
    assert.deepEqual([played.Played, played.PlayCount, played.PlaybackPositionTicks, played.LastPlayedDate], [true, 1, 0, wire(Date.parse(datePlayed))]);
    assert.deepEqual((({ Played, PlayCount, PlaybackPositionTicks }) => ({ Played, PlayCount, PlaybackPositionTicks }))(stored(alice.id, target.Id)!), {
      Played: true,
      PlayCount: 1,
      PlaybackPositionTicks: 0,
    });
    // Without a date the count stays, the previous date is kept.
    const { data: again } = await getUserDataApi(api).markPlayedItem({ itemId: target.Id, userId: alice.id });
    assert.deepEqual([again.PlayCount, again.LastPlayedDate], [1, wire(Date.parse(datePlayed))]);
    const { data: listed } = await getLibraryApi(api).getItems({
      userId: alice.id,
      recursive: true,
      includeItemTypes: [BaseItemKind.Movie],
      filters: [ItemFilter.IsPlayed],
    });
    assert.deepEqual(
      listed.Items?.map((i) => i.Id),
      [target.Id],
    );

    const { data: unplayed } = await getUserDataApi(api).markUnplayedItem({ itemId: target.Id, userId: alice.id });
    assert.deepEqual([unplayed.Played, unplayed.PlayCount, unplayed.PlaybackPositionTicks, unplayed.LastPlayedDate], [false, 0, 0, undefined]);
    assert.equal(stored(alice.id, target.Id)?.LastPlayedDate, undefined);

    const series = itemsOf('Series')[1]!;
    const episodes = emulator.state.items.filter((i) => i.Type === 'Episode' && i.SeriesId === series.Id);
    tick(60);
    const { data: seriesPlayed } = await getUserDataApi(api).markPlayedItem({ itemId: series.Id, userId: alice.id });
    assert.equal(seriesPlayed.Played, true);
    assert.equal(seriesPlayed.UnplayedItemCount, 0);
    assert.ok(episodes.every((e) => stored(alice.id, e.Id)?.Played === true && stored(alice.id, e.Id)?.LastPlayedDate === wire(clock)));
    const { data: seriesDetail } = await getLibraryApi(api).getItem({ itemId: series.Id, userId: alice.id });
    assert.deepEqual([seriesDetail.UserData?.Played, seriesDetail.UserData?.UnplayedItemCount], [true, 0]);
    await getUserDataApi(api).markUnplayedItem({ itemId: series.Id, userId: alice.id });
    assert.ok(episodes.every((e) => stored(alice.id, e.Id)?.Played === false));
  });

  it('lists played items newest first (isPlayed, sortBy DatePlayed, paging); minDateLastSavedForUser is the item save time', async () => {
    const [a, b, c] = [movie(3), movie(4), movie(5)];
    const dates = ['2026-11-20T08:00:00Z', '2026-11-23T08:00:00Z', '2026-11-21T08:00:00Z'];
    for (const [i, item] of [a, b, c].entries()) await getUserDataApi(api).markPlayedItem({ itemId: item.Id, userId: alice.id, datePlayed: dates[i] });
    const page = (startIndex: number) =>
      getLibraryApi(api).getItems({
        userId: alice.id,
        recursive: true,
        includeItemTypes: [BaseItemKind.Movie],
        isPlayed: true,
        sortBy: [ItemSortBy.DatePlayed],
        sortOrder: [SortOrder.Descending],
        fields: ['ProviderIds'],
        startIndex,
        limit: 2,
        enableTotalRecordCount: true,
      });
    const { data: first } = await page(0);
    const { data: second } = await page(2);
    assert.equal(first.TotalRecordCount, 3);
    assert.deepEqual(
      [...(first.Items ?? []), ...(second.Items ?? [])].map((i) => [i.Id, i.UserData?.LastPlayedDate]),
      [
        [b.Id, wire(Date.parse(dates[1]!))],
        [c.Id, wire(Date.parse(dates[2]!))],
        [a.Id, wire(Date.parse(dates[0]!))],
      ],
    );
    // b's metadata was saved recently, a's and c's long ago: Jellyfin compares the item's
    // DateLastSaved, whenever the item was played.
    const savedAt = (i: MbItem) => (i.Id === b.Id ? '2026-11-23T00:00:00Z' : [a.Id, c.Id].includes(i.Id) ? '2026-01-01T00:00:00Z' : i.DateLastSaved);
    const originalItems = emulator.state.items;
    emulator.state.items = originalItems.map((i) => ({ ...i, DateLastSaved: savedAt(i) }));
    const { data: sinceNow } = await getLibraryApi(api).getItems({
      userId: alice.id,
      recursive: true,
      includeItemTypes: [BaseItemKind.Movie],
      isPlayed: true,
      minDateLastSavedForUser: '2026-11-22T00:00:00Z',
    });
    assert.deepEqual(
      sinceNow.Items?.map((i) => i.Id),
      [b.Id],
    );
    // Leave the state as the later tests expect it: no records for these films, the items as they were.
    emulator.state.items = originalItems;
    for (const item of [a, b, c]) delete emulator.state.userData[alice.id]?.[item.Id];
  });

  // ---- sessions ------------------------------------------------------------------------------

  it('reports playback through the session API and reads it back in /Sessions', async () => {
    const target = movie(3);
    const sessions = getSessionApi(api);
    const playSessionId = 'play-session-1';
    const before = stored(alice.id, target.Id)?.PlayCount ?? 0;

    tick(30);
    const start = await sessions.reportPlaybackStart({
      playbackStartInfo: {
        ItemId: target.Id,
        PositionTicks: 0,
        PlayMethod: PlayMethod.DirectPlay,
        PlaySessionId: playSessionId,
        CanSeek: true,
        IsPaused: false,
      },
    });
    assert.equal(start.status, 204);
    const startedAt = clock;
    assert.equal(stored(alice.id, target.Id)?.PlayCount, before + 1);

    tick(30);
    const position = Math.round(target.RunTimeTicks! * 0.3);
    await sessions.reportPlaybackProgress({
      playbackProgressInfo: { ItemId: target.Id, PositionTicks: position, IsPaused: true, PlaySessionId: playSessionId, PlayMethod: PlayMethod.DirectPlay },
    });
    const { data: mine } = await sessions.getSessions({ deviceId: DEVICE.id });
    assert.equal(mine.length, 1);
    const session = mine[0]!;
    assert.equal(session.UserId, alice.id);
    assert.equal(session.UserName, 'alice');
    assert.equal(session.Client, CLIENT.name);
    assert.equal(session.DeviceName, DEVICE.name);
    assert.equal(session.ApplicationVersion, CLIENT.version);
    assert.equal(session.NowPlayingItem?.Id, target.Id);
    assert.equal(session.NowPlayingItem?.Name, target.Name);
    assert.equal(session.NowPlayingItem?.RunTimeTicks, target.RunTimeTicks);
    assert.deepEqual(
      [session.PlayState?.PositionTicks, session.PlayState?.IsPaused, session.PlayState?.PlayMethod, session.PlayState?.CanSeek],
      [position, true, 'DirectPlay', true],
    );
    assert.equal(session.LastPausedDate, wire(clock));
    assert.equal(session.LastActivityDate, wire(clock));
    const stateSession = emulator.state.sessions.find((s) => s.id === session.Id)!;
    assert.deepEqual([stateSession.itemId, stateSession.playSessionId, stateSession.positionTicks], [target.Id, playSessionId, position]);
    assert.equal(stored(alice.id, target.Id)?.PlaybackPositionTicks, position);
    assert.equal(stored(alice.id, target.Id)?.LastPlayedDate, wire(startedAt));

    tick(30);
    const stopAt = Math.round(target.RunTimeTicks! * 0.45);
    await sessions.reportPlaybackStopped({ playbackStopInfo: { ItemId: target.Id, PositionTicks: stopAt, PlaySessionId: playSessionId } });
    const { data: after } = await sessions.getSessions({ deviceId: DEVICE.id, activeWithinSeconds: 60 });
    assert.equal(after.length, 1);
    assert.equal(after[0]!.NowPlayingItem, undefined);
    const { data: itemAfter } = await getLibraryApi(api).getItem({ itemId: target.Id, userId: alice.id });
    assert.deepEqual([itemAfter.UserData?.PlaybackPositionTicks, itemAfter.UserData?.Played, itemAfter.UserData?.PlayCount], [stopAt, false, before + 1]);

    // A stop past 90 % marks it played and clears the position (UpdatePlayState).
    tick(30);
    await sessions.reportPlaybackStart({ playbackStartInfo: { ItemId: target.Id, PlaySessionId: 'play-session-2' } });
    await sessions.reportPlaybackStopped({
      playbackStopInfo: { ItemId: target.Id, PositionTicks: Math.round(target.RunTimeTicks! * 0.95), PlaySessionId: 'play-session-2' },
    });
    const record = stored(alice.id, target.Id)!;
    assert.deepEqual([record.Played, record.PlaybackPositionTicks, record.PlayCount], [true, 0, before + 2]);

    // A non-admin sees only her own sessions; bob's login session from earlier is not among them.
    const { data: all } = await sessions.getSessions();
    assert.ok(all.length >= 1);
    assert.ok(all.every((s) => s.UserId === alice.id));
  });

  // ---- refusals ------------------------------------------------------------------------------

  it('is refused the way Jellyfin refuses: another user, unknown items, bad tokens', async () => {
    const bob = emulator.users.find((u) => u.name === 'bob')!;
    const target = movie(4);
    await assert.rejects(getUserDataApi(api).getItemUserData({ itemId: target.Id, userId: bob.id }), (error) => status(error) === 403);
    await assert.rejects(
      getUserDataApi(api).updateItemUserData({ itemId: target.Id, userId: bob.id, updateUserItemDataDto: { PlaybackPositionTicks: 1 } }),
      (error) => status(error) === 403 && (error as { response: { data: unknown } }).response.data === 'User is not allowed to update this item user data.',
    );
    assert.equal(stored(bob.id, target.Id), undefined);

    const unknown = '0123456789abcdef0123456789abcdef';
    await assert.rejects(getLibraryApi(api).getItem({ itemId: unknown, userId: alice.id }), (error) => {
      const body = isAxiosError(error) ? (error.response?.data as { status?: number; title?: string }) : undefined;
      return status(error) === 404 && body?.status === 404 && body.title === 'Not Found';
    });

    // A wrongly typed field is a 400 ProblemDetails naming it, and nothing is stored.
    await assert.rejects(
      getUserDataApi(api).updateItemUserData({
        itemId: target.Id,
        userId: alice.id,
        updateUserItemDataDto: { PlaybackPositionTicks: '12' as unknown as number },
      }),
      (error) => status(error) === 400 && JSON.stringify((error as { response: { data: unknown } }).response.data).includes('PlaybackPositionTicks'),
    );
    assert.equal(stored(alice.id, target.Id), undefined);

    const stranger = jellyfin.createApi(emulator.url, 'not-a-token', http);
    await assert.rejects(getUserApi(stranger).getCurrentUser(), (error) => status(error) === 401);
  });

  it('works with an API key for another user through userId', async () => {
    const admin = jellyfin.createApi(emulator.url, emulator.apiKey, http);
    // An API key belongs to no user: /Users/Me is a 400, user routes need userId.
    await assert.rejects(getUserApi(admin).getCurrentUser(), (error) => status(error) === 400);
    await assert.rejects(getUserViewApi(admin).getUserViews(), (error) => status(error) === 400);
    const bob = emulator.users.find((u) => u.name === 'bob')!;
    const target = movie(5);
    const { data } = await getUserDataApi(admin).updateItemUserData({
      itemId: target.Id,
      userId: bob.id,
      updateUserItemDataDto: { PlaybackPositionTicks: 123_450_000, LastPlayedDate: '2026-11-23T00:00:00Z' },
    });
    assert.equal(data.PlaybackPositionTicks, 123_450_000);
    assert.equal(stored(bob.id, target.Id)?.PlaybackPositionTicks, 123_450_000);
    assert.equal(stored(alice.id, target.Id), undefined);
    const { data: resume } = await getLibraryApi(admin).getResumeItems({ userId: bob.id });
    assert.deepEqual(
      resume.Items?.map((i) => i.Id),
      [target.Id],
    );
  });
});

// ---- Next Up and the playstate thresholds ---------------------------------------------------

describe('@jellyfin/sdk Next Up and playback reports (own server)', () => {
  let server: RunningMediaBrowserEmulator;
  let client: Api;
  let user: { id: string; token: string };
  const SHOWS = 'movies=2,shows=3,seasons=2,episodes=3';

  before(async () => {
    server = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'nextup', synthetic: SHOWS, seed: 'n', quiet: true, now: () => clock });
    user = server.users.find((u) => u.name === 'alice')!;
    client = jellyfin.createApi(server.url, user.token, http);
  });
  after(async () => {
    await server?.close();
  });

  const series = (n: number) => server.state.items.filter((i) => i.Type === 'Series')[n]!;
  /** A series' episodes in season/episode order. */
  const episodesOf = (s: MbItem) =>
    server.state.items
      .filter((i) => i.Type === 'Episode' && i.SeriesId === s.Id)
      .sort((a, b) => a.ParentIndexNumber! - b.ParentIndexNumber! || a.IndexNumber! - b.IndexNumber!);
  const record = (itemId: string) => server.state.userData[user.id]?.[itemId];

  /**
   * Next Up computed from the state, the way Jellyfin defines it: series with an episode the
   * user played or started (latest first); per series the first unplayed episode after the
   * highest-numbered played one.
   */
  function expectedNextUp(enableResumable = true): string[] {
    const withDates = server.state.items
      .filter((i) => i.Type === 'Series')
      .map((s) => ({
        s,
        latest: Math.max(...episodesOf(s).map((e) => (record(e.Id)?.LastPlayedDate ? Date.parse(record(e.Id)!.LastPlayedDate!) : Number.NEGATIVE_INFINITY))),
      }))
      .filter((x) => x.latest > Number.NEGATIVE_INFINITY)
      .sort((a, b) => b.latest - a.latest);
    return withDates
      .map(({ s }) => {
        const episodes = episodesOf(s);
        const lastPlayed = episodes.findLastIndex((e) => record(e.Id)?.Played === true);
        const next = episodes.slice(lastPlayed + 1).find((e) => record(e.Id)?.Played !== true);
        if (next && !enableResumable && (record(next.Id)?.PlaybackPositionTicks ?? 0) > 0) return undefined;
        return next?.Id;
      })
      .filter((id): id is string => id !== undefined);
  }

  it('lists the episode after the last one watched, per series, latest series first', async () => {
    const shows = getShowApi(client);
    assert.deepEqual((await shows.getNextUp({ userId: user.id })).data.Items, [], 'nothing watched, nothing next');

    const [a, b] = [series(0), series(1)];
    const [a1, a2] = episodesOf(a);
    const bEpisodes = episodesOf(b);
    // Series a: the first two episodes watched. Series b, later: its third episode (the last of
    // season 1) watched out of order, the first two not.
    await getUserDataApi(client).markPlayedItem({ itemId: a1!.Id, userId: user.id, datePlayed: '2026-11-20T20:00:00Z' });
    await getUserDataApi(client).markPlayedItem({ itemId: a2!.Id, userId: user.id, datePlayed: '2026-11-20T21:00:00Z' });
    await getUserDataApi(client).markPlayedItem({ itemId: bEpisodes[2]!.Id, userId: user.id, datePlayed: '2026-11-22T21:00:00Z' });

    const { data } = await shows.getNextUp({ userId: user.id, fields: ['ProviderIds'] });
    assert.deepEqual(
      data.Items?.map((i) => i.Id),
      expectedNextUp(),
    );
    // b's next is season 2's first episode (after the one watched, not the skipped ones); a's is its third.
    assert.deepEqual(
      data.Items?.map((i) => i.Id),
      [bEpisodes[3]!.Id, episodesOf(a)[2]!.Id],
    );
    assert.equal(data.TotalRecordCount, 2);
    const first = data.Items![0]!;
    assert.deepEqual([first.SeriesId, first.ParentIndexNumber, first.IndexNumber, first.ProviderIds], [b.Id, 2, 1, bEpisodes[3]!.ProviderIds]);
    assert.equal(first.UserData?.Played, false);

    // Paging, a single series, another library.
    const { data: second } = await shows.getNextUp({ userId: user.id, startIndex: 1, limit: 1 });
    assert.deepEqual([second.Items?.map((i) => i.Id), second.TotalRecordCount, second.StartIndex], [[episodesOf(a)[2]!.Id], 2, 1]);
    const { data: onlyA } = await shows.getNextUp({ userId: user.id, seriesId: a.Id });
    assert.deepEqual(
      onlyA.Items?.map((i) => i.Id),
      [episodesOf(a)[2]!.Id],
    );
    const untouched = series(2);
    const { data: fresh } = await shows.getNextUp({ userId: user.id, seriesId: untouched.Id });
    assert.deepEqual(
      fresh.Items?.map((i) => i.Id),
      [episodesOf(untouched)[0]!.Id],
      'a series asked for by id starts at its first episode',
    );
    const movies = server.state.libraries.find((l) => l.CollectionType === 'movies')!;
    const tv = server.state.libraries.find((l) => l.CollectionType === 'tvshows')!;
    assert.deepEqual((await shows.getNextUp({ userId: user.id, parentId: movies.Id })).data.Items, []);
    assert.equal((await shows.getNextUp({ userId: user.id, parentId: tv.Id })).data.TotalRecordCount, 2);
  });

  it('leaves out a series whose next episode is in progress when enableResumable is false', async () => {
    const a = series(0);
    const next = episodesOf(a)[2]!;
    // Started through the session API: a position between the thresholds stays.
    await getSessionApi(client).reportPlaybackStart({ playbackStartInfo: { ItemId: next.Id, PlaySessionId: 'nu-1' } });
    const position = Math.round(next.RunTimeTicks! * 0.5);
    await getSessionApi(client).reportPlaybackStopped({ playbackStopInfo: { ItemId: next.Id, PositionTicks: position, PlaySessionId: 'nu-1' } });
    assert.equal(record(next.Id)?.PlaybackPositionTicks, position);
    const shows = getShowApi(client);
    const { data: withResumable } = await shows.getNextUp({ userId: user.id });
    assert.deepEqual(
      withResumable.Items?.map((i) => i.Id),
      expectedNextUp(true),
    );
    assert.equal(withResumable.Items?.[0]?.Id, next.Id, 'the series just played comes first');
    const { data: without } = await shows.getNextUp({ userId: user.id, enableResumable: false });
    assert.deepEqual(
      without.Items?.map((i) => i.Id),
      expectedNextUp(false),
    );
    assert.ok(!without.Items?.some((i) => i.Id === next.Id));
  });

  it('adds the played episode after the one played last with enableRewatching, newest first', async () => {
    const [a, b] = [series(0), series(1)];
    const [a1, a2, a3] = episodesOf(a);
    const b4 = episodesOf(b)[3]!;
    // Watched a's first episode again, after everything else was watched.
    await getUserDataApi(client).markPlayedItem({ itemId: a1!.Id, userId: user.id, datePlayed: '2026-11-23T10:00:00Z' });
    const shows = getShowApi(client);
    const { data: plain } = await shows.getNextUp({ userId: user.id });
    assert.deepEqual(
      plain.Items?.map((i) => i.Id),
      expectedNextUp(),
    );
    // Per series the usual pick (after the highest-numbered played episode: a3, b4) and the
    // rewatch pick (the played episode after the one played last: a2 after a1; none after b3),
    // ordered by when the episode each one follows was played: a1 (11-23), b3 (11-22), a2 (11-20).
    const { data } = await shows.getNextUp({ userId: user.id, enableRewatching: true });
    assert.deepEqual(
      data.Items?.map((i) => i.Id),
      [a2!.Id, b4.Id, a3!.Id],
    );
    assert.equal(data.TotalRecordCount, 3);
    // nextUpDateCutoff leaves out series last played before it: b's latest is 11-22, a's today.
    assert.ok(Date.parse(record(a3!.Id)!.LastPlayedDate!) >= Date.parse('2026-11-24T00:00:00Z'));
    const { data: recent } = await shows.getNextUp({ userId: user.id, nextUpDateCutoff: '2026-11-24T00:00:00Z' });
    assert.deepEqual(
      recent.Items?.map((i) => i.Id),
      [a3!.Id],
    );
  });

  it('browses a series by season and episode, marks favourites and posts capabilities', async () => {
    const show = series(1);
    const shows = getShowApi(client);
    const seasonsOf = server.state.items.filter((i) => i.Type === 'Season' && i.ParentId === show.Id).sort((a, b) => a.IndexNumber! - b.IndexNumber!);
    const { data: seasons } = await shows.getSeasons({ seriesId: show.Id, userId: user.id });
    assert.deepEqual(
      seasons.Items?.map((s) => [s.Id, s.IndexNumber, s.SeriesId]),
      seasonsOf.map((s) => [s.Id, s.IndexNumber, show.Id]),
    );
    const all = episodesOf(show);
    const { data: episodes } = await shows.getEpisodes({ seriesId: show.Id, userId: user.id, fields: ['ProviderIds'] });
    assert.deepEqual(
      episodes.Items?.map((e) => [e.Id, e.ParentIndexNumber, e.IndexNumber, e.ProviderIds]),
      all.map((e) => [e.Id, e.ParentIndexNumber, e.IndexNumber, e.ProviderIds]),
    );
    assert.equal(episodes.TotalRecordCount, all.length);
    const { data: second } = await shows.getEpisodes({ seriesId: show.Id, season: 2 });
    assert.deepEqual(
      second.Items?.map((e) => e.Id),
      all.filter((e) => e.ParentIndexNumber === 2).map((e) => e.Id),
    );
    const { data: bySeason } = await shows.getEpisodes({ seriesId: show.Id, seasonId: seasonsOf[0]!.Id });
    assert.deepEqual(
      bySeason.Items?.map((e) => e.Id),
      all.filter((e) => e.ParentIndexNumber === 1).map((e) => e.Id),
    );
    const { data: fromThird } = await shows.getEpisodes({ seriesId: show.Id, startItemId: all[2]!.Id, startIndex: 1, limit: 2 });
    assert.deepEqual([fromThird.Items?.map((e) => e.Id), fromThird.TotalRecordCount, fromThird.StartIndex], [[all[3]!.Id, all[4]!.Id], all.length - 2, 1]);
    await assert.rejects(shows.getSeasons({ seriesId: all[0]!.Id }), (error) => status(error) === 404);

    const favourite = await getUserDataApi(client).markFavoriteItem({ itemId: show.Id, userId: user.id });
    assert.deepEqual([favourite.status, favourite.data.IsFavorite, favourite.data.ItemId], [200, true, show.Id]);
    assert.equal(record(show.Id)?.IsFavorite, true);
    const { data: favourites } = await getLibraryApi(client).getItems({ userId: user.id, recursive: true, filters: ['IsFavorite'] });
    assert.deepEqual(
      favourites.Items?.map((i) => i.Id),
      [show.Id],
    );
    const { data: notFavourite } = await getUserDataApi(client).unmarkFavoriteItem({ itemId: show.Id, userId: user.id });
    assert.deepEqual([notFavourite.IsFavorite, record(show.Id)?.IsFavorite], [false, false]);

    const sessions = getSessionApi(client);
    assert.equal((await sessions.postCapabilities({ playableMediaTypes: ['Video'], supportsMediaControl: false })).status, 204);
    assert.equal((await sessions.postFullCapabilities({ clientCapabilitiesDto: { PlayableMediaTypes: ['Video'], SupportsMediaControl: false } })).status, 204);
    assert.ok(
      server.state.sessions.some((s) => s.userId === user.id && s.deviceId === DEVICE.id),
      'the client session is kept alive',
    );
  });

  it('applies the server thresholds to reported positions (MinResumePct, MaxResumePct, MinResumeDurationSeconds)', async () => {
    const { minResumePct, maxResumePct, minResumeDurationSeconds } = server.state.playback;
    assert.deepEqual([minResumePct, maxResumePct, minResumeDurationSeconds], [5, 90, 300]);
    const sessions = getSessionApi(client);
    const film = server.state.items.find((i) => i.Type === 'Movie')!;
    const runtime = film.RunTimeTicks!;
    assert.ok(runtime / 10_000_000 >= minResumeDurationSeconds);
    const report = async (percent: number) => {
      await sessions.reportPlaybackProgress({
        playbackProgressInfo: { ItemId: film.Id, PositionTicks: Math.round((runtime * percent) / 100), PlaySessionId: 't' },
      });
      const r = record(film.Id)!;
      return [r.PlaybackPositionTicks, r.Played];
    };
    await sessions.reportPlaybackStart({ playbackStartInfo: { ItemId: film.Id, PlaySessionId: 't' } });
    assert.deepEqual(await report(minResumePct - 1), [0, false], 'below MinResumePct: no position');
    assert.deepEqual(await report(minResumePct + 1), [Math.round((runtime * (minResumePct + 1)) / 100), false]);
    assert.deepEqual(await report(maxResumePct - 1), [Math.round((runtime * (maxResumePct - 1)) / 100), false]);
    assert.deepEqual(await report(maxResumePct + 1), [0, true], 'past MaxResumePct: played');
    const { data: item } = await getLibraryApi(client).getItem({ itemId: film.Id, userId: user.id });
    assert.deepEqual([item.UserData?.Played, item.UserData?.PlaybackPositionTicks, item.UserData?.PlayCount], [true, 0, 1]);
    // Unplayed again through the SDK, then a short item: any position in the middle marks it played.
    await getUserDataApi(client).markUnplayedItem({ itemId: film.Id, userId: user.id });
    assert.deepEqual([record(film.Id)?.Played, record(film.Id)?.PlayCount], [false, 0]);
    film.RunTimeTicks = (minResumeDurationSeconds - 60) * 10_000_000;
    await sessions.reportPlaybackProgress({ playbackProgressInfo: { ItemId: film.Id, PositionTicks: Math.round(film.RunTimeTicks / 2), PlaySessionId: 't' } });
    assert.deepEqual([record(film.Id)?.PlaybackPositionTicks, record(film.Id)?.Played], [0, true], 'shorter than MinResumeDurationSeconds: played');
    film.RunTimeTicks = runtime;
  });
});

// ---- other server versions -------------------------------------------------------------------

describe('@jellyfin/sdk against other Jellyfin versions', () => {
  it('12.0 (legacy authorization off): the SDK header still signs in and writes', async () => {
    const twelve = await startMediaBrowserEmulator({
      dialect: 'jellyfin',
      name: 'twelve',
      synthetic: SYNTHETIC,
      seed: 'x',
      quiet: true,
      version: '12.0.0',
      legacyAuth: false,
      now: () => clock,
    });
    try {
      const user = twelve.users.find((u) => u.name === 'alice')!;
      const client = jellyfin.createApi(twelve.url, user.token, http);
      const { data: info } = await getSystemApi(client).getPublicSystemInfo();
      assert.equal(info.Version, '12.0.0');
      assert.equal(compareVersions(info.Version, MINIMUM_VERSION), 1);
      const target = twelve.state.items.find((i) => i.Type === 'Episode')!;
      const { data } = await getUserDataApi(client).updateItemUserData({
        itemId: target.Id,
        userId: user.id,
        updateUserItemDataDto: { PlaybackPositionTicks: 5_000_000_000 },
      });
      assert.equal(data.PlaybackPositionTicks, 5_000_000_000);
      assert.equal(twelve.state.userData[user.id]?.[target.Id]?.PlaybackPositionTicks, 5_000_000_000);
      // The header the SDK sends is the one 12.0 accepts; a legacy X-Emby-Token is not.
      const legacy = await http.get(`${twelve.url}/Users/Me`, { headers: { 'X-Emby-Token': user.token }, validateStatus: () => true });
      assert.equal(legacy.status, 401);
    } finally {
      await twelve.close();
    }
  });

  it('10.8: below the SDK minimum, and the UserData routes are missing (404)', async () => {
    const old = await startMediaBrowserEmulator({
      dialect: 'jellyfin',
      name: 'old',
      synthetic: SYNTHETIC,
      seed: 'x',
      quiet: true,
      version: '10.8.13',
      now: () => clock,
    });
    try {
      const user = old.users.find((u) => u.name === 'alice')!;
      const client = jellyfin.createApi(old.url, user.token, http);
      const { data: info } = await getSystemApi(client).getPublicSystemInfo();
      assert.equal(info.Version, '10.8.13');
      assert.equal(compareVersions(info.Version, MINIMUM_VERSION), -1);
      const target = old.state.items.find((i) => i.Type === 'Movie')!;
      await assert.rejects(
        getUserDataApi(client).updateItemUserData({ itemId: target.Id, userId: user.id, updateUserItemDataDto: { PlaybackPositionTicks: 1 } }),
        (error) => status(error) === 404,
      );
      await assert.rejects(getLibraryApi(client).getItem({ itemId: target.Id, userId: user.id }), (error) => status(error) === 404);
      // The item query stays (Playhead can still read a 10.8 server as a source).
      const { data } = await getLibraryApi(client).getItems({ userId: user.id, recursive: true, includeItemTypes: [BaseItemKind.Movie], limit: 1 });
      assert.equal(data.TotalRecordCount, 20);
      assert.equal(old.state.userData[user.id]?.[target.Id], undefined);
    } finally {
      await old.close();
    }
  });
});
