import { describe, expect, it } from 'vitest';
import { reduceConversation, type LifecycleState } from './lifecycle.js';

const bot: LifecycleState = { status: 'bot', assigneeId: null, handoffReason: null, queuedAt: null, assignedAt: null, resolvedAt: null };

describe('reduceConversation', () => {
  it('moves a bot conversation to the queue on handoff and records the reason', () => {
    const { state, change } = reduceConversation(bot, { type: 'handoff', reason: 'visitor_request', at: 10 });
    expect(change).toBe('handoff');
    expect(state).toMatchObject({ status: 'queued', handoffReason: 'visitor_request', queuedAt: 10 });
  });

  it('lets exactly one agent claim: a second claim by someone else is a conflict', () => {
    const queued = reduceConversation(bot, { type: 'handoff', reason: 'visitor_request', at: 1 }).state;
    const claimed = reduceConversation(queued, { type: 'claim', agentId: 'a1', at: 2 });
    expect(claimed.state).toMatchObject({ status: 'assigned', assigneeId: 'a1', assignedAt: 2 });
    expect(reduceConversation(claimed.state, { type: 'claim', agentId: 'a1', at: 3 }).change).toBeNull();
    expect(() => reduceConversation(claimed.state, { type: 'claim', agentId: 'a2', at: 3 })).toThrow(/already taken/);
  });

  it('puts a released conversation back with its original queue time', () => {
    const queued = reduceConversation(bot, { type: 'handoff', reason: 'frustration', at: 5 }).state;
    const assigned = reduceConversation(queued, { type: 'claim', agentId: 'a1', at: 9 }).state;
    const released = reduceConversation(assigned, { type: 'release', at: 20 });
    expect(released.change).toBe('released');
    expect(released.state).toMatchObject({ status: 'queued', assigneeId: null, queuedAt: 5 });
  });

  it('reopens a resolved conversation when the visitor writes: to the queue if a person had it, else to the bot', () => {
    const handled = reduceConversation(
      reduceConversation(reduceConversation(bot, { type: 'handoff', reason: 'visitor_request', at: 1 }).state, {
        type: 'claim',
        agentId: 'a',
        at: 2,
      }).state,
      { type: 'resolve', at: 3 },
    ).state;
    expect(reduceConversation(handled, { type: 'visitor.wrote', at: 4 }).state).toMatchObject({
      status: 'queued',
      queuedAt: 4,
      assigneeId: null,
    });
    const botOnly = reduceConversation(bot, { type: 'resolve', at: 3 }).state;
    expect(reduceConversation(botOnly, { type: 'visitor.wrote', at: 4 })).toMatchObject({ change: 'reopened', state: { status: 'bot' } });
  });

  it('refuses transfer and release of conversations nobody holds, and claims of resolved ones', () => {
    expect(() => reduceConversation(bot, { type: 'transfer', agentId: 'x', at: 1 })).toThrow();
    expect(() => reduceConversation(bot, { type: 'release', at: 1 })).toThrow();
    const resolved = reduceConversation(bot, { type: 'resolve', at: 1 }).state;
    expect(() => reduceConversation(resolved, { type: 'claim', agentId: 'a', at: 2 })).toThrow(/resolved/);
    expect(reduceConversation(resolved, { type: 'resolve', at: 2 }).change).toBeNull();
  });

  it('lets an agent reopen a resolved conversation, which is then theirs; anything else stays as it is', () => {
    const queued = reduceConversation(bot, { type: 'handoff', reason: 'visitor_request', at: 1 }).state;
    const resolved = reduceConversation(reduceConversation(queued, { type: 'claim', agentId: 'a1', at: 2 }).state, {
      type: 'resolve',
      at: 3,
    }).state;
    const reopened = reduceConversation(resolved, { type: 'reopen', agentId: 'a2', at: 4 });
    expect(reopened.change).toBe('reopened');
    expect(reopened.state).toMatchObject({ status: 'assigned', assigneeId: 'a2', assignedAt: 4, resolvedAt: null });
    expect(reduceConversation(queued, { type: 'reopen', agentId: 'a2', at: 5 }).change).toBeNull();
  });
});
