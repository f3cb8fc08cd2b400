// The Prometheus counters and histograms that follow conversations: a subscriber of the
// committed-change stream (messages by author, bot outcomes, handoffs, queue wait, first response).
import type { ChangeStream } from '../conversations/index.js';
import { parseData } from '../conversations/index.js';
import type { ServerMetrics } from './prometheus.js';

export function observeChanges(changes: ChangeStream, metrics: ServerMetrics): () => void {
  /** The message counter's child per author, looked up once (inc with a label object hashes it every time). */
  const messageCounters = new Map<string, { inc(): void }>();
  const messagesBy = (author: string) => {
    let child = messageCounters.get(author);
    if (!child) messageCounters.set(author, (child = metrics.messages.labels({ author })));
    return child;
  };
  return changes.subscribe('metrics', (change) => {
    if (change.type !== 'conversation') return;
    const conv = change.conversation;
    for (const row of change.events) {
      if (row.kind === 'message') {
        messagesBy(row.author_type).inc();
        if (row.author_type === 'bot') metrics.botOutcomes.inc({ outcome: parseData(row).bot?.outcome ?? 'answer' });
        if (row.id === change.firstHumanReplyId && conv.queued_at !== null) {
          metrics.firstResponseSeconds.observe(Math.max(0, (row.created_at - conv.queued_at) / 1000));
        }
      } else if (row.kind === 'status') {
        const data = parseData(row);
        if (data.change === 'handoff') metrics.handoffs.inc({ reason: data.reason ?? 'unknown' });
        if (data.change === 'assigned' && conv.queued_at !== null)
          metrics.waitSeconds.observe(Math.max(0, (row.created_at - conv.queued_at) / 1000));
      }
    }
  });
}
