// One HTTP client for Jellyfin and Emby; the dialect picks routes and auth headers.
import type { Logger } from 'pino';
import { Connections, HttpClient, type Query } from '../http.ts';
import { ProviderError } from '../provider.ts';
import type { Dialect } from './dialect.ts';
import { itemsResult, publicSystemInfo, sessionList, userData, userDto, userList, type BaseItem, type UserData } from './schema.ts';

/** Most ids per `Ids=` batch: keeps URLs short (32-hex ids). */
const IDS_BATCH = 100;
const CLIENT_VERSION = '0.1.0';

export interface MediaBrowserClientOptions {
  provider: string;
  url: string;
  token: string;
  deviceId: string;
  timeoutMs: number;
  retries: number;
  log: Logger;
  minBackoffMs?: number;
}

export interface ItemsPage {
  items: BaseItem[];
  total: number | undefined;
  serverTime: number | undefined;
}

export class MediaBrowserClient {
  http: HttpClient;
  private readonly opts: MediaBrowserClientOptions;
  dialect: Dialect;
  /** Kept across dialect switches, so the connections outlive the HttpClient they were opened by. */
  private readonly connections = new Connections();

  constructor(opts: MediaBrowserClientOptions, dialect: Dialect) {
    this.opts = opts;
    this.dialect = dialect;
    this.http = this.build(dialect);
  }

  private build(dialect: Dialect): HttpClient {
    return new HttpClient({
      provider: this.opts.provider,
      baseUrl: this.opts.url,
      timeoutMs: this.opts.timeoutMs,
      retries: this.opts.retries,
      log: this.opts.log,
      ...(this.opts.minBackoffMs !== undefined ? { minBackoffMs: this.opts.minBackoffMs } : {}),
      headers: dialect.headers(this.opts.token, this.opts.deviceId, CLIENT_VERSION),
      connections: this.connections,
    });
  }

  /** Switches routes once the server's version is known (Jellyfin before 10.9 lacks the new ones). */
  useDialect(dialect: Dialect): void {
    this.dialect = dialect;
    this.http = this.build(dialect);
  }

  /** Ends this client's keep-alive connections. */
  close(): Promise<void> {
    return this.connections.close();
  }

  async publicInfo() {
    return (await this.http.json(publicSystemInfo, 'GET', '/System/Info/Public')).body;
  }

  /** The token's own user, or undefined for an API key (which belongs to no user). */
  async me() {
    try {
      return (await this.http.json(userDto, 'GET', '/Users/Me')).body;
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 400 || err.status === 404)) return undefined;
      throw err;
    }
  }

  async user(id: string) {
    return (await this.http.json(userDto, 'GET', `/Users/${encodeURIComponent(id)}`)).body;
  }

  /** Users shown on the login screen (no admin needed). */
  async publicUsers() {
    return (await this.http.json(userList, 'GET', '/Users/Public')).body;
  }

  async users() {
    return (await this.http.json(userList, 'GET', '/Users')).body;
  }

  async views(userId: string): Promise<BaseItem[]> {
    const { path, query } = this.dialect.views(userId);
    return (await this.http.json(itemsResult, 'GET', path, query)).body.Items;
  }

  /** One page of the user's items with the given filters. */
  async itemsPage(userId: string, query: Query, start: number, limit: number): Promise<ItemsPage> {
    const route = this.dialect.items(userId);
    const { body, headers } = await this.http.json(itemsResult, 'GET', route.path, {
      ...route.query,
      ...query,
      StartIndex: start,
      Limit: limit,
      EnableTotalRecordCount: 'true',
    });
    const date = headers.date ? Date.parse(headers.date) : NaN;
    return { items: body.Items, total: body.TotalRecordCount, serverTime: Number.isFinite(date) ? Math.floor(date / 1000) : undefined };
  }

  /** Items by id with their user data, one call per IDS_BATCH ids. Unknown ids are absent. */
  async itemsById(userId: string, ids: string[], fields: string[]): Promise<BaseItem[]> {
    const out: BaseItem[] = [];
    for (let i = 0; i < ids.length; i += IDS_BATCH) {
      const batch = ids.slice(i, i + IDS_BATCH);
      const page = await this.itemsPage(userId, { Ids: batch.join(','), Fields: fields.join(','), EnableUserData: 'true' }, 0, batch.length);
      out.push(...page.items);
    }
    return out;
  }

  async sessions() {
    return (await this.http.json(sessionList, 'GET', '/Sessions')).body;
  }

  /** POST the user data of an item (a patch on Jellyfin, the whole record on Emby). */
  async postUserData(itemId: string, userId: string, body: Record<string, unknown>): Promise<UserData | undefined> {
    const { path, query } = this.dialect.userData(itemId, userId);
    const res = await this.http.send('POST', path, query, { 'content-type': 'application/json' }, JSON.stringify(body));
    // Jellyfin answers with the stored record, Emby with an empty body.
    return res.text.trim() === '' ? undefined : this.http.parseReply(userData, res, 'POST', `POST ${path}`);
  }

  async markPlayed(itemId: string, userId: string): Promise<void> {
    const { path, query } = this.dialect.played(itemId, userId);
    await this.http.send('POST', path, query);
  }

  async markUnplayed(itemId: string, userId: string): Promise<void> {
    const { path, query } = this.dialect.played(itemId, userId);
    await this.http.send('DELETE', path, query);
  }
}
