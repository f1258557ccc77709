// Layering rules (issue 9, point 8). `npm run lint` runs:
//   depcruise src emulators --config .dependency-cruiser.cjs
// Every rule is an error: an import that breaks the layering fails the lint.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure-of-layers',
      comment: 'src/core holds the rules: it imports nothing from engine, providers, store, cli or config.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(engine|providers|store|cli|config)/' },
    },
    {
      name: 'core-does-no-io',
      comment: 'src/core does no I/O: no file, network, process or database modules, no YAML, no logger.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        // Node's own modules resolve to their bare name; packages resolve into node_modules.
        path: [
          '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|child_process|cluster|worker_threads|readline|repl|sqlite)$',
          '(^|/)node_modules/(yaml|undici|better-sqlite3|pino|commander|cli-progress|cli-table3|p-limit|p-retry)/',
        ],
      },
    },
    {
      name: 'providers-not-to-engine-or-cli',
      comment: 'A provider talks to one server; running pairs (engine) and the command line (cli) sit above it.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/(engine|cli)/' },
    },
    {
      name: 'kinds-through-the-registry',
      comment: 'Outside src/providers, a provider kind is reached through provider.ts, module.ts and registry.ts, never its own folder.',
      severity: 'error',
      from: { path: '^src/(core|config|engine|store|cli)/' },
      to: { path: '^src/providers/[^/]+/' },
    },
    {
      name: 'providers-not-to-each-other',
      comment: 'Provider kinds never import each other (shared code lives in src/providers/*.ts).',
      severity: 'error',
      from: { path: '^src/providers/([^/]+)/' },
      to: { path: '^src/providers/[^/]+/', pathNot: '^src/providers/$1/' },
    },
    {
      name: 'store-not-to-providers',
      comment: 'The store keeps types from core or its own; it does not depend on providers.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/providers/' },
    },
    {
      name: 'engine-not-to-cli',
      comment: 'The engine is driven by the cli (and later the daemon), never the other way round.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'emulators-not-to-providers',
      comment: 'Emulators stand in for real servers: they must not share code with the clients under test.',
      severity: 'error',
      from: { path: '^emulators/' },
      to: { path: '^src/providers/' },
    },
    {
      name: 'web-reads-through-serve-store-engine',
      comment:
        'The dashboard (src/web) answers from what the API answers from: serve (but not serve.ts, which mounts it), store, core, engine, config and the provider interface and registry (provider.ts, module.ts, registry.ts); never the CLI or a provider kind.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: ['^src/cli/', '^src/serve/serve\\.ts$', '^src/providers/(?!(registry|provider|module)\\.ts$)'] },
    },
    {
      name: 'only-serve-mounts-the-dashboard',
      comment: 'serve.ts mounts the dashboard (web/app.tsx); nothing else outside src/web imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/web/', '^src/serve/serve\\.ts$'] },
      to: { path: '^src/web/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a moved file fails here, not at run time).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: `import type` from a forbidden layer is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
