// Validating responses against an OpenAPI 3.0 document with Ajv (draft-07, strict mode).
//
// OpenAPI 3.0 schemas are almost JSON Schema. The differences handled here, and nothing else:
// - `nullable: true`. Ajv understands it natively only next to `type` (and then not inside an
//   `enum`); Jellyfin's spec also writes `{allOf: [{$ref}], nullable: true}`. Those forms are
//   rewritten to the equivalent `anyOf: [<schema>, {type: 'null'}]`, which is what the keyword means.
// - `$ref: '#/components/schemas/X'` points into the separately registered components.
// - OpenAPI-only annotations (`example`, `x-…`, `discriminator`, `xml`, `externalDocs`) are
//   declared as annotation keywords, so strict mode still rejects any genuinely unknown keyword.
// - Formats: ajv-formats plus the few the specs add (Emby's `guid`); a spec may override one,
//   with its reason, through `formats`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

export type Json = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Json; responses?: Json; parameters?: Json };
}

export interface Operation {
  template: string;
  method: string;
  operation: Json;
}

const ANNOTATIONS = ['example', 'x-internal-ref-name', 'discriminator', 'xml', 'externalDocs'];

function rewrite(value: unknown, componentsId: string): unknown {
  if (Array.isArray(value)) return value.map((inner) => rewrite(inner, componentsId));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Json;
  const out: Json = {};
  for (const [key, inner] of Object.entries(source)) {
    if (key === '$ref' && typeof inner === 'string') out[key] = inner.replace('#/components/schemas/', `${componentsId}#/definitions/`);
    else if (key === 'properties' && inner && typeof inner === 'object') {
      // Property names are data, not keywords: rewrite each property's schema only.
      out[key] = Object.fromEntries(Object.entries(inner as Json).map(([name, schema]) => [name, rewrite(schema, componentsId)]));
    } else out[key] = rewrite(inner, componentsId);
  }
  if (out.nullable === true && (out.type === undefined || out.enum !== undefined)) {
    const { nullable: _nullable, description, ...rest } = out;
    return { ...(description !== undefined ? { description } : {}), anyOf: [rest, { type: 'null' }] };
  }
  return out;
}

export interface Compiler {
  compile(schema: unknown): ValidateFunction;
}

/** An Ajv instance holding the document's components; `formats` add or override format checks. */
export function makeCompiler(document: OpenApiDocument, componentsId: string, extraFormats: Record<string, RegExp> = {}): Compiler {
  const ajv = new Ajv({ strict: true, allErrors: true });
  formats.default(ajv);
  for (const [name, pattern] of Object.entries(extraFormats)) ajv.addFormat(name, pattern);
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword });
  ajv.addSchema({ $id: componentsId, definitions: rewrite(document.components.schemas, componentsId) as Json });
  const compiled = new Map<unknown, ValidateFunction>();
  return {
    compile(schema) {
      const cached = compiled.get(schema);
      if (cached) return cached;
      const validate = ajv.compile(rewrite(schema, componentsId) as Json);
      compiled.set(schema, validate);
      return validate;
    },
  };
}

export function resolveRef<T>(document: OpenApiDocument, value: T): T {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  if (!ref) return value;
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node as T;
}

/** The operation a concrete path hits (case-insensitive, literal segments before {params}). */
export function findOperation(document: OpenApiDocument, method: string, path: string): Operation | undefined {
  const templates = Object.keys(document.paths).sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  for (const template of templates) {
    const source = template
      .split('/')
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')))
      .join('/');
    if (!new RegExp(`^${source}$`, 'i').test(path)) continue;
    const operation = document.paths[template]![method.toLowerCase()];
    return operation ? { template, method, operation } : undefined;
  }
  return undefined;
}

/** Required query/header parameters the request does not send. */
export function missingRequiredParams(document: OpenApiDocument, operation: Json, query: URLSearchParams, headers: Record<string, string>): string[] {
  const params = ((operation.parameters as Json[] | undefined) ?? []).map((p) => resolveRef(document, p));
  const queryNames = new Set([...query.keys()].map((k) => k.toLowerCase()));
  const headerNames = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  // The Emby spec lists X-Emby-Authorization as a required header of AuthenticateByName, adding
  // that `Authorization` works as well.
  if (headerNames.has('authorization')) headerNames.add('x-emby-authorization');
  return params
    .filter((p) => p.required === true && (p.in === 'query' || p.in === 'header'))
    .filter((p) => !(p.in === 'query' ? queryNames : headerNames).has((p.name as string).toLowerCase()))
    .map((p) => `${p.in} ${p.name}`);
}

/** The JSON schema of a response (by status), or undefined when the spec documents no JSON body. */
export function responseSchema(document: OpenApiDocument, operation: Json, status: number): unknown {
  const response = resolveRef(document, (operation.responses as Json)[String(status)] as Json | undefined);
  const content = response?.content as Record<string, { schema?: unknown }> | undefined;
  return content?.['application/json']?.schema;
}

export function documentedStatuses(operation: Json): number[] {
  return Object.keys(operation.responses as Json)
    .map(Number)
    .filter(Number.isFinite);
}

export function requestBodySchema(document: OpenApiDocument, operation: Json): unknown {
  const body = resolveRef(document, operation.requestBody as Json | undefined);
  const content = body?.content as Record<string, { schema?: unknown }> | undefined;
  return content?.['application/json']?.schema;
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} (${e.schemaPath})`).join('\n');
}
