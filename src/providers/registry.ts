// Every provider kind Playhead knows, one line each. Adding a kind means one folder under
// src/providers/ and one line here. Tests may register more kinds at run time.
import { embyModule, jellyfinModule } from './mediabrowser/module.ts';
import type { ProviderConfigBase, ProviderFactoryOptions, ProviderModule } from './module.ts';
import { plexModule } from './plex/module.ts';
import type { Provider, ProviderContext } from './provider.ts';
import { traktModule } from './trakt/module.ts';

export type { ProviderFactoryOptions } from './module.ts';

const modules = new Map<string, ProviderModule>();
for (const m of [plexModule, jellyfinModule, embyModule, traktModule] satisfies ProviderModule[]) modules.set(m.kind, m);

/** Adds a kind (tests); returns a function that removes it again. */
export function registerProviderModule(module: ProviderModule): () => void {
  if (modules.has(module.kind)) throw new Error(`provider kind "${module.kind}" is already registered`);
  modules.set(module.kind, module);
  return () => {
    if (modules.get(module.kind) === module) modules.delete(module.kind);
  };
}

/** Every registered module, in registration order (the order messages list kinds in). */
export function providerModules(): ProviderModule[] {
  return [...modules.values()];
}

export function providerKinds(): string[] {
  return [...modules.keys()];
}

export function findProviderModule(kind: string): ProviderModule | undefined {
  return modules.get(kind);
}

/** The module for a kind that must exist (a parsed config only holds registered kinds). */
export function moduleFor(kind: string): ProviderModule {
  const found = modules.get(kind);
  if (found === undefined) throw new Error(`unknown provider kind "${kind}"; known: ${providerKinds().join(', ')}`);
  return found;
}

export function createProvider(id: string, config: ProviderConfigBase, ctx: ProviderContext, opts: ProviderFactoryOptions = {}): Provider {
  return moduleFor(config.kind).create(id, config, ctx, opts);
}
