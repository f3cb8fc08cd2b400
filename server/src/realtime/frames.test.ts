// messageCreatedFrames writes the hot path's frames by hand: it must give exactly what serialising
// toMessage gives, for every kind of event, author and awkward text.
import { describe, expect, it } from 'vitest';
import { toMessage, type EventRow } from '../conversations/index.js';
import { messageCreatedFrames } from './frames.js';

const base: EventRow = {
  id: 'm_00mabc1230001xyz',
  conversation_id: 'c_abc',
  seq: 7,
  visitor_seq: 5,
  kind: 'message',
  author_type: 'visitor',
  author_id: 'v_123',
  author_name: null,
  text: 'Hallo!',
  data: null,
  actor_key: 'v:v_123',
  cid: 'c-17',
  created_at: 1_764_000_000_123,
};

const expected = (row: EventRow) => {
  const frame = (audience: 'agent' | 'visitor') =>
    JSON.stringify({
      type: 'message.created',
      conversationId: 'c_abc',
      seq: audience === 'agent' ? row.seq : row.visitor_seq,
      message: toMessage(row, audience),
    });
  return { agent: frame('agent'), visitor: row.visitor_seq === null ? null : frame('visitor') };
};

const awkward = [
  '',
  'line\nbreak "quoted" \\ back\tslash',
  '</script><img src=x onerror=alert(1)>',
  'Grüße 😀 \u2028 \u0000',
  'x'.repeat(4000),
];

describe('message.created frames', () => {
  const rows: EventRow[] = [
    base,
    { ...base, cid: null },
    { ...base, author_type: 'agent', author_id: 'a_1', author_name: 'Bea "the" Agent', actor_key: 'a:a_1' },
    { ...base, author_type: 'agent', author_id: 'a_1', author_name: 'Bea', kind: 'note', visitor_seq: null },
    {
      ...base,
      author_type: 'bot',
      author_id: null,
      author_name: 'Servus Bot',
      cid: null,
      data: JSON.stringify({ suggestions: [{ id: 'f', title: 'F' }], bot: { confidence: 0.4 } }),
    },
    { ...base, kind: 'status', author_type: 'system', author_id: null, cid: null },
    { ...base, author_name: 'Vis\u00e4tor', visitor_seq: 0 },
    ...awkward.map((text) => ({ ...base, text })),
    ...awkward.map((author_name) => ({ ...base, author_type: 'agent' as const, author_id: 'a_2', author_name })),
  ];
  it.each(rows.map((row, i) => [i, row] as const))('row %i is written as toMessage serialises it', (_i, row) => {
    expect(messageCreatedFrames('c_abc', row)).toEqual(expected(row));
  });
});
