// Jellyfin/Emby ids in one spelling, and user names kept apart from ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMediaBrowserId, mediaBrowserId, mediaBrowserUserKey, namesMediaBrowserUser, sameMediaBrowserId } from '../../src/providers/mediabrowser/ids.ts';

const ID = '6f1c2a3b4c5d6e7f8091a2b3c4d5e6f7';
const DASHED = '6F1C2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7';

describe('MediaBrowser ids', () => {
  it('compares ids with or without dashes, in either case', () => {
    assert.equal(mediaBrowserId(DASHED), ID);
    assert.ok(sameMediaBrowserId(ID, DASHED));
    assert.ok(!sameMediaBrowserId(ID, ID.replace(/7$/, '8')));
  });

  it('tells an id from a name', () => {
    assert.ok(isMediaBrowserId(ID));
    assert.ok(isMediaBrowserId(DASHED));
    for (const name of ['mary-jane', 'alice', 'deadbeef', `${ID}0`]) assert.ok(!isMediaBrowserId(name), name);
  });

  it('matches a configured user by name (ignoring case, keeping dashes) or by id', () => {
    const maryJane = { Id: ID, Name: 'mary-jane' };
    assert.ok(namesMediaBrowserUser('mary-jane', maryJane));
    assert.ok(namesMediaBrowserUser('Mary-Jane', maryJane));
    assert.ok(namesMediaBrowserUser(DASHED, maryJane));
    assert.ok(!namesMediaBrowserUser('maryjane', maryJane));
    assert.ok(!namesMediaBrowserUser('mary-jane', { Id: ID, Name: 'maryjane' }));
  });

  it('gives one account key per user, however it is written', () => {
    assert.equal(mediaBrowserUserKey(ID), mediaBrowserUserKey(DASHED));
    assert.equal(mediaBrowserUserKey('SAM'), mediaBrowserUserKey('sam'));
    assert.notEqual(mediaBrowserUserKey('mary-jane'), mediaBrowserUserKey('maryjane'));
  });
});
