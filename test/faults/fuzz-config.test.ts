// fast-check fuzzing of the config loader (src/config/load.ts): arbitrary YAML-ish text, and a
// valid config with random fields replaced, removed or added. Any input gives either a typed
// Config or a ConfigError whose issues each name a field (or a line), never another exception,
// and never a token in the message. Fixed seed, a thousand cases each.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { ConfigError } from '../../src/config/errors.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';

const SEED = 20_261_206;
/** Each parse builds the whole schema (about 3 ms): fewer cases than the payload fuzzers, same seconds. */
const RUNS = 1_000;
const ENV = { PLEX_TOKEN: 'tok-home-SECRET-1', JF_TOKEN: 'tok-jelly-SECRET-2' };
const LITERAL_TOKEN = 'literal-SECRET-token-3';
const SECRETS = [...Object.values(ENV), LITERAL_TOKEN];

const BASE = `providers:
  plex-home: { kind: plex, url: http://127.0.0.1:32400, token: "\${PLEX_TOKEN}", libraries: [1, 2] }
  jelly: { kind: jellyfin, url: http://127.0.0.1:8096, token: "\${JF_TOKEN}" }
  cabin: { kind: plex, url: http://10.0.0.5:32400, token: ${LITERAL_TOKEN} }
pairs:
  - name: home-to-jelly
    source: plex-home
    target: jelly
    mode: one-way
    features:
      progress: { enable: true, add: true, remove: false, min_seconds: 60, delta_seconds: 30, max_percent: 95, timestamp_tolerance_seconds: 30, replay: false }
  - { name: back, source: jelly, target: cabin, mode: two-way, features: { progress: { enable: true } } }
state: { path: ./playhead.db }
log_level: info
`;

type Outcome = { ok: true; config: Config } | { ok: false; error: ConfigError };

function load(text: string): Outcome {
  try {
    return { ok: true, config: parseConfig(text, 'fuzz.yaml', ENV) };
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${err instanceof Error ? err.stack : String(err)}`);
    assert.ok(err.issues.length > 0, 'a ConfigError without issues');
    for (const issue of err.issues) {
      assert.equal(typeof issue.path, 'string');
      assert.ok(issue.message.length > 0, 'an issue without a message');
      // Each issue says where: a field, or at least a line of the file.
      assert.ok(issue.path !== '' || issue.line !== undefined || /empty|YAML/.test(issue.message), `an issue that names nothing: ${JSON.stringify(issue)}`);
    }
    for (const secret of SECRETS) assert.ok(!err.message.includes(secret), `a token leaked: ${err.message}`);
    return { ok: false, error: err };
  }
}

function assertTyped(config: Config): void {
  assert.equal(typeof config.state.path, 'string');
  assert.ok(Array.isArray(config.pairs));
  for (const pair of config.pairs) {
    assert.ok(config.providers[pair.source], `pair ${pair.name}: source ${pair.source} is configured`);
    assert.ok(config.providers[pair.target], `pair ${pair.name}: target ${pair.target} is configured`);
    const progress = pair.features.progress as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(progress)) if (typeof v === 'number') assert.ok(Number.isFinite(v) && v >= 0, `${pair.name}.progress.${k} = ${v}`);
  }
  for (const [id, p] of Object.entries(config.providers)) {
    const url = (p as { url?: unknown }).url;
    if (url !== undefined) assert.doesNotThrow(() => new URL(String(url)), `provider ${id}: url ${String(url)}`);
  }
}

/** Text made of the pieces YAML is made of, so the parser's corners get visited. */
const yamlishText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'providers:',
        'pairs:',
        'state:',
        'log_level:',
        'kind: plex',
        'kind: trakt',
        'url: ',
        'token: ',
        'source: ',
        'target: ',
        'features:',
        'progress:',
        'enable: true',
        'max_percent: ',
        'path: ',
      ),
      fc.constantFrom(
        '\n',
        '\n  ',
        '\n    ',
        '  - ',
        ': ',
        '{ ',
        ' }',
        '[',
        ']',
        ', ',
        '"',
        "'",
        '#',
        '&a ',
        '*a',
        '!!str ',
        '!!binary ',
        '<<: ',
        '${PLEX_TOKEN}',
        '${MISSING}',
        '$${X}',
        '---\n',
        '...',
        '? ',
        '|\n  ',
        '>-\n  ',
        '\t',
      ),
      fc.string({ maxLength: 8 }),
      fc.integer().map(String),
      fc.constantFrom('-1', '1e999', '.nan', '.inf', '0x1F', 'null', '~', 'yes', 'no'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const base = parseYaml(BASE) as Record<string, unknown>;

type Path = (string | number)[];
/** Every path to a value in the base config. */
function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [at, ...entries.flatMap(([k, v]) => paths(v, [...at, k]))];
}
const ALL_PATHS = paths(base).filter((p) => p.length > 0);

/** Small arbitrary values: depth and size do not find more, they only take longer. */
const anyValue = fc.anything({ maxDepth: 2, maxKeys: 3 });

type Mutation = { path: Path; op: 'set'; value: unknown } | { path: Path; op: 'delete' } | { path: Path; op: 'add'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    path: fc.constantFrom(...ALL_PATHS),
    op: fc.constant('set' as const),
    value: fc.oneof(anyValue, fc.double(), fc.constantFrom(-1, 0, 1e308, '', 'http://', 'ftp://x', 'plex', 'trakt', '${MISSING}', '${PLEX_TOKEN}')),
  }),
  fc.record({ path: fc.constantFrom(...ALL_PATHS), op: fc.constant('delete' as const) }),
  fc.record({
    path: fc.constantFrom(...ALL_PATHS),
    op: fc.constant('add' as const),
    key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('token', 'mode', 'users', 'libraries', 'timeout_ms', 'retries')),
    value: anyValue,
  }),
);

function applyMutation(root: unknown, m: Mutation): void {
  const parent = m.path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<string | number, unknown>;
  const key = m.path[m.path.length - 1]!;
  if (m.op === 'set') parent[key] = m.value;
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    const node = parent[key];
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) (node as Record<string, unknown>)[m.key] = m.value;
  }
}

describe('fuzz: config loader', () => {
  test('fuzz: config loader, YAML-ish text', () => {
    fc.assert(
      fc.property(yamlishText, (text) => {
        const outcome = load(text);
        if (outcome.ok) assertTyped(outcome.config);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('fuzz: config loader, a valid config with fields replaced, removed or added', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const config = structuredClone(base);
        for (const m of mutations) {
          try {
            applyMutation(config, m);
          } catch {
            // An earlier mutation removed this path's parent: nothing to change.
          }
        }
        const outcome = load(stringify(config));
        if (outcome.ok) {
          accepted++;
          assertTyped(outcome.config);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.ok(accepted > 0, 'some mutated configs are still valid');
  });

  test('the unmutated base config loads', () => {
    const outcome = load(BASE);
    assert.ok(outcome.ok);
  });
});
