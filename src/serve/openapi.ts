// The OpenAPI 3.1 document served at /api/openapi.json, built from the routes' zod schemas
// (schemas.ts) with zod 4's own JSON Schema output. OpenAPI 3.1 schemas are JSON Schema 2020-12,
// so each converted schema goes in as it is, minus its `$schema` line.
import { z } from 'zod';
import { ROUTES, type RouteSpec } from './schemas.ts';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const jsonContent = (schema: Json) => ({ 'application/json': { schema } });
const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

function operation(route: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') });
  }
  if (route.query) {
    // Query strings are text; the document shows each parameter as the server reads it (coerced).
    const object = jsonSchema(route.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(object.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: object.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
    }
  }
  const responses: Json = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    responses[status] =
      answer instanceof z.ZodType
        ? { description: Number(status) < 400 ? 'OK' : 'error, with the reason', content: jsonContent(jsonSchema(answer, 'output')) }
        : { description: answer.description, content: { [answer.text]: { schema: { type: 'string' } } } };
  }
  if (!route.open) responses['401'] = { description: 'missing or wrong API token', content: jsonContent(ERROR) };
  return {
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: false, content: jsonContent(jsonSchema(route.body, 'input')) } } : {}),
    responses,
    ...(route.open ? { security: [] } : {}),
  };
}

/** The whole document; `version` is the package's. */
export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of Object.values(ROUTES) as RouteSpec[]) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'playhead serve', version, description: 'The HTTP API of `playhead serve`. Errors are JSON `{ "error": reason }`.' },
    components: {
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'PLAYHEAD_API_TOKEN; required when serve binds a non-loopback address' } },
    },
    security: [{ token: [] }],
    paths,
  };
}
