import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './router.js';

describe('console routes', () => {
  it('defaults to the queue', () => {
    expect(parseRoute('/console')).toEqual({ section: 'queue', conversationId: null });
    expect(parseRoute('/console/nonsense')).toEqual({ section: 'queue', conversationId: null });
  });
  it('reads a section and a conversation id, and round-trips', () => {
    const r = parseRoute('/console/mine/c_abc-1');
    expect(r).toEqual({ section: 'mine', conversationId: 'c_abc-1' });
    expect(routePath(r)).toBe('/console/mine/c_abc-1');
  });
  it('opens links from notification emails in the full list', () => {
    expect(parseRoute('/console/conversations/xyz')).toEqual({ section: 'all', conversationId: 'xyz' });
  });
  it('ignores ids that are not opaque ids', () => {
    expect(parseRoute('/console/all/<script>')).toEqual({ section: 'all', conversationId: null });
    expect(parseRoute('/console/faq/abc').conversationId).toBeNull();
  });
});
