// Routes are paths under /console (the server answers every /console/* with the app).
export type Section = 'queue' | 'mine' | 'all' | 'faq' | 'dashboard' | 'settings' | 'integrations';

export interface Route {
  section: Section;
  conversationId: string | null;
}

const SECTIONS: readonly Section[] = ['queue', 'mine', 'all', 'faq', 'dashboard', 'settings', 'integrations'];
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRoute(pathname: string): Route {
  const parts = pathname
    .replace(/^\/console\/?/, '')
    .split('/')
    .filter(Boolean);
  const [first, second] = parts;
  // Links from notification emails: /console/conversations/ID.
  if (first === 'conversations' && second && ID.test(second)) return { section: 'all', conversationId: second };
  const section = SECTIONS.includes(first as Section) ? (first as Section) : 'queue';
  const conversationId = second && ID.test(second) && ['queue', 'mine', 'all'].includes(section) ? second : null;
  return { section, conversationId };
}

export function routePath(route: Route): string {
  return `/console/${route.section}${route.conversationId ? `/${route.conversationId}` : ''}`;
}
