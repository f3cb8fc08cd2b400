// What a refused body tells a client: zod's issues as `{ path, kind, limit?, message }` in the small
// vocabulary the console translates (FIELD_ISSUE_KINDS), every issue and not only the first.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldIssue, invalidInput, toPublicError } from './errors.js';

const schema = z
  .object({
    name: z.string().trim().min(1).max(10),
    password: z.string().min(8),
    capacity: z.number().int().min(1).max(50),
    email: z.email(),
    url: z.url({ protocol: /^https$/ }),
    role: z.enum(['admin', 'agent']),
    tags: z.array(z.string()).min(1).max(2),
    colour: z.string().regex(/^#[0-9a-f]{6}$/, 'must be a colour'),
    origin: z.string().refine((v) => v.startsWith('https://'), { error: 'must be an origin', params: { kind: 'not_origin' } }),
    other: z.string().refine(() => false, 'never'),
  })
  .strict();

const kinds = (body: unknown) => {
  const parsed = schema.safeParse(body, { reportInput: true });
  expect(parsed.success).toBe(false);
  return Object.fromEntries(
    parsed.error!.issues.map((i) => fieldIssue(i)).map(({ path, kind, limit }) => [path, limit === undefined ? kind : `${kind} ${limit}`]),
  );
};

describe('field issues', () => {
  it('names the kind of each problem and its bound', () => {
    expect(
      kinds({
        name: 'x'.repeat(11),
        password: 'short',
        capacity: 51,
        email: 'nobody',
        url: 'http://insecure.example',
        role: 'boss',
        tags: [],
        colour: 'red',
        origin: 'shop.example',
        other: 'x',
        extra: true,
      }),
    ).toEqual({
      name: 'too_long 10',
      password: 'too_short 8',
      capacity: 'too_big 50',
      email: 'not_email',
      url: 'not_url',
      role: 'choice',
      tags: 'too_few 1',
      colour: 'format',
      origin: 'not_origin',
      other: 'invalid',
      extra: 'unknown_field',
    });
    expect(
      kinds({
        name: '  ',
        password: 'long enough',
        capacity: 1.5,
        email: 'a@b.co',
        url: 'https://a.example',
        role: 'agent',
        tags: ['a', 'b', 'c'],
        colour: '#aabbcc',
        origin: 'https://a',
        other: 'x',
      }),
    ).toEqual({
      name: 'required',
      capacity: 'not_integer',
      tags: 'too_many 2',
      other: 'invalid',
    });
    expect(kinds({ capacity: 'many' })).toMatchObject({ name: 'required', capacity: 'not_number', role: 'required' });
  });

  it('tells a missing field from a wrong one also without the input in the issue', () => {
    const parsed = schema.safeParse({ capacity: 2 });
    expect(parsed.error!.issues.map(fieldIssue).find((i) => i.path === 'name')?.kind).toBe('required');
  });

  it('answers a refused body with the first path (as before) and every issue, at most 20', () => {
    const big = z.object(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, z.string()])));
    const parsed = big.safeParse({}, { reportInput: true });
    const pub = toPublicError(invalidInput(parsed.error!.issues, 'body'));
    expect(pub.code).toBe('BAD_FRAME');
    expect(pub.path).toBe('f0');
    expect(pub.message).toMatch(/^f0: /);
    expect(pub.issues).toHaveLength(20);
    expect(pub.issues![0]).toEqual({ path: 'f0', kind: 'required', message: expect.any(String) });
    // The input is never sent back.
    expect(pub.issues!.every((i) => !('input' in i))).toBe(true);
  });
});
