// DTOs as each server writes them: BaseItemDto, UserItemDataDto, UserDto, SessionInfo, system
// info. PascalCase, nulls omitted (both servers skip null properties), dates with seven
// fractional digits, times in ticks. List views carry a base set of fields plus those named in
// `Fields`; single-item views carry every field, as both servers do.
import { hexDigest } from '../random.ts';
import type { MbItem, MbLibrary, MbSession, MbUser } from './data.ts';
import { isLeaf, sortNameOf } from './library.ts';
import type { MbEnv } from './request.ts';
import { isoTicks, wireDate } from './time.ts';

type Dto = Record<string, unknown>;

export interface DtoOptions {
  /** Whose UserData to attach; none without a user context. */
  user?: MbUser;
  /** Lower-cased `Fields` values. */
  fields: Set<string>;
  /** Single-item views: every field. */
  all: boolean;
  enableUserData: boolean;
  /** A list view: Emby then shows UserData PlayCount/LastPlayedDate only when `Fields` asks. */
  list: boolean;
}

export function listOptions(fields: Set<string>, user: MbUser | undefined, enableUserData = true): DtoOptions {
  return { fields, all: false, enableUserData, list: true, ...(user ? { user } : {}) };
}

export function detailOptions(user: MbUser | undefined): DtoOptions {
  return { fields: new Set(), all: true, enableUserData: true, list: false, ...(user ? { user } : {}) };
}

function wants(options: DtoOptions, field: string): boolean {
  return options.all || options.fields.has(field.toLowerCase());
}

/** The key servers file user data under: external ids when known, so it survives a rescan. */
function userDataKey(env: MbEnv, item: MbItem): string {
  const seriesKey = (series: MbItem | undefined) => series?.ProviderIds.Tvdb ?? series?.Id ?? '';
  const pad = (n: number | undefined) => String(n ?? 0).padStart(3, '0');
  switch (item.Type) {
    case 'Movie':
      return item.ProviderIds.Tmdb ?? item.ProviderIds.Imdb ?? item.Id;
    case 'Series':
      return seriesKey(item);
    case 'Season':
      return `${seriesKey(env.catalog.item(item.SeriesId ?? item.ParentId))}${pad(item.IndexNumber)}`;
    case 'Episode':
      return `${seriesKey(env.catalog.item(item.SeriesId ?? ''))}${pad(item.ParentIndexNumber)}${pad(item.IndexNumber)}`;
  }
}

export function renderUserData(env: MbEnv, userId: string, item: MbItem, options: { list: boolean; fields: Set<string> }): Dto {
  const record = env.catalog.userData(userId, item.Id);
  const emby = env.dialect === 'emby';
  const dto: Dto = {};
  if (record.Rating !== undefined) dto.Rating = record.Rating;
  let played = record.Played;
  if (isLeaf(item)) {
    if (record.PlaybackPositionTicks > 0 && item.RunTimeTicks) dto.PlayedPercentage = (record.PlaybackPositionTicks / item.RunTimeTicks) * 100;
  } else {
    const leaves = env.catalog.leaves(item);
    const playedCount = leaves.filter((leaf) => env.catalog.userData(userId, leaf.Id).Played).length;
    if (playedCount > 0 && playedCount < leaves.length) dto.PlayedPercentage = (playedCount / leaves.length) * 100;
    dto.UnplayedItemCount = leaves.length - playedCount;
    played = leaves.length > 0 && playedCount === leaves.length;
  }
  dto.PlaybackPositionTicks = record.PlaybackPositionTicks;
  if (!emby || !options.list || options.fields.has('userdataplaycount')) dto.PlayCount = record.PlayCount;
  dto.IsFavorite = record.IsFavorite;
  if (!emby && record.Likes !== undefined) dto.Likes = record.Likes;
  if (record.LastPlayedDate !== undefined && (!emby || !options.list || options.fields.has('userdatalastplayeddate'))) {
    dto.LastPlayedDate = wireDate(record.LastPlayedDate);
  }
  dto.Played = played;
  dto.Key = userDataKey(env, item);
  dto.ItemId = item.Id;
  if (emby) dto.ServerId = env.data().serverId;
  return dto;
}

const PROVIDER_URLS: Record<string, [string, (id: string, item: MbItem) => string]> = {
  Imdb: ['IMDb', (id) => `https://www.imdb.com/title/${id}`],
  Tmdb: ['TheMovieDb', (id, item) => `https://www.themoviedb.org/${item.Type === 'Movie' ? 'movie' : 'tv'}/${id}`],
  Tvdb: ['TheTVDB', (id, item) => `https://thetvdb.com/?tab=${item.Type === 'Episode' ? 'episode' : 'series'}&id=${id}`],
};

function externalUrls(item: MbItem): Dto[] {
  return Object.entries(item.ProviderIds)
    .filter(([provider]) => provider in PROVIDER_URLS)
    .map(([provider, id]) => {
      const [name, url] = PROVIDER_URLS[provider]!;
      return { Name: name, Url: url(id, item) };
    });
}

export function renderItem(env: MbEnv, item: MbItem, options: DtoOptions): Dto {
  const jellyfin = env.dialect === 'jellyfin';
  const leaf = isLeaf(item);
  const dto: Dto = { Name: item.Name };
  if (item.OriginalTitle !== undefined && wants(options, 'OriginalTitle')) dto.OriginalTitle = item.OriginalTitle;
  dto.ServerId = env.data().serverId;
  dto.Id = item.Id;
  if (wants(options, 'Etag')) dto.Etag = hexDigest(`${item.Id}:${item.DateLastSaved}`, 32);
  if (wants(options, 'DateCreated')) dto.DateCreated = wireDate(item.DateCreated);
  if (wants(options, 'CanDelete')) dto.CanDelete = options.user?.admin ?? true;
  if (wants(options, 'CanDownload')) dto.CanDownload = leaf;
  if (wants(options, 'SortName')) dto.SortName = sortNameOf(item);
  if (item.PremiereDate !== undefined) dto.PremiereDate = wireDate(item.PremiereDate);
  if (wants(options, 'ExternalUrls')) dto.ExternalUrls = externalUrls(item);
  if (item.Path !== undefined && wants(options, 'Path')) dto.Path = item.Path;
  if (item.Overview !== undefined && wants(options, 'Overview')) dto.Overview = item.Overview;
  if (item.RunTimeTicks !== undefined) dto.RunTimeTicks = item.RunTimeTicks;
  if (item.ProductionYear !== undefined) dto.ProductionYear = item.ProductionYear;
  if (item.IndexNumber !== undefined) dto.IndexNumber = item.IndexNumber;
  if (item.ParentIndexNumber !== undefined) dto.ParentIndexNumber = item.ParentIndexNumber;
  if (wants(options, 'ProviderIds')) dto.ProviderIds = { ...item.ProviderIds };
  dto.IsFolder = !leaf;
  if (wants(options, 'ParentId')) dto.ParentId = item.ParentId;
  dto.Type = item.Type;
  if (options.user && options.enableUserData) dto.UserData = renderUserData(env, options.user.id, item, options);
  if (!leaf && wants(options, 'RecursiveItemCount')) dto.RecursiveItemCount = env.catalog.leaves(item).length;
  if (!leaf && wants(options, 'ChildCount')) dto.ChildCount = env.catalog.children(item.Id).length;
  if (item.Type === 'Season' || item.Type === 'Episode') {
    const series = env.catalog.item(item.SeriesId ?? '');
    if (series) dto.SeriesName = series.Name;
    if (item.SeriesId !== undefined) dto.SeriesId = item.SeriesId;
  }
  if (item.Type === 'Episode') {
    if (item.SeasonId !== undefined) dto.SeasonId = item.SeasonId;
    const season = env.catalog.item(item.SeasonId ?? '');
    if (season) dto.SeasonName = season.Name;
  }
  if (jellyfin && leaf) dto.VideoType = 'VideoFile';
  dto.ImageTags = {};
  dto.BackdropImageTags = [];
  dto.LocationType = 'FileSystem';
  if (leaf) dto.MediaType = 'Video';
  else if (jellyfin) dto.MediaType = 'Unknown';
  return dto;
}

/** A library as a CollectionFolder: what /UserViews and a root /Items listing return. */
export function renderView(env: MbEnv, library: MbLibrary, options: DtoOptions): Dto {
  const jellyfin = env.dialect === 'jellyfin';
  const dto: Dto = { Name: library.Name, ServerId: env.data().serverId, Id: library.Id };
  if (wants(options, 'Etag')) dto.Etag = hexDigest(`${library.Id}:${library.Name}`, 32);
  if (library.DateCreated !== undefined && wants(options, 'DateCreated')) dto.DateCreated = wireDate(library.DateCreated);
  if (wants(options, 'CanDelete')) dto.CanDelete = false;
  if (wants(options, 'SortName')) dto.SortName = library.Name.toLowerCase();
  if (wants(options, 'ExternalUrls')) dto.ExternalUrls = [];
  if (library.Path !== undefined && wants(options, 'Path')) dto.Path = library.Path;
  if (wants(options, 'ProviderIds')) dto.ProviderIds = {};
  dto.IsFolder = true;
  dto.Type = 'CollectionFolder';
  if (options.user && options.enableUserData) {
    const userData: Dto = { PlaybackPositionTicks: 0, PlayCount: 0, IsFavorite: false, Played: false, Key: library.Id, ItemId: library.Id };
    if (!jellyfin) userData.ServerId = env.data().serverId;
    dto.UserData = userData;
  }
  if (wants(options, 'ChildCount')) dto.ChildCount = env.catalog.children(library.Id).length;
  dto.CollectionType = library.CollectionType;
  dto.ImageTags = {};
  dto.BackdropImageTags = [];
  dto.LocationType = 'FileSystem';
  if (jellyfin) dto.MediaType = 'Unknown';
  return dto;
}

// ---- users ---------------------------------------------------------------------------------

function lastActivity(env: MbEnv, user: MbUser): string {
  const dates = env
    .data()
    .sessions.filter((s) => s.userId === user.id)
    .map((s) => Date.parse(s.lastActivityDate));
  return isoTicks(Math.max(env.startedAt, ...dates));
}

/**
 * The stretch of UserPolicy both servers write alike (Jellyfin began as a fork of Emby): same
 * fields, same order, same values. Spread in place, so each policy keeps its server's field order.
 */
function accessAndPlaybackPolicy(admin: boolean): Dto {
  return {
    EnableUserPreferenceAccess: true,
    AccessSchedules: [],
    BlockUnratedItems: [],
    EnableRemoteControlOfOtherUsers: admin,
    EnableSharedDeviceControl: true,
    EnableRemoteAccess: true,
    EnableLiveTvManagement: admin,
    EnableLiveTvAccess: true,
    EnableMediaPlayback: true,
    EnableAudioPlaybackTranscoding: true,
    EnableVideoPlaybackTranscoding: true,
    EnablePlaybackRemuxing: true,
  };
}

function jellyfinPolicy(user: MbUser): Dto {
  const admin = user.admin;
  return {
    IsAdministrator: admin,
    IsHidden: user.hidden,
    EnableCollectionManagement: admin,
    EnableSubtitleManagement: admin,
    EnableLyricManagement: admin,
    IsDisabled: false,
    BlockedTags: [],
    AllowedTags: [],
    ...accessAndPlaybackPolicy(admin),
    ForceRemoteSourceTranscoding: false,
    EnableContentDeletion: admin,
    EnableContentDeletionFromFolders: [],
    EnableContentDownloading: true,
    EnableSyncTranscoding: true,
    EnableMediaConversion: true,
    EnabledDevices: [],
    EnableAllDevices: true,
    EnabledChannels: [],
    EnableAllChannels: true,
    EnabledFolders: [],
    EnableAllFolders: true,
    InvalidLoginAttemptCount: 0,
    LoginAttemptsBeforeLockout: -1,
    MaxActiveSessions: 0,
    EnablePublicSharing: true,
    BlockedMediaFolders: [],
    BlockedChannels: [],
    RemoteClientBitrateLimit: 0,
    AuthenticationProviderId: 'Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider',
    PasswordResetProviderId: 'Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider',
    SyncPlayAccess: 'CreateAndJoinGroups',
  };
}

function embyPolicy(user: MbUser): Dto {
  const admin = user.admin;
  return {
    IsAdministrator: admin,
    IsHidden: user.hidden,
    IsHiddenRemotely: user.hidden,
    IsHiddenFromUnusedDevices: false,
    IsDisabled: false,
    AllowTagOrRating: false,
    BlockedTags: [],
    IsTagBlockingModeInclusive: false,
    IncludeTags: [],
    ...accessAndPlaybackPolicy(admin),
    EnableContentDeletion: admin,
    RestrictedFeatures: [],
    EnableContentDeletionFromFolders: [],
    EnableContentDownloading: true,
    EnableSubtitleDownloading: admin,
    EnableSubtitleManagement: admin,
    EnableSyncTranscoding: true,
    EnableMediaConversion: true,
    EnabledChannels: [],
    EnableAllChannels: true,
    EnabledFolders: [],
    EnableAllFolders: true,
    InvalidLoginAttemptCount: 0,
    EnablePublicSharing: true,
    BlockedMediaFolders: [],
    RemoteClientBitrateLimit: 0,
    AuthenticationProviderId: 'Emby.Server.Implementations.Library.DefaultAuthenticationProvider',
    ExcludedSubFolders: [],
    SimultaneousStreamLimit: 0,
    EnabledDevices: [],
    EnableAllDevices: true,
    AllowCameraUpload: false,
    AllowSharingPersonalItems: false,
  };
}

function userConfiguration(jellyfin: boolean): Dto {
  const common: Dto = {
    PlayDefaultAudioTrack: true,
    SubtitleLanguagePreference: '',
    DisplayMissingEpisodes: false,
    SubtitleMode: 'Default',
    OrderedViews: [],
    LatestItemsExcludes: [],
    MyMediaExcludes: [],
    HidePlayedInLatest: true,
    RememberAudioSelections: true,
    RememberSubtitleSelections: true,
    EnableNextEpisodeAutoPlay: true,
    EnableLocalPassword: false,
  };
  return jellyfin
    ? { ...common, GroupedFolders: [], DisplayCollectionsView: false, CastReceiverId: 'F007D354' }
    : { ...common, HidePlayedInMoreLikeThis: false, HidePlayedInSuggestions: false, ResumeRewindSeconds: 0 };
}

export function renderUser(env: MbEnv, user: MbUser): Dto {
  const jellyfin = env.dialect === 'jellyfin';
  const data = env.data();
  const hasPassword = (user.password ?? '') !== '';
  const activity = lastActivity(env, user);
  const dto: Dto = { Name: user.name, ServerId: data.serverId };
  if (jellyfin) dto.ServerName = data.serverName;
  else dto.DateCreated = isoTicks(env.startedAt);
  Object.assign(dto, {
    Id: user.id,
    HasPassword: hasPassword,
    HasConfiguredPassword: hasPassword,
    HasConfiguredEasyPassword: false,
    EnableAutoLogin: false,
    LastLoginDate: activity,
    LastActivityDate: activity,
    Configuration: userConfiguration(jellyfin),
    Policy: jellyfin ? jellyfinPolicy(user) : embyPolicy(user),
  });
  return dto;
}

// ---- sessions ------------------------------------------------------------------------------

export function renderSession(env: MbEnv, session: MbSession): Dto {
  const jellyfin = env.dialect === 'jellyfin';
  const data = env.data();
  const user = data.users.find((u) => u.id === session.userId);
  const item = session.itemId !== undefined ? env.catalog.item(session.itemId) : undefined;
  const playState: Dto = {};
  if (item && session.positionTicks !== undefined) playState.PositionTicks = session.positionTicks;
  Object.assign(playState, { CanSeek: item !== undefined, IsPaused: item ? session.isPaused : false, IsMuted: false });
  if (item && session.mediaSourceId !== undefined) playState.MediaSourceId = session.mediaSourceId;
  if (item) playState.PlayMethod = session.playMethod ?? 'DirectPlay';
  playState.RepeatMode = 'RepeatNone';
  if (jellyfin) playState.PlaybackOrder = 'Default';
  else Object.assign(playState, { SubtitleOffset: 0, Shuffle: false, PlaybackRate: 1 });

  const nowPlaying = item ? renderItem(env, item, { ...detailOptions(undefined), enableUserData: false }) : undefined;
  if (jellyfin) {
    return {
      PlayState: playState,
      AdditionalUsers: [],
      Capabilities: { PlayableMediaTypes: ['Video'], SupportedCommands: [], SupportsMediaControl: false, SupportsPersistentIdentifier: true },
      RemoteEndPoint: '127.0.0.1',
      PlayableMediaTypes: ['Video'],
      Id: session.id,
      UserId: session.userId,
      UserName: user?.name ?? '',
      Client: session.client,
      LastActivityDate: wireDate(session.lastActivityDate),
      LastPlaybackCheckIn: wireDate(session.lastPlaybackCheckIn ?? '0001-01-01T00:00:00Z'),
      ...(session.lastPausedDate !== undefined ? { LastPausedDate: wireDate(session.lastPausedDate) } : {}),
      DeviceName: session.deviceName,
      ...(nowPlaying ? { NowPlayingItem: nowPlaying } : {}),
      DeviceId: session.deviceId,
      ApplicationVersion: session.applicationVersion,
      IsActive: true,
      SupportsMediaControl: false,
      SupportsRemoteControl: false,
      NowPlayingQueue: [],
      NowPlayingQueueFullItems: [],
      HasCustomDeviceName: false,
      ServerId: data.serverId,
      SupportedCommands: [],
    };
  }
  return {
    PlayState: playState,
    AdditionalUsers: [],
    RemoteEndPoint: '127.0.0.1',
    Protocol: 'HTTP/1.1',
    PlayableMediaTypes: ['Video'],
    Id: session.id,
    ServerId: data.serverId,
    UserId: session.userId,
    UserName: user?.name ?? '',
    Client: session.client,
    LastActivityDate: wireDate(session.lastActivityDate),
    DeviceName: session.deviceName,
    ...(nowPlaying ? { NowPlayingItem: nowPlaying } : {}),
    DeviceId: session.deviceId,
    ApplicationVersion: session.applicationVersion,
    SupportedCommands: [],
    SupportsRemoteControl: false,
  };
}

// ---- system --------------------------------------------------------------------------------

export function publicSystemInfo(env: MbEnv, localAddress: string): Dto {
  const data = env.data();
  if (env.dialect === 'jellyfin') {
    return {
      LocalAddress: localAddress,
      ServerName: data.serverName,
      Version: data.version,
      ProductName: 'Jellyfin Server',
      OperatingSystem: 'Linux',
      Id: data.serverId,
      StartupWizardCompleted: true,
    };
  }
  return {
    LocalAddress: localAddress,
    LocalAddresses: [localAddress],
    RemoteAddresses: [],
    ServerName: data.serverName,
    Version: data.version,
    Id: data.serverId,
  };
}

export function systemInfo(env: MbEnv, localAddress: string): Dto {
  const base = publicSystemInfo(env, localAddress);
  const port = Number(/:(\d+)$/.exec(localAddress)?.[1] ?? 8096);
  if (env.dialect === 'jellyfin') {
    return {
      ...base,
      OperatingSystemDisplayName: 'Linux',
      PackageName: 'playhead-emulator',
      HasPendingRestart: false,
      IsShuttingDown: false,
      SupportsLibraryMonitor: true,
      WebSocketPortNumber: port,
      CompletedInstallations: [],
      CanSelfRestart: false,
      CanLaunchWebBrowser: false,
      ProgramDataPath: '/config/data',
      WebPath: '/usr/share/jellyfin/web',
      ItemsByNamePath: '/config/metadata',
      CachePath: '/cache',
      LogPath: '/config/log',
      InternalMetadataPath: '/config/metadata',
      TranscodingTempPath: '/cache/transcodes',
      CastReceiverApplications: [],
      HasUpdateAvailable: false,
      EncoderLocation: 'System',
      SystemArchitecture: 'X64',
    };
  }
  return {
    SystemUpdateLevel: 'Release',
    OperatingSystemDisplayName: 'Linux',
    PackageName: 'playhead-emulator',
    HasPendingRestart: false,
    IsShuttingDown: false,
    HasImageEnhancers: false,
    OperatingSystem: 'Linux',
    SupportsLibraryMonitor: true,
    SupportsLocalPortConfiguration: true,
    SupportsWakeServer: false,
    WebSocketPortNumber: port,
    CompletedInstallations: [],
    CanSelfRestart: false,
    CanSelfUpdate: false,
    CanLaunchWebBrowser: false,
    ProgramDataPath: '/config',
    ItemsByNamePath: '/config/metadata',
    CachePath: '/config/cache',
    LogPath: '/config/logs',
    InternalMetadataPath: '/config/metadata',
    TranscodingTempPath: '/config/transcoding-temp',
    HttpServerPortNumber: port,
    SupportsHttps: false,
    HttpsPortNumber: 8920,
    HasUpdateAvailable: false,
    SupportsAutoRunAtStartup: false,
    HardwareAccelerationRequiresPremiere: true,
    WakeOnLanInfo: [],
    ...base,
  };
}
