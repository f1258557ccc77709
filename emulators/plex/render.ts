// Turns library items and sections into PlexNode rows with the attribute names and types a
// real server uses (ratingKey/key strings, numbers as numbers, user state only when set).
import { hash32 } from '../random.ts';
import type { PlexItem, PlexSection } from './data.ts';
import { PLEX_TAG_KINDS } from './data.ts';
import type { PlexNode } from './encode.ts';
import { isLeafType, type Library } from './library.ts';
import { derivedTitleSort } from './query.ts';

export const LIBRARY_IDENTIFIER = 'com.plexapp.plugins.library';
export const MEDIA_TAG_PREFIX = '/system/bundle/media/flags/';
export const MEDIA_TAG_VERSION = 1_700_000_000;

export interface RowOptions {
  accountId: number;
  includeGuids: boolean;
  /** Rows outside a section listing carry librarySectionID/Title/Key themselves. */
  withSection: boolean;
}

function metadataKey(item: PlexItem): string {
  return isLeafType(item) ? `/library/metadata/${item.ratingKey}` : `/library/metadata/${item.ratingKey}/children`;
}

function artwork(item: PlexItem, kind: 'thumb' | 'art' | 'theme'): string {
  return `/library/metadata/${item.ratingKey}/${kind}/${item.updatedAt}`;
}

function ratingImages(item: PlexItem) {
  return {
    ratingImage: item.rating === undefined ? undefined : `rottentomatoes://image.rating.${item.rating >= 6 ? 'ripe' : 'rotten'}`,
    audienceRatingImage: item.audienceRating === undefined ? undefined : 'themoviedb://image.rating',
  };
}

/** Deterministic technical details for a movie or episode file (clients rarely read them). */
const MEDIA_PROFILES = [
  {
    container: 'mkv',
    videoCodec: 'hevc',
    videoProfile: 'main 10',
    videoResolution: '1080',
    width: 1920,
    height: 1080,
    bitrate: 9400,
    audioCodec: 'eac3',
    audioChannels: 6,
    audioProfile: undefined,
  },
  {
    container: 'mkv',
    videoCodec: 'h264',
    videoProfile: 'high',
    videoResolution: '720',
    width: 1280,
    height: 720,
    bitrate: 4200,
    audioCodec: 'ac3',
    audioChannels: 6,
    audioProfile: undefined,
  },
  {
    container: 'mp4',
    videoCodec: 'h264',
    videoProfile: 'high',
    videoResolution: 'sd',
    width: 720,
    height: 306,
    bitrate: 1360,
    audioCodec: 'aac',
    audioChannels: 2,
    audioProfile: 'lc',
  },
] as const;

function fileName(item: PlexItem, library: Library): string {
  const base = library.sectionOf(item)?.locations[0]?.path ?? '/data';
  if (item.type === 'movie') {
    const label = item.year === undefined ? item.title : `${item.title} (${item.year})`;
    return `${base}/${label}/${label}`;
  }
  const show = item.grandparentRatingKey === undefined ? undefined : library.item(item.grandparentRatingKey);
  const showLabel = show ? (show.year === undefined ? show.title : `${show.title} (${show.year})`) : 'Unknown';
  const season = String(item.parentIndex ?? 0).padStart(2, '0');
  const episode = String(item.index ?? 0).padStart(2, '0');
  return `${base}/${showLabel}/Season ${season}/${showLabel} - S${season}E${episode}`;
}

function renderMedia(item: PlexItem, library: Library): PlexNode | undefined {
  if (!isLeafType(item) || item.durationMs === undefined) return undefined;
  const seed = hash32(`media:${item.ratingKey}`);
  const profile = MEDIA_PROFILES[seed % MEDIA_PROFILES.length]!;
  const mediaId = 100_000 + (seed % 800_000);
  const partId = mediaId + 1_000_000;
  const { audioProfile, ...video } = profile;
  const part: PlexNode = {
    tag: 'Part',
    attrs: {
      id: partId,
      key: `/library/parts/${partId}/${item.updatedAt}/file.${profile.container}`,
      duration: item.durationMs,
      file: `${fileName(item, library)}.${profile.container}`,
      size: Math.round((profile.bitrate * item.durationMs) / 8),
      audioProfile,
      container: profile.container,
      has64bitOffsets: false,
      optimizedForStreaming: false,
      videoProfile: profile.videoProfile,
    },
  };
  return {
    tag: 'Media',
    // Real servers write Media.optimizedForStreaming as 0/1 but Part's as a boolean (recorded).
    attrs: {
      id: mediaId,
      duration: item.durationMs,
      ...video,
      aspectRatio: Math.round((profile.width / profile.height) * 100) / 100,
      audioProfile,
      has64bitOffsets: false,
      optimizedForStreaming: 0,
      videoFrameRate: '24p',
    },
    children: [part],
  };
}

function tagChildren(item: PlexItem): PlexNode[] {
  const nodes: PlexNode[] = [];
  for (const kind of PLEX_TAG_KINDS) {
    for (const tag of item.tags?.[kind] ?? []) nodes.push({ tag: kind, attrs: { tag } });
  }
  return nodes;
}

function guidChildren(item: PlexItem): PlexNode[] {
  return item.guids.map((id) => ({ tag: 'Guid', attrs: { id } }));
}

function sectionAttrs(item: PlexItem, library: Library) {
  const section = library.sectionOf(item);
  return {
    librarySectionTitle: section?.title,
    librarySectionID: Number(item.sectionId),
    librarySectionKey: `/library/sections/${item.sectionId}`,
  };
}

/** Parent and grandparent attributes of seasons and episodes, read from the linked items. */
function lineageAttrs(item: PlexItem, library: Library) {
  const parent = item.parentRatingKey === undefined ? undefined : library.item(item.parentRatingKey);
  const grandparent = item.grandparentRatingKey === undefined ? undefined : library.item(item.grandparentRatingKey);
  const show = item.type === 'season' ? parent : grandparent;
  return {
    parentRatingKey: parent?.ratingKey,
    parentGuid: parent?.guid,
    parentKey: parent ? `/library/metadata/${parent.ratingKey}` : undefined,
    parentTitle: parent?.title,
    parentIndex: item.type === 'episode' ? (item.parentIndex ?? parent?.index) : undefined,
    parentYear: item.type === 'episode' ? show?.year : parent?.year,
    parentThumb: parent ? artwork(parent, 'thumb') : undefined,
    parentTheme: item.type === 'season' && parent ? artwork(parent, 'theme') : undefined,
    grandparentRatingKey: grandparent?.ratingKey,
    grandparentGuid: grandparent?.guid,
    grandparentKey: grandparent ? `/library/metadata/${grandparent.ratingKey}` : undefined,
    grandparentTitle: grandparent?.title,
    grandparentThumb: grandparent ? artwork(grandparent, 'thumb') : undefined,
    grandparentArt: grandparent ? artwork(grandparent, 'art') : undefined,
    grandparentTheme: grandparent ? artwork(grandparent, 'theme') : undefined,
  };
}

export function renderItem(item: PlexItem, library: Library, options: RowOptions): PlexNode {
  const view = library.viewState(options.accountId, item);
  const titleSort = derivedTitleSort(item);
  const lineage = item.type === 'season' || item.type === 'episode' ? lineageAttrs(item, library) : {};
  const children: PlexNode[] = [];
  const media = renderMedia(item, library);
  if (media) children.push(media);
  children.push(...tagChildren(item));
  if (options.includeGuids) children.push(...guidChildren(item));
  return {
    tag: isLeafType(item) ? 'Video' : 'Directory',
    jsonKey: 'Metadata',
    attrs: {
      ratingKey: item.ratingKey,
      key: metadataKey(item),
      guid: item.guid,
      type: item.type,
      title: item.title,
      ...(options.withSection ? sectionAttrs(item, library) : {}),
      ...lineage,
      titleSort: titleSort === item.title ? undefined : titleSort,
      originalTitle: item.originalTitle,
      studio: item.studio,
      contentRating: item.contentRating,
      summary: item.summary,
      tagline: item.tagline,
      index: item.index,
      rating: item.rating,
      audienceRating: item.audienceRating,
      ...ratingImages(item),
      year: item.year,
      thumb: artwork(item, 'thumb'),
      art: artwork(item, 'art'),
      theme: item.type === 'show' ? artwork(item, 'theme') : undefined,
      duration: item.durationMs,
      originallyAvailableAt: item.originallyAvailableAt,
      // Per-user state: present only when set, exactly as Plex leaves them out.
      // A NaN offset (a fault seed) goes out as the text a broken server prints.
      viewOffset: Number.isNaN(view.viewOffset) ? 'NaN' : view.viewOffset || undefined,
      viewCount: view.viewCount || undefined,
      lastViewedAt: view.lastViewedAt || undefined,
      leafCount: view.leafCount,
      viewedLeafCount: view.leafCount === undefined ? undefined : view.viewedLeafCount,
      childCount: item.type === 'show' ? library.children(item.ratingKey).length : undefined,
      skipChildren: item.skipChildren || undefined,
      chapterSource: media ? 'media' : undefined,
      addedAt: item.addedAt,
      updatedAt: item.updatedAt,
    },
    children,
  };
}

function sectionArtwork(section: PlexSection) {
  return section.type === 'movie'
    ? { art: '/:/resources/movie-fanart.jpg', thumb: '/:/resources/movie.png' }
    : { art: '/:/resources/show-fanart.jpg', thumb: '/:/resources/show.png' };
}

export function renderSection(section: PlexSection): PlexNode {
  return {
    tag: 'Directory',
    attrs: {
      allowSync: true,
      ...sectionArtwork(section),
      composite: `/library/sections/${section.key}/composite/${section.updatedAt}`,
      filters: true,
      refreshing: false,
      key: section.key,
      type: section.type,
      title: section.title,
      agent: section.agent,
      scanner: section.scanner,
      language: section.language,
      uuid: section.uuid,
      updatedAt: section.updatedAt,
      createdAt: section.createdAt,
      scannedAt: section.scannedAt,
      content: true,
      directory: true,
      contentChangedAt: section.contentChangedAt ?? section.updatedAt,
      // Recorded servers write this as 0/1, although the OpenAPI spec calls it a boolean.
      hidden: section.hidden ? 1 : 0,
    },
    children: section.locations.map((loc) => ({ tag: 'Location', attrs: { id: loc.id, path: loc.path } })),
  };
}

/** Container attributes shared by every listing scoped to one section. */
export function sectionContainerAttrs(section: PlexSection) {
  return {
    allowSync: true,
    ...sectionArtwork(section),
    identifier: LIBRARY_IDENTIFIER,
    librarySectionID: Number(section.key),
    librarySectionTitle: section.title,
    librarySectionUUID: section.uuid,
    mediaTagPrefix: MEDIA_TAG_PREFIX,
    mediaTagVersion: MEDIA_TAG_VERSION,
    nocache: section.type === 'show' ? true : undefined,
  };
}
