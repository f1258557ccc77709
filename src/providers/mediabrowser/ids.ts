// Jellyfin and Emby ids are GUIDs that the servers write with or without dashes, in either case
// (`/Users` says `6f1c…`, a session may say `6F1C-…`). Every comparison of ids goes through here.
// A user *name* is not an id: `mary-jane` is matched as a name, dashes and all.

/** One spelling of an id: lower case, no dashes. */
export function mediaBrowserId(id: string): string {
  return id.trim().toLowerCase().replace(/-/g, '');
}

export function sameMediaBrowserId(a: string, b: string): boolean {
  return mediaBrowserId(a) === mediaBrowserId(b);
}

const GUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Whether a configured `user:` is an id (a GUID, dashed or not) rather than a name. */
export function isMediaBrowserId(text: string): boolean {
  return GUID.test(text.trim());
}

/** Whether a configured `user:` (a name or an id) names this user. Names compare as the servers
 * compare them at sign-in (ignoring case); ids in any spelling. */
export function namesMediaBrowserUser(wanted: string, user: { Id: string; Name: string }): boolean {
  const text = wanted.trim();
  if (isMediaBrowserId(text) && sameMediaBrowserId(text, user.Id)) return true;
  return text.toLowerCase() === user.Name.trim().toLowerCase();
}

/** The account a configured `user:` names, as a key: two entries with the same key are one account. */
export function mediaBrowserUserKey(wanted: string): string {
  const text = wanted.trim();
  return isMediaBrowserId(text) ? `id ${mediaBrowserId(text)}` : `name ${text.toLowerCase()}`;
}
