// zod schemas of the Plex Media Server JSON payloads we read. Only the fields we use are
// declared; containers pass the rest through, but listing rows keep only what we read (a row
// carries its Media, Part and Genre too, and an index scan of a large library parses hundreds of
// thousands of rows). PMS is not always consistent about number-vs-string in JSON, so numeric
// fields accept numeric strings too.
import { z } from 'zod';
import { lenientId as idString, lenientNumber as num, rawPosition } from '../wire.ts';

const guidEntry = z.object({ id: z.string() });

const metadataRow = z.object({
  ratingKey: idString,
  key: z.string().optional(),
  type: z.string(),
  title: z.string().optional(),
  year: num.optional(),
  guid: z.string().optional(),
  Guid: z.array(guidEntry).optional(),
  duration: num.optional(),
  viewOffset: rawPosition.optional(),
  viewCount: num.optional(),
  lastViewedAt: num.optional(),
  updatedAt: num.optional(),
  librarySectionID: idString.optional(),
  index: num.optional(),
  parentIndex: num.optional(),
  parentRatingKey: idString.optional(),
  grandparentRatingKey: idString.optional(),
  grandparentTitle: z.string().optional(),
  grandparentGuid: z.string().optional(),
});
export type PlexMetadata = z.infer<typeof metadataRow>;

/** A list container: library listings, metadata batches, hubs' items. */
export const metadataContainer = z.object({
  MediaContainer: z.looseObject({
    size: num.optional(),
    totalSize: num.optional(),
    offset: num.optional(),
    librarySectionID: idString.optional(),
    Metadata: z.array(metadataRow).optional(),
  }),
});

export const sectionsContainer = z.object({
  MediaContainer: z.looseObject({
    Directory: z
      .array(
        z.looseObject({
          key: idString,
          type: z.string(),
          title: z.string(),
        }),
      )
      .optional(),
  }),
});

export const identityContainer = z.object({
  MediaContainer: z.looseObject({
    machineIdentifier: z.string().min(1),
    version: z.string().optional(),
  }),
});

export const serverInfoContainer = z.object({
  MediaContainer: z.looseObject({
    machineIdentifier: z.string().min(1),
    friendlyName: z.string().optional(),
    version: z.string().optional(),
    myPlexUsername: z.string().optional(),
  }),
});

export const sessionsContainer = z.object({
  MediaContainer: z.looseObject({
    Metadata: z
      .array(
        z.looseObject({
          ratingKey: idString,
          sessionKey: idString.optional(),
          User: z.looseObject({ id: idString.optional(), title: z.string().optional() }).optional(),
          Player: z.looseObject({ state: z.string().optional() }).optional(),
        }),
      )
      .optional(),
  }),
});
