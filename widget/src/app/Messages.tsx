// The message list: day separators, messages grouped by author and time, avatars or initials,
// delivery state on the visitor's own messages, a streamed draft, the typing indicator.
import type { Author } from '@servus/shared';
import { Component, Fragment, h } from 'preact';
import { formatDay, formatTime, type Strings } from '../i18n.js';
import { WIDGET_DEFAULTS } from '../options.js';
import type { Msg } from '../state.js';
import { safeImage } from './config.js';
import { Rich } from './Rich.js';
import type { Session, View } from './session.js';

/**
 * A component from a lazy chunk: `n` names its export, the other props pass through. The chunk
 * loads when the first one mounts, or ahead of that with `load({ session })`; its styles (its
 * export `css`) join the shadow root when it is here. Until then it renders nothing.
 */
export function lazyChunk<M extends { css: string }, N extends keyof M>(load: () => Promise<M>) {
  let mod: M | undefined;
  let loading: Promise<M> | undefined;
  const get = ({ session }: { session?: unknown }) => (loading ??= load().then((m) => ((session as Session).addStyles(m.css), (mod = m))));
  return class extends Component<{ n: N; [prop: string]: unknown }> {
    /** Fetches the chunk (once) without a component: resolves with the module. */
    static load = get;
    override componentDidMount() {
      if (!mod) void get(this.props as { session?: unknown }).then(() => this.forceUpdate());
    }
    override render(props: { n: N }) {
      return mod ? h(mod[props.n] as never, props) : null;
    }
  };
}

/**
 * Files are their own chunk (Attach.tsx): the uploads in flight (`n="Uploads"`) and sent files
 * (`n="File_"`). The paperclip that fetches it is in the app chunk (Clip.tsx).
 */
export const Attached = lazyChunk<typeof import('./Attach.js'), 'Uploads' | 'File_'>(() => import('./Attach.js'));

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('') || '?';

export function Avatar({ author, view }: { author: Author; view: View }) {
  const c = view.config;
  const name = authorName(author, view);
  // botAvatarUrl or agentAvatarUrl (a visitor has none)
  const img = safeImage(c?.[(author.type + 'AvatarUrl') as 'botAvatarUrl']);
  return (
    <span class={'avatar ' + author.type} aria-hidden="true">
      {img ? <img src={img} alt="" /> : initials(name)}
    </span>
  );
}

export function authorName(a: Author, view: View): string {
  const s = view.strings!;
  if (a.type === 'visitor') return s.you;
  if (a.type === 'bot') return a.name ?? view.config?.botName ?? 'Bot';
  return a.name ?? s.team;
}

interface Group {
  author: Author;
  items: Msg[];
  day?: string;
}

const sameAuthor = (a: Author, b: Author) => a.type === b.type && (a.type === 'visitor' || a.type === 'bot' || a.id === b.id);

export function groupMessages(messages: Msg[], lang: 'de' | 'en', s: Strings, now: number): Group[] {
  const groups: Group[] = [];
  let lastDay = '';
  for (const m of messages) {
    const day = formatDay(m.at, lang, s, now);
    const g = groups[groups.length - 1];
    const prev = g?.items[g.items.length - 1];
    if (
      g &&
      prev &&
      day === lastDay &&
      m.kind !== 'system' &&
      prev.kind !== 'system' &&
      sameAuthor(g.author, m.author) &&
      m.at - prev.at < WIDGET_DEFAULTS.groupGapMs
    ) {
      g.items.push(m);
    } else {
      groups.push({ author: m.author, items: [m], day: day !== lastDay ? day : undefined });
    }
    lastDay = day;
  }
  return groups;
}

function Delivery({ m, session }: { m: Msg; session: Session }) {
  const s = session.t();
  if (m.delivery === 'failed')
    return (
      <span class="failed" role="alert">
        {s.failed}{' '}
        <button type="button" class="link" onClick={() => session.retry(m.cid!)}>
          {s.retry}
        </button>
      </span>
    );
  const label = m.delivery === 'sending' ? s.sending : m.delivery === 'read' ? s.read : s.sent;
  return (
    <span class={'tick ' + m.delivery} title={label}>
      <span class="sr-only">{label}</span>
      <span aria-hidden="true">{m.delivery === 'sending' ? '○' : m.delivery === 'read' ? '✓✓' : '✓'}</span>
    </span>
  );
}

export function Messages({ view, session, greeting }: { view: View; session: Session; greeting: string }) {
  const groups = groupMessages([...view.chat.messages, ...Object.values(view.chat.drafts)], view.lang, view.strings!, Date.now());
  const typing = view.chat.typing;
  const s = session.t();
  const greetAuthor: Author = { type: 'bot' };
  return (
    <div class="messages">
      {greeting && (
        <div class="group bot">
          <Avatar author={greetAuthor} view={view} />
          <div class="stack">
            <div class="name">{authorName(greetAuthor, view)}</div>
            <div class="bubble">{greeting}</div>
          </div>
        </div>
      )}
      {groups.map((g) => {
        const first = g.items[0]!;
        const day = g.day && (
          <div class="day" role="separator">
            {g.day}
          </div>
        );
        if (first.kind === 'system')
          return (
            <Fragment key={first.key}>
              {day}
              <p class="system">{first.text}</p>
            </Fragment>
          );
        const mine = g.author.type === 'visitor';
        const last = g.items[g.items.length - 1]!;
        return (
          <Fragment key={first.key}>
            {day}
            <div class={'group ' + (mine ? 'mine' : g.author.type)}>
              {!mine && <Avatar author={g.author} view={view} />}
              <div class="stack">
                {!mine && <div class="name">{authorName(g.author, view)}</div>}
                {g.items.map((m) => (
                  <Fragment key={m.key}>
                    <div class={'bubble' + (m.delivery === 'failed' ? ' is-failed' : '') + (m.draft ? ' draft' : '')}>
                      {m.attachment ? (
                        <Attached n="File_" m={m} session={session} />
                      ) : m.author.type === 'bot' ? (
                        <Rich text={m.text} />
                      ) : (
                        m.text
                      )}
                    </div>
                    {m.delivery === 'failed' && <Delivery m={m} session={session} />}
                  </Fragment>
                ))}
                <div class="meta">
                  <time dateTime={new Date(last.at).toISOString()}>{formatTime(last.at, view.lang)}</time>
                  {mine && last.delivery !== 'failed' && <Delivery m={last} session={session} />}
                </div>
              </div>
            </div>
          </Fragment>
        );
      })}
      {typing && (
        <div class="group typing-row">
          <Avatar author={typing} view={view} />
          <div class="bubble typing" role="status">
            <span class="sr-only">{s.typing(authorName(typing, view))}</span>
            <i />
            <i />
            <i />
          </div>
        </div>
      )}
    </div>
  );
}
