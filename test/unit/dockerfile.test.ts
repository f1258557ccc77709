// Docker is not installed where these tests run, so the image is never built here. This checks
// the facts of Dockerfile, .dockerignore and compose.yaml that decide whether it would work:
// who it runs as, where its state lives, what it listens on, what its health check asks, and
// that every file the CLI loads at run time is copied into the image and not ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped), split into stages. */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const out: Instruction[][] = [];
  for (const line of lines) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const ins = { op: m[1]!, args: m[2]!.trim() };
    if (ins.op === 'FROM') out.push([]);
    out.at(-1)?.push(ins);
  }
  return out;
}

const all = stages(read('Dockerfile'));
const build = all[0]!;
const runtime = all.at(-1)!;
const args = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);
const exec = (s: string) => JSON.parse(s) as string[];

test('Dockerfile: two stages on node:20-bookworm-slim; the native module is built in the first', () => {
  assert.equal(all.length, 2);
  assert.match(build[0]!.args, /^node:20-bookworm-slim AS build$/);
  assert.match(runtime[0]!.args, /^node:20-bookworm-slim$/);
  const buildRuns = args(build, 'RUN').join('\n');
  for (const tool of ['python3', 'make', 'g++']) assert.ok(buildRuns.split(/\s+/).includes(tool), `the build stage installs ${tool}`);
  assert.match(buildRuns, /npm ci --omit=dev/);
  // The compilers stay behind: the runtime stage installs nothing and takes node_modules built.
  assert.deepEqual(
    args(runtime, 'RUN').filter((r) => /apt-get|npm (ci|install)/.test(r)),
    [],
  );
  assert.ok(args(runtime, 'COPY').includes('--from=build /app/node_modules ./node_modules'));
});

test('Dockerfile: non-root, /data volume and config, 0.0.0.0 on the exposed port, health check on /healthz', () => {
  const user = args(runtime, 'USER');
  assert.equal(user.length, 1);
  assert.ok(!['root', '0', '0:0'].includes(user[0]!), `USER ${user[0]}`);
  assert.deepEqual(args(runtime, 'VOLUME'), ['/data']);
  assert.match(args(runtime, 'RUN').join('\n'), /chown node:node \/data/);
  assert.match(args(runtime, 'ENV').join(' '), /PLAYHEAD_CONFIG=\/data\/playhead\.yaml/);

  const entrypoint = exec(args(runtime, 'ENTRYPOINT')[0]!);
  assert.deepEqual(entrypoint, ['node', '/app/bin/playhead.js']);
  const cmd = exec(args(runtime, 'CMD')[0]!);
  assert.equal(cmd[0], 'serve');
  assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
  const port = cmd[cmd.indexOf('--port') + 1]!;
  assert.deepEqual(args(runtime, 'EXPOSE'), [port]);

  const health = args(runtime, 'HEALTHCHECK')[0]!;
  const probe = exec(health.slice(health.indexOf('CMD') + 3).trim());
  // The slim image has no curl: the probe is Node's fetch, on the port serve listens on.
  assert.equal(probe[0], 'node');
  assert.match(probe.join(' '), new RegExp(`fetch\\('http://127\\.0\\.0\\.1:${port}/healthz'\\)`));
  assert.match(probe.join(' '), /process\.exit\(r\.ok \? 0 : 1\)/);
});

/** Go filepath.Match-style patterns as Docker reads .dockerignore (last match wins, `!` re-includes). */
function ignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const matches = (pattern: string) => {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\0/g, '.*');
    const re = new RegExp(`^${source}$`);
    // A pattern naming a directory excludes everything under it.
    const parts = path.split('/');
    return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')));
  };
  let out = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matches(p.slice(1))) out = false;
    } else if (matches(p)) out = true;
  }
  return out;
}

/** Local files and packages the CLI can load, from bin/playhead.js through every import (dynamic ones too). */
function runtimeClosure(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = ['bin/playhead.js'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = read(file);
    for (const m of text.matchAll(/(?:^|[\s;])(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm)) {
      if (m[2]) continue; // types vanish at run time
      const spec = m[3] ?? m[4] ?? m[5]!;
      if (spec.startsWith('.')) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
        assert.ok(existsSync(join(ROOT, target)) && statSync(join(ROOT, target)).isFile(), `${file} imports ${spec}, which is missing`);
        queue.push(target);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

test('Dockerfile: every file the CLI loads is copied and not ignored; every package it imports survives --omit=dev', () => {
  const copied = args(runtime, 'COPY')
    .filter((a) => !a.startsWith('--from'))
    .flatMap((a) => a.split(/\s+/).slice(0, -1));
  const { files, packages } = runtimeClosure();
  assert.ok(files.has('src/cli/main.ts') && files.has('src/serve/api.ts') && files.has('src/store/store.ts'), 'the closure reaches serve');
  // Read at run time, not imported: the OpenAPI document's version comes from package.json.
  for (const file of [...files, 'package.json', 'package-lock.json']) {
    assert.ok(
      copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, '')}/`)),
      `${file} is not copied into the image`,
    );
    assert.ok(!ignored(file), `${file} is excluded by .dockerignore`);
  }
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  for (const name of [...packages, 'tsx']) assert.ok(pkg.dependencies[name], `${name} is imported at run time but is not in dependencies`);
});

test('.dockerignore keeps the state, local configs, node_modules and the repository out of the build context', () => {
  for (const path of ['node_modules/zod/package.json', '.git/HEAD', 'playhead.yaml', 'playhead.db', 'state.db-wal', 'test/unit/store.test.ts']) {
    assert.ok(ignored(path), `${path} is sent to the build`);
  }
});

test('compose.yaml: the API token from the environment, the /data volume, the port, a restart policy', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, { environment: Record<string, string>; volumes: string[]; ports: string[]; restart: string; build: string }>;
    volumes: Record<string, unknown>;
  };
  const svc = compose.services.playhead!;
  assert.equal(svc.build, '.');
  assert.match(svc.environment.PLAYHEAD_API_TOKEN ?? '', /^\$\{PLAYHEAD_API_TOKEN:\?/);
  const volume = svc.volumes.find((v) => v.endsWith(':/data'));
  assert.ok(volume, 'a volume on /data');
  assert.ok(volume.split(':')[0]! in compose.volumes);
  assert.ok(svc.ports.includes('8787:8787'));
  assert.match(svc.restart, /^(always|unless-stopped|on-failure)/);
});
