// ids.ts pinned down (issue 16): the edges of id normalising, Plex guid reading and the keys an
// item is stored and matched under, plus the laws that tie canonicalKey and matchTokens together.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalKey, identityOf, idsFromPlexGuids, matchTokens, normaliseIds, parsePlexGuid } from '../../src/core/ids.ts';
import type { ExternalIds, ItemIdentity } from '../../src/core/model.ts';

describe('normaliseIds, edge cases', () => {
  const cases: [string, Record<string, unknown>, ExternalIds][] = [
    ['a fractional number keeps its whole part', { tmdb: 550.7, tvdb: 81189.2, imdb: 111161.9 }, { tmdb: '550', tvdb: '81189', imdb: 'tt0111161' }],
    ['only leading zeros go (zeros inside and at the end stay)', { tmdb: '00550', tvdb: '1000' }, { tmdb: '550', tvdb: '1000' }],
    ['an imdb number with a leading zero is still padded, not dropped', { imdb: '0111161' }, { imdb: 'tt0111161' }],
    ['an imdb number ending in zero is an id', { imdb: '1230' }, { imdb: 'tt0001230' }],
    ['an all-zero imdb number is not an id', { imdb: 'tt0000000' }, {}],
    ['imdb digits without tt are found inside other text', { imdb: 'imdb-0133093' }, { imdb: 'tt0133093' }],
    ['imdb takes the digits after tt, not others before them', { imdb: '12 tt0133093' }, { imdb: 'tt0133093' }],
    ['imdb takes the digits after TT in upper case, not others after them', { imdb: 'TT0133093/2' }, { imdb: 'tt0133093' }],
    ['an exact key repeated in another case: the first one wins', { tmdb: '1', TMDB: '2' }, { tmdb: '1' }],
    ['an exact key that is junk lets a valid one in another case through', { tvdb: 'none', TVDB: '7' }, { tvdb: '7' }],
    ['an exact key that is junk lets the alias through', { tmdb: 'null', themoviedb: '603' }, { tmdb: '603' }],
    ['an alias that is junk leaves no key behind', { themoviedb: 'none', thetvdb: '' }, {}],
    ['the first usable alias wins', { themoviedb: 'unknown', TheMovieDb: '5', THEMOVIEDB: '6' }, { tmdb: '5' }],
    ['an alias never beats an exact name written after it', { thetvdb: '1', tvdb: '2' }, { tvdb: '2' }],
    ['infinite numbers are not ids', { tmdb: Number.POSITIVE_INFINITY, tvdb: Number.NEGATIVE_INFINITY, imdb: Number.NaN }, {}],
    ['booleans and arrays are not ids', { tmdb: true, tvdb: ['81189'] }, {}],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => assert.deepEqual(normaliseIds(raw), expected));
  }

  it('is idempotent: normalised ids normalise to themselves', () => {
    const raw = fc.record(
      { imdb: fc.oneof(fc.string(), fc.nat(), fc.constant('tt0111161')), tmdb: fc.oneof(fc.string(), fc.nat()), tvdb: fc.oneof(fc.string(), fc.nat()) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(raw, (r) => {
        const once = normaliseIds(r);
        assert.deepEqual(normaliseIds({ ...once }), once);
      }),
    );
  });
});

describe('parsePlexGuid, edge cases', () => {
  const cases: [string, string, unknown][] = [
    ['the scheme must start the guid', 'see imdb://tt0111161', { ids: {} }],
    ['two guids glued by a line break are not one guid', 'imdb://tt0111161\nimdb://tt0068646', { ids: {} }],
    ['a trailing slash is not a segment', 'tvdb://81189/', { ids: { tvdb: '81189' } }],
    ['an empty segment is not a segment', 'tmdb://movie//550', { ids: { tmdb: '550' } }],
    ['a fragment is ignored like a query', 'imdb://tt0111161#cast', { ids: { imdb: 'tt0111161' } }],
    ['a query right after the scheme leaves nothing', 'tmdb://?lang=en', { ids: {} }],
    ['no segments at all', 'tmdb://', { ids: {} }],
    ['a plex guid without a path names nothing', 'plex://', { ids: {} }],
    ['a plex guid with only a query names nothing', 'plex://?x=1', { ids: {} }],
    ['a plex guid keeps its query (it is kept whole)', ' plex://show/5d9c?lang=en ', { ids: {}, plexGuid: 'plex://show/5d9c?lang=en' }],
    ['bare digits are an imdb number', 'imdb://111161', { ids: { imdb: 'tt0111161' } }],
    ['an imdb id in upper case', 'imdb://TT0111161', { ids: { imdb: 'tt0111161' } }],
    ['an imdb segment with text before the id is not an id', 'imdb://xtt0111161', { ids: {} }],
    ['an imdb segment with text after the id is not an id', 'imdb://tt0111161abc', { ids: {} }],
    ['a tmdb segment must be digits only (tt is imdb)', 'tmdb://tt550', { ids: {} }],
    ['a tmdb segment with a letter before is not an id', 'tmdb://a550', { ids: {} }],
    ['a tmdb segment with a letter after is not an id', 'tmdb://550a', { ids: {} }],
    ['a number then more segments is not an id', 'tmdb://550/extra', { ids: {} }],
    ['a type word alone is not an id', 'tvdb://series', { ids: {} }],
    ['type word "movies"', 'tmdb://movies/550', { ids: { tmdb: '550' } }],
    ['type word "show"', 'tvdb://show/81189', { ids: { tvdb: '81189' } }],
    ['type word "shows"', 'tvdb://shows/81189', { ids: { tvdb: '81189' } }],
    ['type word "episode"', 'tvdb://episode/349232', { ids: { tvdb: '349232' } }],
    ['type words in any case', 'tmdb://Movie/550', { ids: { tmdb: '550' } }],
    ['any other word before the number is not a type word', 'tmdb://film/550', { ids: {} }],
    ['a near miss on the legacy prefix is unknown', 'com.plexapp.agentz.imdb://tt0111161', { ids: {} }],
    ['legacy agent names without the prefix are unknown', 'hama://tvdb-81189', { ids: {} }],
    ['the legacy tvdb agent name without the prefix is unknown', 'thetvdb://81189', { ids: {} }],
    ['a legacy imdb guid without an id', 'com.plexapp.agents.imdb://?lang=en', { ids: {} }],
    ['a legacy episode guid whose show id is not a number names nothing', 'com.plexapp.agents.thetvdb://abc/1/2', { ids: {} }],
    ['an episode number without a season number is dropped', 'com.plexapp.agents.thetvdb://81189/x/2', { ids: {}, show: { tvdb: '81189' } }],
    ['a season that is not a whole number is dropped', 'com.plexapp.agents.thetvdb://81189/1a/2', { ids: {}, show: { tvdb: '81189' } }],
    ['a season with text before it is dropped', 'com.plexapp.agents.thetvdb://81189/a1/2', { ids: {}, show: { tvdb: '81189' } }],
    ['an episode that is not a whole number is dropped', 'com.plexapp.agents.thetvdb://81189/1/2b', { ids: {}, show: { tvdb: '81189' }, season: 1 }],
    ['hama: tmdb ids', 'com.plexapp.agents.hama://tmdb-603?lang=en', { ids: { tmdb: '603' } }],
    ['hama: imdb ids', 'com.plexapp.agents.hama://imdb-tt0111161?lang=en', { ids: { imdb: 'tt0111161' } }],
    ['hama: imdb ids in upper case, with a range after', 'com.plexapp.agents.hama://IMDB-TT0111161-2', { ids: { imdb: 'tt0111161' } }],
    ['hama: an imdb value without tt is not an id', 'com.plexapp.agents.hama://imdb-0111161', { ids: {} }],
    ['hama: an imdb value with text before tt is not an id', 'com.plexapp.agents.hama://imdb-xtt0111161', { ids: {} }],
    ['hama: the prefix in upper case', 'com.plexapp.agents.hama://TVDB-81189', { ids: { tvdb: '81189' } }],
    ['hama: the prefix must start the segment', 'com.plexapp.agents.hama://anidbtvdb-81189', { ids: {} }],
    ['hama: the prefix must be followed by an id', 'com.plexapp.agents.hama://tvdb-', { ids: {} }],
    ['hama: a value with text before the number is not an id', 'com.plexapp.agents.hama://tvdb-a81189', { ids: {} }],
    ['hama: an empty segment', 'com.plexapp.agents.hama://?lang=en', { ids: {} }],
    ['hama: renumbered tvdb orders keep the show but not the coordinates', 'com.plexapp.agents.hama://tvdb2-81189/1/3', { ids: {}, show: { tvdb: '81189' } }],
    ['hama: tmdb with coordinates keeps the show only', 'com.plexapp.agents.hama://tmdb-1399/1/3', { ids: {}, show: { tmdb: '1399' } }],
    ['a tmdb legacy show with a season only', 'com.plexapp.agents.themoviedb://1399/2', { ids: {}, show: { tmdb: '1399' }, season: 2 }],
  ];
  for (const [name, guid, expected] of cases) {
    it(`${name}: ${JSON.stringify(guid)}`, () => assert.deepEqual(parsePlexGuid(guid), expected));
  }
});

describe('idsFromPlexGuids, merging', () => {
  it("merges the show ids of several legacy guids, the first guid's coordinates winning", () => {
    assert.deepEqual(
      idsFromPlexGuids(['com.plexapp.agents.thetvdb://81189/1/2', 'com.plexapp.agents.themoviedb://1396/3/4', 'com.plexapp.agents.thetvdb://5/6/7']),
      {
        ids: {},
        show: { tvdb: '81189', tmdb: '1396' },
        season: 1,
        episode: 2,
      },
    );
  });

  it('takes an episode number from a later guid when the first had none', () => {
    assert.deepEqual(idsFromPlexGuids(['com.plexapp.agents.thetvdb://81189/1', 'com.plexapp.agents.thetvdb://81189/1/2']), {
      ids: {},
      show: { tvdb: '81189' },
      season: 1,
      episode: 2,
    });
  });

  it('keeps the first plex:// guid', () => {
    assert.deepEqual(idsFromPlexGuids(['plex://movie/aaa', 'plex://movie/bbb', 'imdb://tt0111161']), {
      ids: { imdb: 'tt0111161' },
      plexGuid: 'plex://movie/aaa',
    });
  });

  it('skips blank and non-string entries a provider may hand over', () => {
    const guids = ['  ', undefined, null, 42, 'tmdb://550'] as unknown as string[];
    assert.deepEqual(idsFromPlexGuids(guids), { ids: { tmdb: '550' } });
  });
});

function movie(ids: ExternalIds): ItemIdentity {
  return { type: 'movie', ids, title: 'M' };
}
function episode(ids: ExternalIds, show: ExternalIds | undefined, season?: number, ep?: number): ItemIdentity {
  const item: ItemIdentity = { type: 'episode', ids, title: 'E' };
  if (show !== undefined) item.show = { ids: show, title: 'S' };
  if (season !== undefined) item.season = season;
  if (ep !== undefined) item.episode = ep;
  return item;
}

describe('episode coordinates in keys', () => {
  const cases: [string, ItemIdentity, string | undefined][] = [
    ['episode 0 (specials) is a coordinate', episode({}, { tvdb: '81189' }, 1, 0), 'tvdb:81189#s01e00'],
    ['two-digit numbers are not padded further', episode({}, { tvdb: '81189' }, 12, 34), 'tvdb:81189#s12e34'],
    ['a fractional season is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, 1.5, 2), 'episode:imdb:tt0959621'],
    ['a fractional episode is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, 1, 2.5), 'episode:imdb:tt0959621'],
    ['a negative season is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, -1, 2), 'episode:imdb:tt0959621'],
    ['a negative episode is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, 1, -2), 'episode:imdb:tt0959621'],
    ['a season without an episode is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, 1), 'episode:imdb:tt0959621'],
    ['an episode without a season is not a coordinate', episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, undefined, 2), 'episode:imdb:tt0959621'],
    ['show ids a provider left raw are normalised', episode({}, { imdb: 'TT0903747' }, 1, 2), 'imdb:tt0903747#s01e02'],
    ['own ids equal to the show id after normalising are the show', episode({ tvdb: '081189' }, { tvdb: '81189' }), undefined],
  ];
  for (const [name, item, key] of cases) {
    it(name, () => {
      assert.equal(canonicalKey(item), key);
      if (key !== undefined) assert.ok(matchTokens(item).includes(key));
      else assert.deepEqual(matchTokens(item), []);
    });
  }

  it('lists no coordinate tokens without coordinates', () => {
    assert.deepEqual(matchTokens(episode({ tmdb: '62085' }, { tvdb: '81189' }, 1)), ['episode:tmdb:62085']);
  });
});

describe('keys, laws', () => {
  const idValue = fc.oneof(fc.constantFrom(undefined, '', 'none', '0'), fc.integer({ min: 1, max: 99_999_999 }).map(String));
  const ids = fc.record({ imdb: idValue, tmdb: idValue, tvdb: idValue }).map((r) => {
    const out: ExternalIds = {};
    if (r.imdb !== undefined) out.imdb = r.imdb;
    if (r.tmdb !== undefined) out.tmdb = r.tmdb;
    if (r.tvdb !== undefined) out.tvdb = r.tvdb;
    return out;
  });
  const coordinate = fc.option(fc.oneof(fc.integer({ min: -2, max: 120 }), fc.constant(1.5)), { nil: undefined });
  const item = fc.oneof(
    ids.map(movie),
    fc.tuple(ids, fc.option(ids, { nil: undefined }), coordinate, coordinate).map(([own, show, s, e]) => episode(own, show, s, e)),
  );

  it('the canonical key is always one of the match tokens (movie: prefixed for movies), and there is a key exactly when there is a token', () => {
    fc.assert(
      fc.property(item, (x) => {
        const key = canonicalKey(x);
        const tokens = matchTokens(x);
        assert.equal(key === undefined, tokens.length === 0);
        if (key !== undefined) assert.ok(tokens.includes(x.type === 'movie' ? `movie:${key}` : key), `${key} in ${tokens.join(',')}`);
      }),
    );
  });

  it('the keys do not depend on how the ids were spelled (raw or normalised)', () => {
    fc.assert(
      fc.property(item, (x) => {
        const clean: ItemIdentity = { ...x, ids: normaliseIds({ ...x.ids }) };
        if (x.show) clean.show = { ids: normaliseIds({ ...x.show.ids }) };
        assert.equal(canonicalKey(clean), canonicalKey(x));
        assert.deepEqual(matchTokens(clean), matchTokens(x));
      }),
    );
  });

  it('movies and episodes never share a token', () => {
    fc.assert(
      fc.property(ids, ids, fc.option(ids, { nil: undefined }), coordinate, coordinate, (m, own, show, s, e) => {
        const a = new Set(matchTokens(movie(m)));
        assert.ok(matchTokens(episode(own, show, s, e)).every((t) => !a.has(t)));
      }),
    );
  });
});

describe('identityOf', () => {
  it('keeps what names the item and drops the rest', () => {
    const record = {
      type: 'episode' as const,
      ids: { imdb: 'tt0959621' },
      title: 'Pilot',
      year: 2008,
      show: { ids: { tvdb: '81189' }, title: 'Breaking Bad' },
      season: 1,
      episode: 1,
      progressMs: 1000,
      watched: false,
      ref: { provider: 'p', server: 's', id: '1' },
    };
    assert.deepEqual(identityOf(record), {
      type: 'episode',
      ids: { imdb: 'tt0959621' },
      title: 'Pilot',
      year: 2008,
      show: { ids: { tvdb: '81189' }, title: 'Breaking Bad' },
      season: 1,
      episode: 1,
    });
  });

  it('leaves absent fields absent (no undefined-valued keys), and keeps zeros', () => {
    assert.deepEqual(Object.keys(identityOf({ type: 'movie', ids: {}, title: 'M' })).sort(), ['ids', 'title', 'type']);
    assert.deepEqual(identityOf({ type: 'episode', ids: {}, title: 'E', season: 0, episode: 0 }), {
      type: 'episode',
      ids: {},
      title: 'E',
      season: 0,
      episode: 0,
    });
  });
});

it('normaliseIds: keys named like Object members (constructor, __proto__, toString) are not id kinds', () => {
  const raw = JSON.parse('{"constructor":"550","__proto__":"551","toString":"552","Imdb":"tt0111161"}') as Record<string, unknown>;
  assert.deepEqual(normaliseIds(raw), { imdb: 'tt0111161' });
});
