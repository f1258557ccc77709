// zod schemas of the Jellyfin / Emby (MediaBrowser API) JSON we read. PascalCase as the servers
// send it by default; only the fields we use are declared, the rest passes through.
import { z } from 'zod';
import { lenientId as id, lenientNumber as num, rawPosition } from '../wire.ts';

export const publicSystemInfo = z.looseObject({
  Id: z.string().min(1),
  ServerName: z.string().optional(),
  Version: z.string().min(1),
  ProductName: z.string().optional(),
});

export const userDto = z.looseObject({
  Id: z.string().min(1),
  Name: z.string(),
  Policy: z.looseObject({ IsAdministrator: z.boolean().optional() }).optional(),
});
export const userList = z.array(userDto);

export const userData = z.looseObject({
  PlaybackPositionTicks: rawPosition.nullish(),
  PlayCount: num.nullish(),
  IsFavorite: z.boolean().nullish(),
  Played: z.boolean().nullish(),
  LastPlayedDate: z.string().nullish(),
  Rating: num.nullish(),
  Likes: z.boolean().nullish(),
});
export type UserData = z.infer<typeof userData>;

const baseItem = z.looseObject({
  Id: id,
  Name: z.string().optional(),
  Type: z.string(),
  ServerId: z.string().optional(),
  RunTimeTicks: num.nullish(),
  ProductionYear: num.nullish(),
  ProviderIds: z.record(z.string(), z.string().nullable()).nullish(),
  UserData: userData.nullish(),
  SeriesId: id.nullish(),
  SeriesName: z.string().nullish(),
  IndexNumber: num.nullish(),
  ParentIndexNumber: num.nullish(),
  CollectionType: z.string().nullish(),
});
export type BaseItem = z.infer<typeof baseItem>;

export const itemsResult = z.looseObject({
  Items: z.array(baseItem),
  TotalRecordCount: num.optional(),
  StartIndex: num.optional(),
});

export const sessionList = z.array(
  z.looseObject({
    UserId: z.string().nullish(),
    NowPlayingItem: z.looseObject({ Id: id }).nullish(),
  }),
);
