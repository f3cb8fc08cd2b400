// The JS API's rarer commands, identify and shutdown: their own chunk, loaded on first use (most
// sites call neither), so they cost a visitor who just chats nothing.
import type { Command } from '../public-api.js';
import type { Session } from './session.js';

/** Runs `identify` or `shutdown`; `close` stops the socket (forgetting its outbox) and the greeting. */
export function run(cmd: Command, s: Session, close: () => void): void {
  if (cmd[0] === 'identify') {
    const u = cmd[1];
    if (!u || typeof u.id !== 'string' || typeof u.hash !== 'string') return console.warn('[servus] identify: id and hash needed');
    s.cmd({
      type: 'visitor.identify',
      id: u.id,
      hash: u.hash,
      ...(u.name ? { name: u.name } : {}),
      ...(u.email ? { email: u.email } : {}),
    });
  } else if (cmd[0] === 'shutdown') {
    close();
    s.dispatch({ type: 'reset' });
    s.set({ open: false, greeting: null, profileDone: false, offlineSent: false, announce: '' });
    for (const name of ['token', 'conv', 'read', 'profile', 'seen']) s.local.remove(s.key(name));
    for (const name of ['greeted', 'rule']) s.session.remove(s.key(name));
  }
}
