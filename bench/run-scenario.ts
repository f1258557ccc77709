// One benchmark scenario in its own process (started by bench/plex-sync.ts, one per scenario, so
// that each scenario's peak RSS is its own and not the high-water mark of the ones before it).
//
//   node --import tsx bench/run-scenario.ts --scenario NAME [the flags of npm run bench]
//
// Prints the scenario's summary on stdout, progress on stderr, writes bench/results/NAME.json.
// Exit code 0 when every run completed (budget met or not); 1 when something broke.
import { BenchError, runMain } from './children.ts';
import { SCENARIOS, USAGE, readArgs, runScenario } from './scenarios.ts';

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.scenarios.length !== 1) throw new BenchError('run-scenario.ts runs exactly one --scenario');
  const def = SCENARIOS.find((s) => s.name === args.scenarios[0]);
  if (!def) throw new BenchError(`unknown scenario ${args.scenarios[0]}`);
  return runScenario(def, args);
}

runMain(main);
