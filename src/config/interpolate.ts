// `${VAR}` interpolation.
//
// `${NAME}` is replaced before the YAML is parsed by a plain placeholder word, and the
// placeholder by the variable's value after parsing. Replacing the text directly would break
// the YAML in two ways: `${…}` braces are flow-mapping syntax (so `{ token: ${PLEX_TOKEN} }` is
// not valid YAML as written), and a value containing `: ` or `#` would change the document's
// structure. Placeholders keep every line where it was, so line numbers stay right.
import type { Segment } from './errors.ts';
import { isRecord } from './fields.ts';

const REFERENCE = /\$(\$)?\{([^}\n]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Reference {
  /** What the file said, e.g. `${PLEX_TOKEN}`. */
  original: string;
  name: string;
  /** `$${NAME}`: the literal text `${NAME}`, not a reference. */
  literal: boolean;
}

export interface ProtectedText {
  text: string;
  refs: Reference[];
  placeholder: RegExp;
  /** Puts the original `${…}` text back (for messages and keys). */
  restore(s: string): string;
}

export function protectReferences(source: string): ProtectedText {
  let k = 0;
  while (source.includes(`phvar${k}q`)) k++;
  const marker = `phvar${k}q`;
  const refs: Reference[] = [];
  const text = source.replace(REFERENCE, (whole: string, escaped: string | undefined, name: string) => {
    refs.push({ original: escaped === undefined ? whole : whole.slice(1), name, literal: escaped !== undefined });
    return `${marker}${refs.length - 1}z`;
  });
  const placeholder = new RegExp(`${marker}(\\d+)z`, 'g');
  const restore = (s: string) => s.replace(placeholder, (whole: string, i: string) => refs[Number(i)]?.original ?? whole);
  return { text, refs, placeholder, restore };
}

export function interpolate(
  value: unknown,
  path: Segment[],
  refs: ProtectedText,
  env: Record<string, string | undefined>,
  report: (path: Segment[], message: string) => void,
  ancestors: ReadonlySet<object> = new Set(),
): unknown {
  if (typeof value === 'object' && value !== null && ancestors.has(value)) {
    // `a: &x { b: *x }`: an alias that contains itself.
    report(path, 'a YAML alias may not refer to a mapping or list that contains it');
    return undefined;
  }
  if (typeof value === 'string') {
    return value.replace(refs.placeholder, (whole: string, i: string) => {
      const ref = refs.refs[Number(i)];
      if (ref === undefined) return whole;
      if (ref.literal) return ref.original;
      if (!VAR_NAME.test(ref.name)) {
        report(path, `${ref.original} is not a valid environment variable reference (letters, digits and _ only)`);
        return '';
      }
      const v = env[ref.name];
      if (v === undefined) {
        report(path, `environment variable ${ref.name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) {
    const inner = new Set(ancestors).add(value);
    return value.map((v, i) => interpolate(v, [...path, i], refs, env, report, inner));
  }
  if (isRecord(value)) {
    const inner = new Set(ancestors).add(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = refs.restore(k);
      out[key] = interpolate(v, [...path, key], refs, env, report, inner);
    }
    return out;
  }
  return value;
}
