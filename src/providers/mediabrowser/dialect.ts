// Jellyfin and Emby speak one API (MediaBrowser) with different routes, auth headers and write
// semantics. A dialect says which; the client and provider are shared.

type MediaBrowserKind = 'jellyfin' | 'emby';

interface Route {
  path: string;
  query: Record<string, string>;
}

const route = (path: string, query: Record<string, string> = {}): Route => ({ path, query });

export interface Dialect {
  kind: MediaBrowserKind;
  /** Items listing for a user (Jellyfin 10.9+: `/Items?userId=`; Emby and old Jellyfin: per-user route). */
  items(userId: string): Route;
  views(userId: string): Route;
  userData(itemId: string, userId: string): Route;
  played(itemId: string, userId: string): Route;
  /** Emby's UserData POST replaces the whole record: send it complete (read-modify-write). */
  replacesUserData: boolean;
  /** Fields a list must ask for to carry the last played date and play count. */
  userDataFields: string[];
  /** The listing filter for "the user's records changed since" (Emby's MinDateLastSavedForUser);
   * absent on Jellyfin, whose parameter of that name compares the item's metadata save time. */
  userDataSavedSince?: string;
  headers(token: string, deviceId: string, version: string): Record<string, string>;
}

const enc = encodeURIComponent;

/** Key="value" pairs of the MediaBrowser authorization scheme (values URL-encoded). */
function authParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}="${enc(v)}"`)
    .join(', ');
}

/** Jellyfin 10.9+ has `/UserItems` and `/UserPlayedItems`; older servers only the per-user routes. */
export function jellyfinDialect(modernRoutes: boolean): Dialect {
  return {
    kind: 'jellyfin',
    items: (userId) => (modernRoutes ? route('/Items', { userId }) : route(`/Users/${enc(userId)}/Items`)),
    views: (userId) => (modernRoutes ? route('/UserViews', { userId }) : route(`/Users/${enc(userId)}/Views`)),
    userData: (itemId, userId) => route(`/UserItems/${enc(itemId)}/UserData`, { userId }),
    played: (itemId, userId) => route(`/UserPlayedItems/${enc(itemId)}`, { userId }),
    replacesUserData: false,
    userDataFields: [],
    // The MediaBrowser Authorization header is the one every Jellyfin accepts (12.0 drops X-Emby-Token).
    headers: (token, deviceId, version) => ({
      Authorization: `MediaBrowser ${authParams({ Token: token, Client: 'Playhead', Device: 'Playhead', DeviceId: deviceId, Version: version })}`,
    }),
  };
}

export const embyDialect: Dialect = {
  kind: 'emby',
  items: (userId) => route(`/Users/${enc(userId)}/Items`),
  views: (userId) => route(`/Users/${enc(userId)}/Views`),
  userData: (itemId, userId) => route(`/Users/${enc(userId)}/Items/${enc(itemId)}/UserData`),
  played: (itemId, userId) => route(`/Users/${enc(userId)}/PlayedItems/${enc(itemId)}`),
  replacesUserData: true,
  userDataFields: ['UserDataLastPlayedDate', 'UserDataPlayCount'],
  userDataSavedSince: 'MinDateLastSavedForUser',
  headers: (token, deviceId, version) => ({
    'X-Emby-Token': token,
    'X-Emby-Authorization': `Emby ${authParams({ Client: 'Playhead', Device: 'Playhead', DeviceId: deviceId, Version: version })}`,
  }),
};

/** Jellyfin versions compare numerically part by part ("10.10.1" > "10.9.0"). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const b = minimum.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
