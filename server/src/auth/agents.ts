// Agent accounts: created by the first start, by admins in the console and REST, and on the
// command line.
import type { Kysely } from 'kysely';
import { ErrorCode } from '@servus/shared';
import type { Database } from '../storage/schema.js';
import { ServusError } from '../core/errors.js';
import { hashPassword, randomId } from '../core/ids.js';

export async function createAgent(
  db: Kysely<Database>,
  input: { name: string; email: string; role: 'admin' | 'agent'; password: string; capacity?: number; siteKeys: string[] },
): Promise<{ id: string; name: string; email: string; role: 'admin' | 'agent'; capacity: number }> {
  const email = input.email.toLowerCase();
  if (await db.selectFrom('agents').select('id').where('email', '=', email).executeTakeFirst()) {
    throw new ServusError(ErrorCode.CONFLICT, 'An agent with this email exists already.', { path: 'email' });
  }
  const row = {
    id: randomId('a'),
    email,
    name: input.name,
    role: input.role,
    password_hash: await hashPassword(input.password),
    capacity: input.capacity ?? 3,
    created_at: Date.now(),
  };
  await db.insertInto('agents').values(row).execute();
  if (input.siteKeys.length)
    await db
      .insertInto('agent_sites')
      .values(input.siteKeys.map((k) => ({ agent_id: row.id, site_key: k })))
      .execute();
  return { id: row.id, name: row.name, email: row.email, role: row.role, capacity: row.capacity };
}
