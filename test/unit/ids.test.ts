import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKey, idsFromPlexGuids, matchTokens, normaliseIds, parsePlexGuid, refKey } from '../../src/core/ids.ts';
import type { ItemIdentity } from '../../src/core/model.ts';

describe('normaliseIds', () => {
  it('keeps the three kinds and normalises their values', () => {
    assert.deepEqual(normaliseIds({ imdb: 'TT0111161', tmdb: '278', tvdb: 81189 }), {
      imdb: 'tt0111161',
      tmdb: '278',
      tvdb: '81189',
    });
  });

  it('accepts themoviedb / thetvdb aliases and any key case (Jellyfin ProviderIds)', () => {
    assert.deepEqual(normaliseIds({ Imdb: 'tt0133093', Themoviedb: '603', TheTVDB: '169' }), {
      imdb: 'tt0133093',
      tmdb: '603',
      tvdb: '169',
    });
  });

  it('prefers the exact name over an alias whatever the key order', () => {
    assert.deepEqual(normaliseIds({ themoviedb: '1', tmdb: '2' }), { tmdb: '2' });
  });

  it('drops empty and placeholder values', () => {
    for (const junk of ['', '  ', 'none', 'NULL', 'NaN', 'undefined', 'Unknown', '0', 0]) {
      assert.deepEqual(normaliseIds({ imdb: junk, tmdb: junk, tvdb: junk }), {}, `value ${JSON.stringify(junk)}`);
    }
    assert.deepEqual(normaliseIds({ tmdb: null, tvdb: undefined, imdb: { x: 1 } }), {});
  });

  it('keeps digits only for tmdb and tvdb, without leading zeros', () => {
    assert.deepEqual(normaliseIds({ tmdb: 'tmdb-550', tvdb: ' 081189 ' }), { tmdb: '550', tvdb: '81189' });
    assert.deepEqual(normaliseIds({ tmdb: 'abc' }), {});
    assert.deepEqual(normaliseIds({ tvdb: '000' }), {});
  });

  it('extracts tt<digits> for imdb, adds tt to bare digits and pads to 7 digits', () => {
    assert.deepEqual(normaliseIds({ imdb: 'https://www.imdb.com/title/tt0111161/' }), { imdb: 'tt0111161' });
    assert.deepEqual(normaliseIds({ imdb: '111161' }), { imdb: 'tt0111161' });
    assert.deepEqual(normaliseIds({ imdb: 111161 }), { imdb: 'tt0111161' });
    assert.deepEqual(normaliseIds({ imdb: 'tt10872600' }), { imdb: 'tt10872600' });
    assert.deepEqual(normaliseIds({ imdb: 'nothing here' }), {});
  });

  it('ignores other keys', () => {
    assert.deepEqual(normaliseIds({ trakt: 12, plex: '5d77', slug: 'x', imdb: 'tt0000001' }), { imdb: 'tt0000001' });
  });
});

describe('parsePlexGuid', () => {
  const cases: [string, unknown][] = [
    ['imdb://tt0111161', { ids: { imdb: 'tt0111161' } }],
    ['imdb://title/tt0111161', { ids: { imdb: 'tt0111161' } }],
    ['tmdb://550', { ids: { tmdb: '550' } }],
    ['tmdb://movie/550', { ids: { tmdb: '550' } }],
    ['tmdb://tv/1399', { ids: { tmdb: '1399' } }],
    ['tvdb://81189', { ids: { tvdb: '81189' } }],
    ['tvdb://series/81189', { ids: { tvdb: '81189' } }],
    ['com.plexapp.agents.imdb://tt0111161?lang=en', { ids: { imdb: 'tt0111161' } }],
    ['com.plexapp.agents.themoviedb://603?lang=en', { ids: { tmdb: '603' } }],
    ['com.plexapp.agents.thetvdb://81189?lang=en', { ids: { tvdb: '81189' } }],
    ['com.plexapp.agents.thetvdb://81189/1/2?lang=en', { ids: {}, show: { tvdb: '81189' }, season: 1, episode: 2 }],
    ['com.plexapp.agents.thetvdb://81189/0/12', { ids: {}, show: { tvdb: '81189' }, season: 0, episode: 12 }],
    ['com.plexapp.agents.thetvdb://81189/3?lang=en', { ids: {}, show: { tvdb: '81189' }, season: 3 }],
    ['com.plexapp.agents.themoviedb://1399/2/5?lang=en', { ids: {}, show: { tmdb: '1399' }, season: 2, episode: 5 }],
    ['com.plexapp.agents.thetvdbdvdorder://81189/1/2?lang=en', { ids: {}, show: { tvdb: '81189' } }],
    ['com.plexapp.agents.hama://tvdb-81189?lang=en', { ids: { tvdb: '81189' } }],
    ['com.plexapp.agents.hama://tvdb-81189-1?lang=en', { ids: { tvdb: '81189' } }],
    ['com.plexapp.agents.hama://tvdb2-81189?lang=en', { ids: { tvdb: '81189' } }],
    ['com.plexapp.agents.hama://tvdb-81189/1/3?lang=en', { ids: {}, show: { tvdb: '81189' }, season: 1, episode: 3 }],
    ['com.plexapp.agents.hama://anidb-1234?lang=en', { ids: {} }],
    ['plex://movie/5d776825880197001ec967c6', { ids: {}, plexGuid: 'plex://movie/5d776825880197001ec967c6' }],
    ['plex://episode/5d9c1a2b3c4d5e001f6a7b8c', { ids: {}, plexGuid: 'plex://episode/5d9c1a2b3c4d5e001f6a7b8c' }],
    ['local://123', { ids: {} }],
    ['com.plexapp.agents.none://0abf533a5e478d72fb6f2aaa2543511f9bdaa269?lang=xn', { ids: {} }],
    ['com.plexapp.agents.localmedia://42', { ids: {} }],
    ['IMDB://TT0111161', { ids: { imdb: 'tt0111161' } }],
    ['COM.PLEXAPP.AGENTS.THETVDB://81189/1/2?lang=en', { ids: {}, show: { tvdb: '81189' }, season: 1, episode: 2 }],
    ['imdb://image.rating', { ids: {} }],
    ['tmdb://abc', { ids: {} }],
    ['tmdb://0', { ids: {} }],
    ['', { ids: {} }],
    ['not a guid', { ids: {} }],
  ];
  for (const [guid, expected] of cases) {
    it(`reads ${JSON.stringify(guid)}`, () => {
      assert.deepEqual(parsePlexGuid(guid), expected);
    });
  }
});

describe('idsFromPlexGuids', () => {
  it('merges a plex:// primary guid with its Guid children', () => {
    assert.deepEqual(idsFromPlexGuids(['plex://movie/5d776825880197001ec967c6', 'imdb://tt0111161', 'tmdb://278', 'tvdb://123']), {
      ids: { imdb: 'tt0111161', tmdb: '278', tvdb: '123' },
      plexGuid: 'plex://movie/5d776825880197001ec967c6',
    });
  });

  it('lets the first guid win a conflict and skips empty strings', () => {
    assert.deepEqual(idsFromPlexGuids(['', 'tmdb://1', 'tmdb://2', 'imdb://tt0000009']), {
      ids: { tmdb: '1', imdb: 'tt0000009' },
    });
  });

  it('keeps show coordinates from a legacy episode guid', () => {
    assert.deepEqual(idsFromPlexGuids(['com.plexapp.agents.thetvdb://81189/1/2?lang=en']), {
      ids: {},
      show: { tvdb: '81189' },
      season: 1,
      episode: 2,
    });
  });

  it('gives nothing for nothing', () => {
    assert.deepEqual(idsFromPlexGuids([]), { ids: {} });
  });
});

function movie(ids: ItemIdentity['ids']): ItemIdentity {
  return { type: 'movie', ids, title: 'M' };
}
function episode(ids: ItemIdentity['ids'], show: ItemIdentity['ids'] | undefined, season?: number, ep?: number): ItemIdentity {
  const item: ItemIdentity = { type: 'episode', ids, title: 'E' };
  if (show !== undefined) item.show = { ids: show, title: 'S' };
  if (season !== undefined) item.season = season;
  if (ep !== undefined) item.episode = ep;
  return item;
}

describe('canonicalKey', () => {
  it('takes imdb, then tmdb, then tvdb for movies', () => {
    assert.equal(canonicalKey(movie({ imdb: 'tt0111161', tmdb: '278', tvdb: '1' })), 'imdb:tt0111161');
    assert.equal(canonicalKey(movie({ tmdb: '550', tvdb: '1' })), 'tmdb:550');
    assert.equal(canonicalKey(movie({ tvdb: '123' })), 'tvdb:123');
  });

  it('is undefined without a usable id', () => {
    assert.equal(canonicalKey(movie({})), undefined);
    assert.equal(canonicalKey(episode({}, {}, 1, 2)), undefined);
    assert.equal(canonicalKey(episode({}, undefined)), undefined);
  });

  it('uses show id + zero-padded coordinates for episodes', () => {
    assert.equal(canonicalKey(episode({ imdb: 'tt0959621' }, { tvdb: '81189', tmdb: '1396' }, 1, 2)), 'tmdb:1396#s01e02');
    assert.equal(canonicalKey(episode({}, { tvdb: '81189' }, 1, 2)), 'tvdb:81189#s01e02');
    assert.equal(canonicalKey(episode({}, { imdb: 'tt0903747' }, 0, 110)), 'imdb:tt0903747#s00e110');
  });

  it("falls back to the episode's own id, prefixed episode:", () => {
    assert.equal(canonicalKey(episode({ imdb: 'tt0959621' }, { tvdb: '81189' })), 'episode:imdb:tt0959621');
    assert.equal(canonicalKey(episode({ tvdb: '349232' }, undefined, 1, 2)), 'episode:tvdb:349232');
  });

  it('ignores episode ids that only repeat the show id', () => {
    assert.equal(canonicalKey(episode({ tvdb: '81189' }, { tvdb: '81189' })), undefined);
  });

  it('normalises ids that a provider left raw', () => {
    assert.equal(canonicalKey(movie({ imdb: 'TT0111161' })), 'imdb:tt0111161');
  });

  it('keeps movie and episode keys apart for the same number', () => {
    assert.notEqual(canonicalKey(movie({ tmdb: '62085' })), canonicalKey(episode({ tmdb: '62085' }, undefined)));
  });
});

describe('matchTokens', () => {
  it('lists a token per movie id, in the movie namespace', () => {
    assert.deepEqual(matchTokens(movie({ imdb: 'tt0111161', tmdb: '278' })), ['movie:imdb:tt0111161', 'movie:tmdb:278']);
  });

  it('lists show coordinate tokens and own-id tokens for episodes', () => {
    assert.deepEqual(matchTokens(episode({ imdb: 'tt0959621', tvdb: '349232' }, { tvdb: '81189', tmdb: '1396' }, 1, 2)), [
      'tmdb:1396#s01e02',
      'tvdb:81189#s01e02',
      'episode:imdb:tt0959621',
      'episode:tvdb:349232',
    ]);
  });

  it('skips own ids that repeat the show id, and coordinates when unknown', () => {
    assert.deepEqual(matchTokens(episode({ tvdb: '81189', imdb: 'tt0959621' }, { tvdb: '81189' })), ['episode:imdb:tt0959621']);
  });

  it('contains the canonical key (movie: prefixed for movies)', () => {
    const m = movie({ tmdb: '550', tvdb: '7' });
    assert.ok(matchTokens(m).includes(`movie:${canonicalKey(m)}`));
    const e = episode({ imdb: 'tt0959621' }, { tvdb: '81189' }, 1, 2);
    assert.ok(matchTokens(e).includes(canonicalKey(e) ?? 'none'));
    const f = episode({ imdb: 'tt0959621' }, { tvdb: '81189' });
    assert.ok(matchTokens(f).includes(canonicalKey(f) ?? 'none'));
  });

  it('lets two servers with different id sets match on a shared token', () => {
    const a = matchTokens(episode({}, { tvdb: '81189' }, 1, 2));
    const b = matchTokens(episode({ imdb: 'tt0959621' }, { tvdb: '81189', imdb: 'tt0903747' }, 1, 2));
    assert.deepEqual(
      a.filter((t) => b.includes(t)),
      ['tvdb:81189#s01e02'],
    );
  });

  it('never matches a movie with an episode of the same number', () => {
    const a = matchTokens(movie({ tmdb: '62085' }));
    const b = matchTokens(episode({ tmdb: '62085' }, undefined));
    assert.deepEqual(
      a.filter((t) => b.includes(t)),
      [],
    );
  });

  it('is empty without ids', () => {
    assert.deepEqual(matchTokens(movie({})), []);
  });
});

describe('refKey', () => {
  it('names provider and native id', () => {
    assert.equal(refKey({ provider: 'plex-home', server: 'abc', id: '5012' }), 'ref:plex-home:5012');
  });
});
