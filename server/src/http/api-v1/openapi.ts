// The OpenAPI 3.1 document of the REST API v1, generated from the route list and its zod schemas
// (zod's own JSON Schema output, draft 2020-12 as OpenAPI 3.1 uses), and docs/api.md rendered from it.
import { z } from 'zod';
import type { ApiRoute } from './registry.js';
import { apiErrorSchema, pathParams } from './registry.js';

type JsonSchema = Record<string, unknown>;

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input (BAD_JSON, BAD_FRAME with the field in `path`).',
  '401': 'No valid token (UNAUTHORIZED).',
  '403': 'The token lacks the scope (FORBIDDEN).',
  '404': 'No such resource, or not one of the token’s sites (NOT_FOUND).',
  '409': 'A conflict with the resource’s state (CONFLICT, INVALID_STATE, CID_REUSED).',
  '429': 'Over the token’s rate limit (RATE_LIMITED); see Retry-After.',
};

function toSchema(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, JsonSchema>): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const { $schema: _ignored, $defs, ...rest } = out;
  for (const [name, def] of Object.entries($defs ?? {})) defs[name] = def;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

function queryParameters(schema: z.ZodType, defs: Record<string, JsonSchema>): JsonSchema[] {
  const json = toSchema(schema, 'input', defs) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

export interface OpenApiInfo {
  version: string;
  serverUrl?: string;
}

export function openApiDocument(routes: readonly ApiRoute[], info: OpenApiInfo = { version: '1.0.0' }) {
  const defs: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = { $ref: '#/components/schemas/Error' };
  toSchema(apiErrorSchema, 'output', defs);
  for (const route of routes) {
    const params: JsonSchema[] = pathParams(route.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (route.query) params.push(...queryParameters(route.query, defs));
    const responses: Record<string, unknown> = {
      [String(route.status ?? 200)]: {
        description: 'Success',
        content: { 'application/json': { schema: toSchema(route.response, 'output', defs) } },
      },
    };
    for (const [status, description] of Object.entries(ERROR_STATUSES)) {
      responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      security: [{ bearer: [route.scope] }],
      'x-scope': route.scope,
      ...(params.length ? { parameters: params } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input', defs) } } } }
        : {}),
      responses,
    };
    (paths[`/api/v1${route.path}`] ??= {})[route.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Servus REST API',
      version: info.version,
      description:
        'Token-authenticated API for integrations. Create a token in the console (Integrations) or with `servus token create`; send it as `Authorization: Bearer svs_…`. Errors always have the shape `{ error: { code, message, path?, issues? } }`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`svs_…`) with the scope the operation names.' },
      },
      schemas: defs,
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** docs/api.md: the reference as Markdown, generated from the document (scripts/api-docs.ts). */
export function renderApiMarkdown(doc: OpenApiDocument): string {
  const lines: string[] = [
    '# REST API v1 reference',
    '',
    '<!-- Generated from the route registry (server/src/http/api-v1/) by `npm run docs:api`; a test fails when it is stale. -->',
    '',
    'Machine-readable: `GET /api/openapi.json` (OpenAPI 3.1). How to get a token, scopes, pagination, rate limits and',
    'webhooks: [integrations.md](integrations.md).',
    '',
    'Every request needs `Authorization: Bearer svs_…` with the scope named. Every error answers',
    '`{ "error": { "code": "STABLE_CODE", "message": "…", "path": "field" } }` with the HTTP status of the code',
    '(400 input, 401 token, 403 scope, 404 not found, 409 conflict, 429 rate limit). A refused body or query (`BAD_FRAME`)',
    'also lists every problem in `issues`: `{ path, kind, limit?, message }`, `kind` from a fixed vocabulary (below).',
    '',
  ];
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(ops)) {
      const op = raw as {
        tags: string[];
        summary: string;
        description?: string;
        'x-scope': string;
        parameters?: { name: string; in: string; required: boolean; description?: string; schema: JsonSchema }[];
        requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
        responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
      };
      const out: string[] = [`### \`${method.toUpperCase()} ${path}\``, '', op.summary, ''];
      if (op.description) out.push(op.description, '');
      out.push(`Scope: \`${op['x-scope']}\``, '');
      if (op.parameters?.length) {
        out.push('| parameter | in | required | type | description |', '|---|---|---|---|---|');
        for (const p of op.parameters) {
          out.push(
            `| \`${p.name}\` | ${p.in} | ${p.required ? 'yes' : 'no'} | ${typeText(p.schema)} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`,
          );
        }
        out.push('');
      }
      if (op.requestBody) out.push('Body:', '', '```ts', schemaText(op.requestBody.content['application/json'].schema), '```', '');
      const [status, ok] = Object.entries(op.responses)[0]!;
      out.push(`Answer ${status}:`, '', '```ts', schemaText(ok.content?.['application/json'].schema ?? {}), '```', '');
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...out]);
    }
  }
  for (const [tag, out] of byTag) lines.push(`## ${tag}`, '', ...out);
  lines.push('## Shared schemas', '');
  for (const [name, schema] of Object.entries(doc.components.schemas)) lines.push('```ts', `${name} = ${schemaText(schema)}`, '```', '');
  return lines.join('\n');
}

/** A JSON Schema as a TypeScript-like type: `{ id: string; status?: 'a' | 'b' }`, descriptions as comments. */
export function schemaText(schema: JsonSchema, indent = ''): string {
  const s = schema as JsonSchema & {
    $ref?: string;
    type?: string | string[];
    enum?: unknown[];
    const?: unknown;
    anyOf?: JsonSchema[];
    oneOf?: JsonSchema[];
    items?: JsonSchema;
    properties?: Record<string, JsonSchema>;
    required?: string[];
    additionalProperties?: boolean | JsonSchema;
    format?: string;
    minimum?: number;
    maximum?: number;
    maxLength?: number;
    default?: unknown;
  };
  if (s.$ref) return s.$ref.split('/').pop()!;
  if (s.enum) return s.enum.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const).replace(/"/g, "'");
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((u) => schemaText(u, indent)).join(' | ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return types.map((t) => schemaText({ ...s, type: t }, indent)).join(' | ');
  const type = types[0];
  if (type === 'array') return `${wrap(schemaText(s.items ?? {}, indent))}[]`;
  if (type === 'object' || s.properties) {
    const props = Object.entries(s.properties ?? {});
    const extra = typeof s.additionalProperties === 'object' ? `[key: string]: ${schemaText(s.additionalProperties, indent + '  ')}` : null;
    if (!props.length) return extra ? `{ ${extra} }` : s.additionalProperties === false ? '{}' : 'object';
    const inner = indent + '  ';
    const rows = props.map(([key, value]) => {
      const optional = s.required?.includes(key) ? '' : '?';
      const note = typeof value.description === 'string' ? ` // ${value.description}` : '';
      return `${inner}${key}${optional}: ${schemaText(value, inner)};${note}`;
    });
    if (extra) rows.push(`${inner}${extra};`);
    return `{\n${rows.join('\n')}\n${indent}}`;
  }
  if (type === 'integer' || type === 'number') {
    // zod's int() says the safe-integer bounds: not worth printing.
    const min = s.minimum === Number.MIN_SAFE_INTEGER ? undefined : s.minimum;
    const max = s.maximum === Number.MAX_SAFE_INTEGER ? undefined : s.maximum;
    const range = min !== undefined || max !== undefined ? ` (${min ?? ''}..${max ?? ''})` : '';
    return `${type === 'integer' ? 'integer' : 'number'}${range}${s.default !== undefined ? ` = ${String(s.default)}` : ''}`;
  }
  if (type === 'string') return `string${s.format ? ` (${s.format})` : ''}${s.maxLength !== undefined ? ` (≤ ${s.maxLength})` : ''}`;
  return type ?? 'any';
}

const wrap = (t: string) => (t.includes(' | ') ? `(${t})` : t);

function typeText(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (typeof schema.type === 'string') return schema.type;
  return 'see schema';
}
