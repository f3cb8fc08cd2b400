import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConversationView, VisitorServerFrame } from '@servus/shared';
import { initialState, quickReplies, reduce, unreadCount, type Action, type State } from './state.js';

const conv = (status: ConversationView['status'] = 'bot', extra: Partial<ConversationView> = {}): ConversationView => ({
  id: 'c1',
  siteKey: 'demo',
  status,
  lastSeq: 0,
  assignee: null,
  queue: null,
  readSeq: 0,
  createdAt: 0,
  updatedAt: 0,
  ...extra,
});
const msg = (seq: number, extra: Partial<ChatMessage> = {}): VisitorServerFrame => ({
  type: 'message.created',
  conversationId: 'c1',
  seq,
  message: { id: `m${seq}`, seq, kind: 'text', author: { type: 'bot' }, text: `answer ${seq}`, at: seq * 1000, ...extra },
});
const run = (...actions: (Action | VisitorServerFrame)[]): State =>
  actions.reduce<State>(
    (s, a) =>
      reduce(
        s,
        'frame' in a || a.type.startsWith('local.') || a.type === 'reset'
          ? (a as Action)
          : { type: 'frame', frame: a as VisitorServerFrame },
      ),
    initialState(),
  );

describe('conversation reducer', () => {
  it('replaces the optimistic message with the stored one (same cid) and marks it sent', () => {
    const s = run(
      { type: 'local.send', cid: 'w-1', text: 'hi', at: 1 },
      { type: 'ack', cid: 'w-1', conversationId: 'c1', id: 'm1', seq: 1 },
      msg(1, { author: { type: 'visitor' }, cid: 'w-1', text: 'hi' }),
    );
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]).toMatchObject({ key: 'w-1', id: 'm1', delivery: 'sent' });
    expect(s.lastSeq).toBe(1);
  });

  it('ignores a replayed message it already has', () => {
    const s = run(msg(1), msg(2), msg(1), msg(2));
    expect(s.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(s.lastSeq).toBe(2);
  });

  it('tracks the highest contiguous seq and flags a gap', () => {
    const s = run(msg(1), msg(3));
    expect(s.lastSeq).toBe(1);
    expect(s.gap).toBe(true);
  });

  it('marks own messages read when the team has read them', () => {
    const s = run(msg(1, { author: { type: 'visitor' }, cid: 'w-1' }), { type: 'read', conversationId: 'c1', by: 'agent', seq: 1 });
    expect(s.messages[0]!.delivery).toBe('read');
  });

  it('marks a rejected message failed and sending again on retry', () => {
    let s = run({ type: 'local.send', cid: 'w-1', text: 'x', at: 1 }, { type: 'local.failed', cid: 'w-1' });
    expect(s.messages[0]!.delivery).toBe('failed');
    s = reduce(s, { type: 'local.retry', cid: 'w-1' });
    expect(s.messages[0]!.delivery).toBe('sending');
  });

  it('grows a streamed draft and replaces it with the final message', () => {
    let s = run(
      { type: 'message.delta', conversationId: 'c1', streamId: 's1', delta: 'We ship ' },
      { type: 'message.delta', conversationId: 'c1', streamId: 's1', delta: 'fast.' },
    );
    expect(s.drafts.s1!.text).toBe('We ship fast.');
    s = reduce(s, { type: 'frame', frame: msg(1, { streamId: 's1', text: 'We ship fast.' }) });
    expect(s.drafts).toEqual({});
    expect(s.messages.map((m) => m.text)).toEqual(['We ship fast.']);
  });

  it('drops an abandoned draft', () => {
    const s = run(
      { type: 'message.delta', conversationId: 'c1', streamId: 's1', delta: 'We' },
      { type: 'message.delta', conversationId: 'c1', streamId: 's1', delta: '', done: true },
    );
    expect(s.drafts).toEqual({});
  });

  it('asks for a rating after a resolve and not after the rating', () => {
    let s = run({ type: 'conversation.updated', conversationId: 'c1', seq: 1, change: 'resolved', conversation: conv('resolved'), at: 0 });
    expect(s.rated).toBe(false);
    s = reduce(s, {
      type: 'frame',
      frame: { type: 'conversation.updated', conversationId: 'c1', seq: 2, change: 'rated', conversation: conv('resolved'), at: 0 },
    });
    expect(s.rated).toBe(true);
  });

  it('shows and clears the team typing, and ignores its own', () => {
    let s = run({ type: 'typing', conversationId: 'c1', author: { type: 'agent', name: 'Anna' }, active: true });
    expect(s.typing).toMatchObject({ name: 'Anna' });
    s = reduce(s, { type: 'frame', frame: msg(1, { author: { type: 'agent', name: 'Anna' } }) });
    expect(s.typing).toBeNull();
    s = reduce(s, { type: 'frame', frame: { type: 'typing', conversationId: 'c1', author: { type: 'visitor' }, active: true } });
    expect(s.typing).toBeNull();
  });

  it('counts unread team messages above the read mark and offers the last bot suggestions', () => {
    const s = run(msg(1, { suggestions: [{ id: 'f1', title: 'Shipping?' }] }), msg(2, { suggestions: [{ id: 'f2', title: 'Returns?' }] }));
    expect(unreadCount(s, 0)).toBe(2);
    expect(unreadCount(s, 1)).toBe(1);
    expect(quickReplies(s)).toEqual([{ id: 'f2', title: 'Returns?' }]);
  });

  it('starts counting again for a new conversation', () => {
    const s = run(msg(1), msg(2), { ...msg(1), conversationId: 'c2' } as VisitorServerFrame);
    expect(s.conversationId).toBe('c2');
    expect(s.lastSeq).toBe(1);
  });

  it('never shows internal notes', () => {
    const s = run(msg(1, { kind: 'note', author: { type: 'agent' } }));
    expect(s.messages).toHaveLength(0);
    expect(s.lastSeq).toBe(1);
  });
});
