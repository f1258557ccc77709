// The PMS routes the emulator serves, with their access rules. Read routes live here; writers
// are in playback.ts. Handlers are synchronous and return a Reply.
import type { PlexAccount, PlexItem, PlexItemType, PlexSection, PlexSession } from './data.ts';
import type { PlexNode } from './encode.ts';
import { accountForRequest, isOwner, nowSeconds, ownerAccount, type PlexEnv } from './env.ts';
import { isLeafType } from './library.ts';
import { hubSearch, inProgress, libraryRoot, onDeck, recentlyAdded, sectionHubs } from './browse.ts';
import { playHistory } from './history.ts';
import { handleProgress, handleScrobble, handleTimeline } from './playback.ts';
import { container, listReply, renderRows, rowOptions, rowRenderer } from './listing.ts';
import { parseMediaQuery, runMediaQuery, QueryError } from './query.ts';
import { LIBRARY_IDENTIFIER, MEDIA_TAG_PREFIX, MEDIA_TAG_VERSION, renderItem, renderSection, sectionContainerAttrs } from './render.ts';
import { containerReply, htmlStatus, type PlexRequest, type Reply } from './reply.ts';
import { hexDigest } from '../random.ts';

/** public: no token; user: any known token; owner401/owner403: the owner only, else that status. */
type Access = 'public' | 'user' | 'owner401' | 'owner403';

interface Route {
  methods: string[];
  pattern: RegExp;
  access: Access;
  handle(request: PlexRequest, env: PlexEnv, account: PlexAccount, params: string[]): Reply;
}

const GET = ['GET'];
const WRITE_VERBS = ['GET', 'PUT', 'POST'];

const ROUTES: Route[] = [
  { methods: GET, pattern: /^\/identity$/, access: 'public', handle: identity },
  { methods: GET, pattern: /^\/$/, access: 'user', handle: serverInfo },
  { methods: GET, pattern: /^\/library$/, access: 'user', handle: libraryRoot },
  { methods: GET, pattern: /^\/library\/sections(?:\/all)?$/, access: 'user', handle: sections },
  { methods: GET, pattern: /^\/library\/sections\/([^/]+)\/onDeck$/, access: 'user', handle: onDeck },
  { methods: GET, pattern: /^\/library\/sections\/([^/]+)\/recentlyAdded$/, access: 'user', handle: recentlyAdded },
  { methods: GET, pattern: /^\/library\/onDeck$/, access: 'user', handle: onDeck },
  { methods: GET, pattern: /^\/library\/recentlyAdded$/, access: 'user', handle: recentlyAdded },
  { methods: GET, pattern: /^\/library\/sections\/([^/]+)\/all$/, access: 'user', handle: sectionAll },
  { methods: GET, pattern: /^\/library\/all$/, access: 'user', handle: libraryAll },
  { methods: GET, pattern: /^\/library\/metadata\/([^/]+)$/, access: 'user', handle: metadata },
  { methods: GET, pattern: /^\/library\/metadata\/([^/]+)\/children$/, access: 'user', handle: children },
  { methods: GET, pattern: /^\/library\/metadata\/([^/]+)\/allLeaves$/, access: 'user', handle: allLeaves },
  { methods: GET, pattern: /^\/hubs\/continueWatching$/, access: 'user', handle: continueWatchingHub },
  { methods: GET, pattern: /^\/hubs\/continueWatching\/items$/, access: 'user', handle: continueWatchingItems },
  { methods: GET, pattern: /^\/hubs\/search$/, access: 'user', handle: hubSearch },
  { methods: GET, pattern: /^\/hubs\/sections\/([^/]+)$/, access: 'user', handle: sectionHubs },
  { methods: GET, pattern: /^\/hubs\/sections\/([^/]+)\/continueWatching\/items$/, access: 'user', handle: continueWatchingItems },
  { methods: GET, pattern: /^\/status\/sessions$/, access: 'owner403', handle: statusSessions },
  { methods: GET, pattern: /^\/status\/sessions\/history\/all$/, access: 'user', handle: playHistory },
  { methods: GET, pattern: /^\/:\/prefs$/, access: 'owner401', handle: prefs },
  { methods: GET, pattern: /^\/accounts$/, access: 'owner401', handle: accounts },
  { methods: ['GET', 'POST'], pattern: /^\/:\/timeline$/, access: 'user', handle: handleTimeline },
  { methods: WRITE_VERBS, pattern: /^\/:\/progress$/, access: 'owner401', handle: handleProgress },
  { methods: WRITE_VERBS, pattern: /^\/:\/scrobble$/, access: 'user', handle: (r, e, a) => handleScrobble(r, e, a, true) },
  { methods: WRITE_VERBS, pattern: /^\/:\/unscrobble$/, access: 'user', handle: (r, e, a) => handleScrobble(r, e, a, false) },
];

/** Route, authenticate, answer. HEAD is served by GET routes (headers only, like PMS). */
export function handlePlexRequest(request: PlexRequest, env: PlexEnv): { reply: Reply; account?: PlexAccount } {
  const account = accountForRequest(request, env);
  const answer = (reply: Reply) => (account ? { reply, account } : { reply });
  const route = ROUTES.find((r) => r.pattern.test(request.path));
  if (route?.access !== 'public' && !account) return answer(htmlStatus(401));
  if (!route) return answer(htmlStatus(404));
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (!route.methods.includes(method)) return answer(htmlStatus(405));
  // Public routes ignore the caller; the owner stands in so handlers always get an account.
  const caller = account ?? ownerAccount(env.data());
  const owner = isOwner(caller, env.data());
  if (route.access === 'owner401' && !owner) return answer(htmlStatus(401));
  if (route.access === 'owner403' && !owner) return answer(htmlStatus(403));
  const params = (route.pattern.exec(request.path) ?? []).slice(1).map((p) => decodeURIComponent(p));
  try {
    return answer(route.handle(request, env, caller, params));
  } catch (error) {
    if (error instanceof QueryError || error instanceof URIError) return answer(htmlStatus(400));
    throw error;
  }
}

function identity(request: PlexRequest, env: PlexEnv): Reply {
  const data = env.data();
  return containerReply(
    request,
    container({
      size: 0,
      apiVersion: '1.2.0',
      claimed: true,
      machineIdentifier: data.machineIdentifier,
      version: data.version,
    }),
  );
}

const OWNER_FEATURES = [
  'adaptive_bitrate',
  'camera_upload',
  'collections',
  'content_filter',
  'download_certificates',
  'federated-auth',
  'hardware_transcoding',
  'home',
  'hwtranscode',
  'item_clusters',
  'loudness',
  'pass',
  'session_bandwidth_restrictions',
  'session_kick',
  'sync',
  'trailers',
  'type-first',
  'webhooks',
].join(',');

function serverInfo(request: PlexRequest, env: PlexEnv): Reply {
  const data = env.data();
  const directories = [
    'activities',
    'butler',
    'channels',
    'clients',
    'diagnostics',
    'hubs',
    'library',
    'playlists',
    'player',
    'search',
    'servers',
    'status',
    'system',
  ];
  return containerReply(
    request,
    container(
      {
        size: directories.length,
        allowCameraUpload: false,
        allowChannelAccess: true,
        allowMediaDeletion: true,
        allowSharing: true,
        allowSync: true,
        backgroundProcessing: true,
        certificate: true,
        claimed: true,
        countryCode: 'usa',
        eventStream: true,
        friendlyName: data.friendlyName,
        hubSearch: true,
        livetv: 0,
        machineIdentifier: data.machineIdentifier,
        multiuser: true,
        myPlex: true,
        myPlexMappingState: 'mapped',
        myPlexSigninState: 'ok',
        myPlexSubscription: true,
        myPlexUsername: ownerAccount(data).name,
        // A Plex Pass owner's feature list (S1 example); clients such as @ctrl/plex split it on connect.
        ownerFeatures: OWNER_FEATURES,
        platform: 'Linux',
        platformVersion: '6.1',
        pluginHost: true,
        readOnlyLibraries: false,
        sync: true,
        transcoderActiveVideoSessions: 0,
        transcoderAudio: true,
        transcoderVideo: true,
        updatedAt: Math.max(0, ...data.sections.map((s) => s.updatedAt)),
        updater: true,
        version: data.version,
      },
      directories.map((name) => ({ tag: 'Directory', attrs: { count: 1, key: name, title: name } })),
    ),
  );
}

function sections(request: PlexRequest, env: PlexEnv): Reply {
  const all = env.data().sections;
  return containerReply(request, container({ size: all.length, allowSync: false, title1: 'Plex Library' }, all.map(renderSection)));
}

const TITLE2: Record<PlexItemType, string> = { movie: 'All Movies', show: 'All Shows', season: 'All Seasons', episode: 'All Episodes' };

function sectionDefaultTypes(section: PlexSection): Set<PlexItemType> {
  return new Set([section.type]);
}

function sectionAll(request: PlexRequest, env: PlexEnv, account: PlexAccount, [sectionId]: string[]): Reply {
  const section = env.library.section(sectionId ?? '');
  if (!section) return htmlStatus(404);
  const query = parseMediaQuery(request.params, nowSeconds(env));
  const items = runMediaQuery(query, section.key, sectionDefaultTypes(section), env.library, account.id);
  const resultType = query.types?.size === 1 ? [...query.types][0]! : section.type;
  // Rows inside a section listing do not repeat librarySectionID: it is on the container.
  return listReply(request, items, rowRenderer(env, rowOptions(request, account, false, query)), {
    ...sectionContainerAttrs(section),
    title1: section.title,
    title2: TITLE2[resultType],
    viewGroup: resultType,
    viewMode: 65592,
  });
}

const ALL_TYPES = new Set<PlexItemType>(['movie', 'show', 'season', 'episode']);
const TOP_LEVEL_TYPES = new Set<PlexItemType>(['movie', 'show']);

function libraryAll(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const query = parseMediaQuery(request.params, nowSeconds(env));
  // Without type=, a guid lookup searches every level; a plain listing returns top-level items.
  const defaults = query.filters.some((f) => f.kind === 'guid') ? ALL_TYPES : TOP_LEVEL_TYPES;
  const items = runMediaQuery(query, undefined, defaults, env.library, account.id);
  return listReply(request, items, rowRenderer(env, rowOptions(request, account, true, query)), {
    allowSync: true,
    identifier: LIBRARY_IDENTIFIER,
    mediaTagPrefix: MEDIA_TAG_PREFIX,
    mediaTagVersion: MEDIA_TAG_VERSION,
  });
}

function metadata(request: PlexRequest, env: PlexEnv, account: PlexAccount, [ids]: string[]): Reply {
  const items = (ids ?? '')
    .split(',')
    .map((id) => env.library.item(id))
    .filter((item) => item !== undefined);
  const first = items[0];
  if (!first) return htmlStatus(404);
  const section = env.library.sectionOf(first);
  return containerReply(
    request,
    container(
      {
        size: items.length,
        allowSync: true,
        identifier: LIBRARY_IDENTIFIER,
        librarySectionID: section ? Number(section.key) : undefined,
        librarySectionTitle: section?.title,
        librarySectionUUID: section?.uuid,
        mediaTagPrefix: MEDIA_TAG_PREFIX,
        mediaTagVersion: MEDIA_TAG_VERSION,
      },
      // The detail view always carries Guid[]: before includeGuids existed, clients re-fetched an
      // item by ratingKey to read its external ids (python-plexapi#808, #1214). includeGuids=1 is for listings.
      renderRows(items, env, { ...rowOptions(request, account, true), includeGuids: true }),
    ),
  );
}

/** Container attributes of /children and /allLeaves: the parent's identity and titles. */
function parentContainerAttrs(item: PlexItem, env: PlexEnv, viewGroup: string): PlexNode['attrs'] {
  const section = env.library.sectionOf(item);
  const show = item.type === 'season' && item.parentRatingKey ? env.library.item(item.parentRatingKey) : item;
  return {
    ...(section ? sectionContainerAttrs(section) : {}),
    key: item.ratingKey,
    parentIndex: item.type === 'season' ? item.index : undefined,
    parentTitle: show?.title,
    parentYear: show?.year,
    summary: item.summary,
    thumb: `/library/metadata/${item.ratingKey}/thumb/${item.updatedAt}`,
    title1: item.type === 'season' ? show?.title : section?.title,
    title2: item.title,
    viewGroup,
    viewMode: viewGroup === 'season' ? 65593 : 65592,
  };
}

/** The "All episodes" pseudo-row PMS puts first among a multi-season show's children. */
function allEpisodesRow(show: PlexItem, env: PlexEnv, account: PlexAccount): PlexNode {
  const view = env.library.viewState(account.id, show);
  return {
    tag: 'Directory',
    jsonKey: 'Metadata',
    attrs: {
      leafCount: view.leafCount,
      thumb: `/library/metadata/${show.ratingKey}/thumb/${show.updatedAt}`,
      viewedLeafCount: view.viewedLeafCount,
      key: `/library/metadata/${show.ratingKey}/allLeaves`,
      title: 'All episodes',
    },
  };
}

function children(request: PlexRequest, env: PlexEnv, account: PlexAccount, [id]: string[]): Reply {
  const item = env.library.item(id ?? '');
  if (!item) return htmlStatus(404);
  const kids = env.library.children(item.ratingKey);
  const withAllEpisodes = item.type === 'show' && kids.length > 1 && request.params.get('excludeAllLeaves') !== '1';
  const leading = withAllEpisodes ? [allEpisodesRow(item, env, account)] : [];
  const attrs = parentContainerAttrs(item, env, item.type === 'show' ? 'season' : 'episode');
  return listReply(request, kids, rowRenderer(env, rowOptions(request, account, false)), attrs, leading);
}

function allLeaves(request: PlexRequest, env: PlexEnv, account: PlexAccount, [id]: string[]): Reply {
  const item = env.library.item(id ?? '');
  if (!item) return htmlStatus(404);
  const leaves = isLeafType(item) ? [] : env.library.leaves(item);
  return listReply(request, leaves, rowRenderer(env, rowOptions(request, account, false)), parentContainerAttrs(item, env, 'episode'));
}

/** `/hubs/continueWatching/items`, or one section's (`/hubs/sections/{id}/continueWatching/items`). */
function continueWatchingItems(request: PlexRequest, env: PlexEnv, account: PlexAccount, [sectionId]: string[]): Reply {
  if (sectionId !== undefined && !env.library.section(sectionId)) return htmlStatus(404);
  const render = rowRenderer(env, rowOptions(request, account, true));
  return listReply(request, inProgress(env, account, sectionId), render, { allowSync: false, identifier: LIBRARY_IDENTIFIER });
}

function continueWatchingHub(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const all = inProgress(env, account);
  const countRaw = request.params.get('count');
  const count = countRaw !== null && /^\d+$/.test(countRaw) ? Number(countRaw) : 20;
  const shown = all.slice(0, count);
  const hub: PlexNode = {
    tag: 'Hub',
    attrs: {
      hubKey: `/library/metadata/${shown.map((i) => i.ratingKey).join(',')}`,
      key: '/hubs/home/continueWatching',
      title: 'Continue Watching',
      type: 'mixed',
      hubIdentifier: 'home.continue',
      context: 'hub.home.continue',
      size: shown.length,
      more: all.length > shown.length,
      style: 'hero',
      promoted: true,
    },
    children: renderRows(shown, env, rowOptions(request, account, true)),
  };
  return containerReply(request, container({ size: 1, allowSync: true, identifier: LIBRARY_IDENTIFIER }, [hub]));
}

function sessionRow(session: PlexSession, env: PlexEnv): PlexNode | undefined {
  const item = env.library.item(session.ratingKey);
  const account = env.data().accounts.find((a) => a.id === session.accountId);
  if (!item || !account) return undefined;
  const row = renderItem(item, env.library, { accountId: account.id, includeGuids: false, withSection: true });
  row.attrs.viewOffset = session.viewOffset;
  row.attrs.sessionKey = session.sessionKey;
  row.children = [
    ...(row.children ?? []),
    { tag: 'User', single: true, attrs: { id: String(account.id), thumb: account.thumb ?? '', title: account.name } },
    {
      tag: 'Player',
      single: true,
      attrs: {
        address: session.address ?? '127.0.0.1',
        machineIdentifier: session.clientIdentifier,
        model: '',
        platform: session.platform ?? '',
        platformVersion: session.platformVersion ?? '',
        product: session.product ?? '',
        remotePublicAddress: session.address ?? '127.0.0.1',
        state: session.state,
        title: session.device ?? session.product ?? '',
        vendor: '',
        version: session.version ?? '',
        local: true,
        relayed: false,
        secure: false,
        userID: account.id,
      },
    },
    {
      tag: 'Session',
      single: true,
      attrs: { id: hexDigest(`session:${session.clientIdentifier}:${session.sessionKey}`, 24), bandwidth: 10_000, location: 'lan' },
    },
  ];
  return row;
}

function statusSessions(request: PlexRequest, env: PlexEnv): Reply {
  const rows = env
    .data()
    .sessions.map((s) => sessionRow(s, env))
    .filter((row) => row !== undefined);
  return containerReply(request, container({ size: rows.length }, rows));
}

function prefs(request: PlexRequest, env: PlexEnv): Reply {
  const data = env.data();
  const setting = (id: string, type: string, value: string | number, defaultValue: string | number, group: string) => ({
    tag: 'Setting',
    attrs: { id, label: '', summary: '', type, default: defaultValue, value, hidden: false, advanced: group !== 'general', group },
  });
  const settings: PlexNode[] = [
    setting('FriendlyName', 'text', data.friendlyName, '', 'general'),
    setting('LibraryVideoPlayedThreshold', 'int', data.playedThresholdPercent, 90, 'library'),
    // 0 = "at selected threshold percentage": the emulator has no credits markers.
    setting('LibraryVideoPlayedAtBehaviour', 'text', '0', '3', 'library'),
    setting('OnDeckWindow', 'int', 16, 16, 'library'),
  ];
  return containerReply(request, container({ size: settings.length }, settings));
}

/**
 * The accounts that use this server (owner, managed/Home and shared users), as PMS lists them:
 * a nameless id 0 row for the server's local account first, then one row per account.
 */
function accounts(request: PlexRequest, env: PlexEnv): Reply {
  const account = (id: number, name: string, thumb: string): PlexNode => ({
    tag: 'Account',
    attrs: {
      id,
      key: `/accounts/${id}`,
      name,
      defaultAudioLanguage: 'en',
      autoSelectAudio: true,
      defaultSubtitleLanguage: 'en',
      subtitleMode: 0,
      thumb,
    },
  });
  const rows = [account(0, '', ''), ...env.data().accounts.map((a) => account(a.id, a.name, a.thumb ?? ''))];
  return containerReply(request, container({ size: rows.length, identifier: 'com.plexapp.system.accounts' }, rows));
}
