// Structural comparison of JSON bodies: does the emulator's response carry every field of a
// recorded real response, with the same JSON type? Values are ignored; arrays are compared by
// the union of their elements' shapes.

export type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'null' }
  | { kind: 'array'; element: Shape | undefined }
  | { kind: 'object'; fields: Map<string, Shape> }
  | { kind: 'mixed'; kinds: string[] };

export function shapeOf(value: unknown): Shape {
  if (value === null) return { kind: 'null' };
  if (Array.isArray(value)) {
    let element: Shape | undefined;
    for (const item of value) element = element === undefined ? shapeOf(item) : mergeShapes(element, shapeOf(item));
    return { kind: 'array', element };
  }
  switch (typeof value) {
    case 'string':
      return { kind: 'string' };
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'object': {
      const fields = new Map<string, Shape>();
      for (const [name, field] of Object.entries(value as Record<string, unknown>)) fields.set(name, shapeOf(field));
      return { kind: 'object', fields };
    }
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

function kindsOf(shape: Shape): string[] {
  return shape.kind === 'mixed' ? shape.kinds : [shape.kind];
}

/** Union of two shapes: objects merge their fields, arrays their elements. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a.kind === 'object' && b.kind === 'object') {
    const fields = new Map(a.fields);
    for (const [name, shape] of b.fields) {
      const existing = fields.get(name);
      fields.set(name, existing ? mergeShapes(existing, shape) : shape);
    }
    return { kind: 'object', fields };
  }
  if (a.kind === 'array' && b.kind === 'array') {
    if (!a.element) return b;
    if (!b.element) return a;
    return { kind: 'array', element: mergeShapes(a.element, b.element) };
  }
  if (a.kind === b.kind) return a;
  return { kind: 'mixed', kinds: [...new Set([...kindsOf(a), ...kindsOf(b)])].sort() };
}

export interface ShapeProblem {
  /** e.g. `MediaContainer.Metadata[].Media[].Part[].file` */
  path: string;
  message: string;
}

/** Everything the recorded shape has that ours lacks or types differently. */
export function compareShapes(recorded: Shape, ours: Shape | undefined, path = ''): ShapeProblem[] {
  const here = path === '' ? '(root)' : path;
  if (ours === undefined) return [{ path: here, message: 'missing' }];
  const recordedKinds = kindsOf(recorded);
  const ourKinds = kindsOf(ours);
  if (recordedKinds.join() !== ourKinds.join()) {
    return [{ path: here, message: `recorded ${recordedKinds.join('|')}, emulator ${ourKinds.join('|')}` }];
  }
  if (recorded.kind === 'object' && ours.kind === 'object') {
    const problems: ShapeProblem[] = [];
    for (const [name, shape] of recorded.fields) {
      problems.push(...compareShapes(shape, ours.fields.get(name), path === '' ? name : `${path}.${name}`));
    }
    return problems;
  }
  if (recorded.kind === 'array' && ours.kind === 'array') {
    if (!recorded.element) return [];
    if (!ours.element) return [{ path: here, message: 'recorded array has elements, emulator array is empty' }];
    return compareShapes(recorded.element, ours.element, `${path}[]`);
  }
  return [];
}
