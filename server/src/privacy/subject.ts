// What the audit log keeps of a person it names: how they were looked up and a keyed hash of the
// value, never the email or visitor id itself (erasure leaves no trace of them anywhere). With the
// site's secret the owner can recompute it to show that a given request was carried out.
import type { PersonQuery } from './privacy.js';
import { emailDigest } from './audit.js';

export function subjectOf(query: PersonQuery, secret: string | undefined): string {
  const key = secret ?? 'servus';
  if ('conversationId' in query) return `conversation:${query.conversationId}`;
  if ('visitorId' in query) return `visitor#${emailDigest(query.visitorId, key)}`;
  return `email#${emailDigest(query.email, key)}`;
}
