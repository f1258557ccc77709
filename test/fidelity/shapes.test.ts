import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareShapes, shapeOf } from './shapes.ts';

describe('shapeOf / compareShapes', () => {
  it('accepts a superset with the same types', () => {
    const recorded = shapeOf({ a: 1, b: 'x', list: [{ id: 1 }, { id: 2, extra: true }] });
    const ours = shapeOf({ a: 5, b: 'y', c: null, list: [{ id: 9, extra: false, more: 'z' }] });
    assert.deepEqual(compareShapes(recorded, ours), []);
  });

  it('reports missing fields and type changes with their paths', () => {
    const recorded = shapeOf({ MediaContainer: { size: 1, Metadata: [{ ratingKey: '1' }, { Guid: [{ id: 'imdb://tt1' }] }] } });
    const ours = shapeOf({ MediaContainer: { size: '1', Metadata: [{ ratingKey: 1, Guid: [] }] } });
    assert.deepEqual(compareShapes(recorded, ours), [
      { path: 'MediaContainer.size', message: 'recorded number, emulator string' },
      { path: 'MediaContainer.Metadata[].ratingKey', message: 'recorded string, emulator number' },
      { path: 'MediaContainer.Metadata[].Guid', message: 'recorded array has elements, emulator array is empty' },
    ]);
    assert.deepEqual(compareShapes(shapeOf({ x: 1 }), shapeOf({})), [{ path: 'x', message: 'missing' }]);
  });

  it('treats mixed element types as a union', () => {
    assert.deepEqual(compareShapes(shapeOf([1, 'a']), shapeOf(['b', 2])), []);
    assert.equal(compareShapes(shapeOf([1, 'a']), shapeOf([2])).length, 1);
  });
});
