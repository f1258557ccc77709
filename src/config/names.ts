// Names in playhead.yaml: what a provider, server, user or pair may be called, and the names
// `users:` generates (`<server>@<user>`).

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const NAME_RULE = 'lower-case letters, digits, "-" and "_", starting with a letter or digit';

/** Joins a server or pair name to a user name in generated names: `living-room@alice`. */
export const USER_SEPARATOR = '@';

/** `living-room` + `alice` → `living-room@alice` (a generated provider or pair name). */
export function userScopedName(name: string, user: string): string {
  return `${name}${USER_SEPARATOR}${user}`;
}

/** `alice-2` → `ALICE_2`: a config name as part of an environment variable's name. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
