// The REST API v1 as data: each route names its method, path, scope and the zod schemas of its query,
// body and response. The same list mounts the routes (validation with those schemas, the token's
// scope and rate limit checked first) and generates the OpenAPI 3.1 document (openapi.ts), so the
// reference cannot drift from what the server accepts.
import { Hono, type Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { z } from 'zod';
import { ErrorCode, FIELD_ISSUE_KINDS, type ApiScope } from '@servus/shared';
import type { ApiTokens, TokenActor } from '../../auth/api-tokens.js';
import { ServusError, invalidInput } from '../../core/errors.js';
import type { SharedRateLimiter } from '../../core/rate-limit.js';

export type ApiEnv = { Bindings: HttpBindings; Variables: { token: TokenActor } };
export type ApiCtx = Context<ApiEnv>;

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<Q, B> {
  token: TokenActor;
  /** Path parameters (`{id}` in the path). */
  params: Record<string, string>;
  query: Q;
  body: B;
  c: ApiCtx;
}

export interface ApiRoute<Q = unknown, B = unknown, R = unknown> {
  method: HttpMethod;
  /** OpenAPI style, under /api/v1: `/conversations/{id}`. */
  path: string;
  /** The scope a token needs. */
  scope: ApiScope;
  /** Groups routes in the reference. */
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType<R>;
  /** Success status (200 unless said). */
  status?: 200 | 201;
  run(input: RouteInput<Q, B>): Promise<R>;
}

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<Q = undefined, B = undefined, R = unknown>(route: ApiRoute<Q, B, R>): ApiRoute {
  return route as unknown as ApiRoute;
}

/** Every failed request, here as everywhere in Servus. */
export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      path: z.string().optional().describe('The invalid field, when one is to blame.'),
      issues: z
        .array(
          z.object({
            path: z.string().describe('The field, dotted (`scopes.0`).'),
            kind: z.enum(FIELD_ISSUE_KINDS).describe('What is wrong, in a fixed vocabulary a client can translate.'),
            limit: z.number().optional().describe('The bound of a `too_*` kind.'),
            message: z.string(),
          }),
        )
        .optional()
        .describe('Every problem of a refused body or query (BAD_FRAME), at most 20.'),
    }),
  })
  .meta({ id: 'Error' });

/** `/conversations/{id}` → `/conversations/:id` */
export const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The `{name}`s of a path. */
export const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

export interface MountOptions {
  tokens: ApiTokens;
  /** Requests per token and window (shared by every instance with Redis). */
  limiter: SharedRateLimiter;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds: number;
}

/** A router for the routes: bearer token, rate limit, scope, then the validated input. */
export function mountApiRoutes(routes: readonly ApiRoute[], { tokens, limiter, retryAfterSeconds }: MountOptions): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('*', async (c, next) => {
    const token = await tokens.authenticate(c.req.header('authorization'));
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new ServusError(ErrorCode.UNAUTHORIZED, 'Send a valid API token: Authorization: Bearer svs_…');
    }
    if (!(await limiter.hit(token.id))) {
      c.header('Retry-After', String(retryAfterSeconds));
      throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many requests with this token; wait a little.');
    }
    c.set('token', token);
    await next();
  });
  for (const route of routes) {
    app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
      const token = c.get('token');
      if (!token.scopes.includes(route.scope)) {
        throw new ServusError(ErrorCode.FORBIDDEN, `This token lacks the scope ${route.scope}.`);
      }
      const params: Record<string, string> = {};
      for (const name of pathParams(route.path)) params[name] = c.req.param(name) ?? '';
      let query: unknown = undefined;
      if (route.query) {
        const parsed = route.query.safeParse(c.req.query(), { reportInput: true });
        if (!parsed.success) throw invalidInput(parsed.error.issues, 'query');
        query = parsed.data;
      }
      let body: unknown = undefined;
      if (route.body) {
        let raw: unknown;
        try {
          raw = JSON.parse(await c.req.text());
        } catch {
          throw new ServusError(ErrorCode.BAD_JSON, 'The body must be JSON.');
        }
        const parsed = route.body.safeParse(raw, { reportInput: true });
        if (!parsed.success) throw invalidInput(parsed.error.issues, 'body');
        body = parsed.data;
      }
      const result = await route.run({ token, params, query, body, c });
      return c.json(result as object, route.status ?? 200);
    });
  }
  return app;
}
