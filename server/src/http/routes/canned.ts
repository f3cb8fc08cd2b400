// /api/canned: the team's canned responses (`/shortcut` in the composer).
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode, type CannedCreatedResponse, type CannedListResponse } from '@servus/shared';
import { storableString } from '@servus/shared/schemas';
import type { Database } from '../../storage/schema.js';
import { ServusError, notFound } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { parseJson, type Env } from '../toolkit.js';

export function cannedRoutes({ db }: { db: Kysely<Database> }) {
  const app = new Hono<Env>();
  app.get('/', async (c) =>
    c.json({
      canned: await db.selectFrom('canned_responses').select(['id', 'shortcut', 'text']).orderBy('shortcut').execute(),
    } satisfies CannedListResponse),
  );
  app.post('/', async (c) => {
    const body = await parseJson(
      c,
      z.object({
        shortcut: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[a-z0-9_-]+$/i, 'letters, digits, _ or -'),
        text: storableString().trim().min(1).max(4000),
      }),
    );
    const existing = await db.selectFrom('canned_responses').select('id').where('shortcut', '=', body.shortcut).executeTakeFirst();
    if (existing) throw new ServusError(ErrorCode.CONFLICT, `The shortcut /${body.shortcut} exists already.`, { path: 'shortcut' });
    const row = { id: randomId('cr'), shortcut: body.shortcut, text: body.text, created_by: c.get('agent').id, created_at: Date.now() };
    await db.insertInto('canned_responses').values(row).execute();
    return c.json({ canned: { id: row.id, shortcut: row.shortcut, text: row.text } } satisfies CannedCreatedResponse, 201);
  });
  app.delete('/:id', async (c) => {
    const res = await db.deleteFrom('canned_responses').where('id', '=', c.req.param('id')).executeTakeFirst();
    if (!Number(res.numDeletedRows)) throw notFound('canned response');
    return c.json({ ok: true });
  });
  return app;
}
