import { describe, expect, it } from 'vitest';
import { agentFrame, agentMessageSend, messageSend, quickMessageSend, visitorFrame } from './frames.js';

// quickMessageSend must accept exactly what the schemas accept as a message, and return the same
// data; anything it declines goes to the schema (which then words the error).
const long = 'x'.repeat(4000);
const frames: unknown[] = [
  { type: 'message.send', cid: 'c1', text: 'Hallo' },
  { type: 'message.send', cid: 'c1', text: 'Hallo', conversationId: 'conv_1' },
  { type: 'message.send', cid: 'a.b:c-d_e', text: '  padded  ', conversationId: 'A-z_9' },
  { type: 'message.send', cid: 'c1', text: 'extra fields are dropped', conversationId: 'c', other: 1 },
  { type: 'message.send', cid: 'c1', text: long },
  { type: 'message.send', cid: 'c1', text: `${long}y` },
  { type: 'message.send', cid: 'c1', text: `a\u0000b\u0007c` },
  { type: 'message.send', cid: 'c1', text: 'lone \uD800 surrogate, pair \uD83D\uDE00' },
  { type: 'message.send', cid: 'c1', text: `${long}\u0000` },
  { type: 'message.send', cid: 'c1', text: '\u0000\u0001' },
  { type: 'message.send', cid: 'c1', text: '   ' },
  { type: 'message.send', cid: 'c1', text: '' },
  { type: 'message.send', cid: '', text: 'x' },
  { type: 'message.send', cid: 'c'.repeat(64), text: 'x' },
  { type: 'message.send', cid: 'c'.repeat(65), text: 'x' },
  { type: 'message.send', cid: 'bad cid', text: 'x' },
  { type: 'message.send', cid: 7, text: 'x' },
  { type: 'message.send', cid: 'c1', text: 7 },
  { type: 'message.send', cid: 'c1', text: 'x', conversationId: '' },
  { type: 'message.send', cid: 'c1', text: 'x', conversationId: 'a'.repeat(65) },
  { type: 'message.send', cid: 'c1', text: 'x', conversationId: 'has.dot' },
  { type: 'message.send', cid: 'c1', text: 'x', conversationId: null },
  { type: 'message.send', cid: 'c1', text: 'x', conversationId: 12 },
  { type: 'message.send', cid: 'c1' },
  { type: 'typing.update', conversationId: 'c', active: true },
  { type: 'message.sent', cid: 'c1', text: 'x' },
  ['message.send'],
  null,
  'message.send',
];

describe('quickMessageSend', () => {
  it('knows every field of the message schemas (a new field must be added to it too)', () => {
    expect(Object.keys(messageSend.shape).sort()).toEqual(['cid', 'conversationId', 'text', 'type']);
    expect(Object.keys(agentMessageSend.shape).sort()).toEqual(['cid', 'conversationId', 'text', 'type']);
  });

  for (const [role, schema] of [
    ['visitor', visitorFrame],
    ['agent', agentFrame],
  ] as const) {
    it(`accepts exactly the ${role} messages the schema accepts, with the same data`, () => {
      let quick = 0;
      for (const raw of frames) {
        const fast = quickMessageSend(raw, role === 'agent');
        const full = schema.safeParse(raw);
        const isMessage = full.success && full.data.type === 'message.send';
        if (fast) {
          quick += 1;
          expect(isMessage, JSON.stringify(raw)).toBe(true);
          expect(fast).toEqual(full.data);
        } else {
          // Declined: another type, or a message the schema refuses too.
          expect(isMessage, JSON.stringify(raw)).toBe(false);
        }
      }
      // The list's valid messages: nine for a visitor; three for an agent, who must name the conversation.
      expect(quick).toBe(role === 'visitor' ? 9 : 3);
    });
  }
});
