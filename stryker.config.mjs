// Mutation testing of the decision core (`npm run mutation`, not part of `npm test`): Stryker
// changes one operator or constant at a time in src/core and checks that a unit test notices.
// Stryker 9 with its tap runner (10 needs Node 22); node:test prints TAP when not on a terminal.
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  // The sandbox is compiled to JavaScript once, next to the sources (tsconfig.mutation.json), so each
  // test process starts in plain node: about half the cost of loading tsx for every mutant and file.
  buildCommand: 'tsc -p tsconfig.mutation.json',
  tap: {
    // Every unit test; with perTest coverage a mutant runs only the files that reach its code.
    testFiles: ['test/unit/*.test.js'],
    nodeArgs: ['{{testFile}}'],
    // Stop a test file at its first failure: a killed mutant needs no more evidence.
    forceBail: true,
  },
  // The decision core: every core file but config (in src/config), the model's types and explain's wording.
  mutate: ['src/core/*.ts', '!src/core/model.ts', '!src/core/explain.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
