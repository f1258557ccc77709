// GET /api/openapi.json and GET /api/positions on a real `playhead serve` over two Plex emulators:
// the document is a well-formed OpenAPI 3.1 description whose schemas compile, it lists every
// route the API mounts, and what each route actually answers validates against the schema the
// document gives for that route and status.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { items, progressOn, startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { createLogger } from '../../src/cli/log.ts';
import { Store } from '../../src/store/store.ts';
import { createApi } from '../../src/serve/api.ts';
import { EventBus } from '../../src/serve/events.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import type { Scheduler } from '../../src/serve/scheduler.ts';
import type { RunOutcome } from '../../src/serve/runner.ts';
import { api, eventually, startServeCli, type RunningServeCli } from './serve-support.ts';

interface Operation {
  summary: string;
  parameters?: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

describe('playhead serve: OpenAPI document, positions, provider request metrics', () => {
  let p: PlexPair;
  let serve: RunningServeCli;
  let doc: Document;
  let movie: { title: string; ratingKey: string; viewOffset: number };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();

  before(async () => {
    p = await startPlexPair();
    const m = progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
    movie = { title: m.title, ratingKey: m.ratingKey, viewOffset: Math.round((m.durationMs ?? 0) * 0.4) };
    progressOn(p.source, items(p.source, 'episode')[2]!, 0.5);
    serve = await startServeCli(p.configPath, p.env);
    await eventually(async () => (await api<{ runs: { status: string }[] }>(serve.url, '/api/runs')).body.runs.find((r) => r.status !== 'running'));
    doc = (await api<Document>(serve.url, '/api/openapi.json')).body;
  });
  after(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await p.close();
  });

  /** Checks an answer against the document's schema for its route, method and status. */
  function conforms(path: string, method: string, r: { status: number; body: unknown }): void {
    const id = `${method} ${path} ${r.status}`;
    let validate = validators.get(id);
    if (!validate) {
      const schema = doc.paths[path]?.[method]?.responses[String(r.status)]?.content?.['application/json']?.schema;
      assert.ok(schema, `the document has no JSON schema for ${id}`);
      validate = ajv.compile(schema);
      validators.set(id, validate);
    }
    assert.ok(validate(r.body), `${id}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(r.body).slice(0, 500)}`);
  }

  test('the document is OpenAPI 3.1: every operation has responses, parameters and schemas that compile', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'playhead serve');
    assert.match(doc.info.version, /^\d+\.\d+\.\d+/);
    for (const [path, operations] of Object.entries(doc.paths)) {
      assert.match(path, /^\//);
      for (const [method, op] of Object.entries(operations)) {
        assert.ok(['get', 'post'].includes(method), `${method} ${path}`);
        assert.ok(op.summary.length > 0);
        assert.ok(Object.keys(op.responses).length > 0, `${method} ${path} has no responses`);
        for (const param of op.parameters ?? []) {
          assert.ok(['path', 'query'].includes(param.in));
          if (param.in === 'path') {
            assert.equal(param.required, true);
            assert.ok(path.includes(`{${param.name}}`), `${path} lacks {${param.name}}`);
          }
          ajv.compile(param.schema);
        }
        for (const media of Object.values(op.requestBody?.content ?? {})) ajv.compile(media.schema);
        for (const [status, response] of Object.entries(op.responses)) {
          assert.match(status, /^[1-5]\d\d$/);
          assert.ok(response.description.length > 0);
          for (const media of Object.values(response.content ?? {})) ajv.compile(media.schema);
        }
      }
    }
    // Inputs are documented as the server validates them.
    const positions = doc.paths['/api/positions']?.get;
    assert.deepEqual(positions?.parameters?.map((x) => x.name).sort(), ['limit', 'offset', 'outOfStep', 'provider', 'user']);
    const limit = positions?.parameters?.find((x) => x.name === 'limit')?.schema as { maximum?: number; default?: number };
    assert.equal(limit.maximum, 1000);
    assert.equal(limit.default, 50);
    const body = doc.paths['/api/pairs/{name}/run']?.post?.requestBody?.content['application/json']?.schema as {
      properties?: object;
      additionalProperties?: boolean;
    };
    assert.deepEqual(Object.keys(body.properties ?? {}), ['dryRun']);
    assert.equal(body.additionalProperties, false);
  });

  test('every route the API mounts is in the document, and nothing else is', () => {
    const store = Store.open(':memory:');
    const stop = new AbortController();
    const app = createApi({
      config: { providers: {}, pairs: [], state: { path: ':memory:' }, logLevel: 'silent' },
      store,
      log: createLogger({ level: 'silent' }),
      // Mounting routes touches neither; no request is made here.
      scheduler: {} as unknown as Scheduler<RunOutcome>,
      events: new EventBus(),
      metrics: new ServeMetrics({ signal: stop.signal }),
      token: 'x',
      signal: stop.signal,
      ready: () => true,
    });
    const mounted = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z]+)/g, '{$1}')}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
    assert.deepEqual([...mounted].sort(), [...documented].sort());
    stop.abort();
    store.close();
  });

  test('what each route answers validates against its documented schema', async () => {
    const get = async (path: string, docPath = path.split('?')[0]!) => {
      const r = await api(serve.url, path);
      conforms(docPath, 'get', r);
      return r;
    };
    for (const path of ['/healthz', '/readyz', '/api/openapi.json', '/api/pairs', '/api/pending', '/api/positions'])
      assert.equal((await get(path)).status, 200, path);
    const runs = await get('/api/runs?limit=5');
    const runId = (runs.body as { runs: { id: number }[] }).runs[0]!.id;
    assert.equal((await get(`/api/runs/${runId}`, '/api/runs/{id}')).status, 200);
    assert.equal((await get('/api/runs/9999', '/api/runs/{id}')).status, 404);
    assert.equal((await get('/api/runs/abc', '/api/runs/{id}')).status, 400);
    assert.equal((await get(`/api/items?q=${encodeURIComponent(movie.title)}`)).status, 200);
    assert.equal((await get('/api/items')).status, 400);
    assert.equal((await get('/api/runs?limit=0')).status, 400);

    const run = await api(serve.url, '/api/pairs/main/run', { method: 'POST', body: { dryRun: true } });
    assert.equal(run.status, 200);
    conforms('/api/pairs/{name}/run', 'post', run);
    const noPair = await api(serve.url, '/api/pairs/nope/run', { method: 'POST', body: {} });
    assert.equal(noPair.status, 404);
    conforms('/api/pairs/{name}/run', 'post', noPair);
    const undo = await api(serve.url, `/api/runs/${runId}/undo`, { method: 'POST', body: { dryRun: true } });
    assert.equal(undo.status, 200);
    conforms('/api/runs/{id}/undo', 'post', undo);
  });

  test('GET /api/positions: the last reads, filters, paging and reasons for bad queries', async () => {
    const all = await api<{
      items: { key: string; item: { title: string }; positions: { provider: string; progressMs?: number; observedAt?: number }[] }[];
      nextOffset?: number;
    }>(serve.url, '/api/positions');
    assert.equal(all.status, 200);
    const row = all.body.items.find((i) => i.item.title === movie.title);
    assert.ok(row, 'the played film is listed');
    const src = row.positions.find((x) => x.provider === 'src');
    assert.ok(src);
    assert.ok(Math.abs((src.progressMs ?? 0) - movie.viewOffset) < 1000, `${src.progressMs} vs ${movie.viewOffset}`);
    assert.equal(typeof src.observedAt, 'number');

    const one = await api<{ items: unknown[]; nextOffset?: number }>(serve.url, '/api/positions?limit=1');
    assert.equal(one.body.items.length, 1);
    assert.equal(one.body.nextOffset, 1);
    const next = await api<{ items: { key: string }[] }>(serve.url, '/api/positions?limit=1&offset=1');
    assert.deepEqual(next.body.items[0]?.key, all.body.items[1]?.key);

    // The one-way pair lists only its source, but reads dst's copies of what it syncs: dst shows
    // what the re-read that confirmed each write found, in step with src.
    const dst = await api<{ items: { key: string; positions: { provider: string; progressMs?: number }[] }[] }>(serve.url, '/api/positions?provider=dst');
    assert.equal(dst.body.items.length, 2);
    const film = dst.body.items.find((i) => i.key === row.key)?.positions;
    assert.equal(film?.length, 1);
    assert.equal(film[0]?.provider, 'dst');
    assert.ok(Math.abs((film[0]?.progressMs ?? 0) - movie.viewOffset) < 1000, `${film[0]?.progressMs} vs ${movie.viewOffset}`);
    const apart = await api<{ items: unknown[] }>(serve.url, '/api/positions?outOfStep=1');
    assert.deepEqual(apart.body.items, []);

    for (const [query, reason] of [
      ['provider=nope', /no provider "nope"/],
      ['user=ann', /no user "ann"; configured users: none/],
      ['outOfStep=maybe', /outOfStep/],
      ['limit=5000', /limit/],
      ['colour=red', /colour/],
    ] as const) {
      const r = await api<{ error: string }>(serve.url, `/api/positions?${query}`);
      assert.equal(r.status, 400, query);
      assert.match(r.body.error, reason);
      conforms('/api/positions', 'get', r);
    }
  });

  test("/metrics counts the start-up run's requests per provider and times them", async () => {
    const m = await api(serve.url, '/metrics');
    for (const provider of ['src', 'dst']) {
      const count = new RegExp(`playhead_provider_requests_total\\{provider="${provider}",method="GET",status="200"\\} (\\d+)`).exec(m.text);
      assert.ok(count && Number(count[1]) > 0, `no GET 200 counted for ${provider}`);
      assert.match(m.text, new RegExp(`playhead_provider_request_duration_seconds_count\\{provider="${provider}",method="GET"\\} \\d+`));
    }
  });
});
