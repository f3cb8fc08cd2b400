// The panel: a non-modal dialog with the header (who answers, queue position), a connection
// banner, the conversation, quick replies, forms, and the composer; plus the proactive greeting
// bubble and the polite live region that announces incoming messages.
import type { Author } from '@servus/shared';
import { Component, Fragment, createRef, h } from 'preact';
import { formatOpening } from '../i18n.js';
import { quickReplies } from '../state.js';
import type * as FormsModule from './Forms.js';
import { Clip } from './Clip.js';
import { Avatar, Messages, lazyChunk } from './Messages.js';
import type { Session, View } from './session.js';

/** Quick replies shown at once: more would push the conversation out of view on a phone. */
const MAX_QUICK_REPLIES = 2;
/**
 * Short windows (styles.css has the same query): the quick replies go at the end of the
 * conversation, where they scroll, instead of taking the fixed footer's height from it.
 */
// Range syntax as the minified CSS writes it (every target browser has it): gzip finds the repeat.
const short = matchMedia('(height<=560px) and (width>=480px)');

interface Props {
  view: View;
  session: Session;
}

/**
 * The forms are a separate chunk: most visitors never see a pre-chat, offline or rating form, nor
 * the length counter of a message near its limit.
 * (Class components throughout the app chunk: preact/hooks would cost 1.2 KB of the budget.)
 */
const Form = lazyChunk<typeof FormsModule, 'PreChatForm' | 'OfflineForm' | 'RatingForm' | 'Counter' | 'ToolsForm'>(
  () => import('./Forms.js'),
);

function subtitle(view: View, session: Session): string {
  const s = session.t();
  const conv = view.chat.conversation;
  const hours = view.config?.hours;
  if (conv?.status === 'assigned' && conv.assignee) return s.withAgent(conv.assignee.name);
  if (conv?.status === 'queued' && conv.queue) {
    const q = conv.queue;
    if (q.closed) return q.closed.opensAt ? s.closedUntil(formatOpening(q.closed.opensAt, view.lang)) : s.closed;
    // Nobody online: still the place in the queue; the offline form below offers an email answer.
    return s.waiting(q.position, q.expectedWaitSeconds === null ? null : Math.max(1, Math.round(q.expectedWaitSeconds / 60)));
  }
  if (conv?.status === 'resolved') return s.resolved;
  if (hours && !hours.open && hours.opensAt) return s.closedUntil(formatOpening(hours.opensAt, view.lang));
  return s.botSubtitle;
}

class Composer extends Component<Props, { text: string }> {
  override state = { text: '' };
  /** The textarea's value right now (state updates are batched; Enter may come before the render). */
  text = '';
  submit = () => {
    const { text } = this;
    if (text.length <= this.props.view.chat.maxChars && this.props.session.send(text)) this.setState({ text: (this.text = '') });
  };
  override render({ view, session }: Props, { text }: { text: string }) {
    const s = session.t();
    const max = view.chat.maxChars;
    const left = max - text.length;
    const showCount = text.length >= max * 0.8;
    return (
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          this.submit();
        }}
      >
        {view.config?.attachments && <Clip view={view} session={session} />}
        <textarea
          id="sv-input"
          rows={1}
          value={text}
          placeholder={s.placeholder}
          aria-label={s.composerLabel}
          aria-describedby={showCount ? 'sv-count' : undefined}
          aria-invalid={left < 0 ? 'true' : undefined}
          onInput={(e) => {
            this.setState({ text: (this.text = e.currentTarget.value) });
            session.typing(!!this.text);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              this.submit();
            }
          }}
        />
        <button class="send" type="submit" aria-label={s.send} disabled={!text.trim() || left < 0}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M4 12 20 4l-6 16-2.5-6.5z" />
          </svg>
        </button>
        {showCount && <Form n="Counter" view={view} session={session} left={left} />}
      </form>
    );
  }
}

class Panel extends Component<Props, { justRated?: boolean; tools?: boolean }> {
  scroller = createRef<HTMLDivElement>();
  panel = createRef<HTMLDivElement>();
  /** What, when it changes, should scroll the conversation to its end. */
  shown = '';
  resized = () => this.forceUpdate();
  override componentDidMount() {
    // Focus the first field of the panel when it opens (the composer, or a form).
    this.panel.current?.querySelector<HTMLElement>('#sv-input, .card input, .card button')?.focus({ preventScroll: true });
    short.addEventListener('change', this.resized);
    this.componentDidUpdate();
  }
  override componentWillUnmount() {
    short.removeEventListener('change', this.resized);
  }
  override componentDidUpdate() {
    const { chat } = this.props.view;
    let shown = chat.messages.length + ':' + !!chat.typing + ':' + chat.conversation?.status;
    for (const d of Object.values(chat.drafts)) shown += ':' + d.text.length;
    const el = this.scroller.current;
    if (el && shown !== this.shown) {
      el.scrollTop = el.scrollHeight;
      // An answer taller than the conversation's window (a short window, 200 % zoom): its beginning
      // in view, not its end.
      const last = [...el.querySelectorAll('.messages > .group:not(.mine):last-child .bubble')].pop();
      if (last) {
        const over = last.getBoundingClientRect().top - el.getBoundingClientRect().top - 8;
        if (over < 0) el.scrollTop += over;
      }
    }
    this.shown = shown;
  }
  override render({ view, session }: Props, { justRated, tools }: { justRated?: boolean; tools?: boolean }) {
    return renderPanel(view, session, this, !!justRated, !!tools);
  }
}

function renderPanel(view: View, session: Session, self: Panel, justRated: boolean, tools: boolean) {
  const setJustRated = (v: boolean) => self.setState({ justRated: v });
  const { scroller, panel } = self;
  const s = session.t();
  const config = view.config;
  const title = config ? config.title[view.lang] : '';
  const conv = view.chat.conversation;
  const status = conv?.status;
  const needsPreChat =
    !!config?.preChatForm.enabled && config.preChatForm.fields.length > 0 && !view.profileDone && !view.chat.conversationId;
  const offline = status === 'queued' && !!conv?.queue && (conv.queue.expectedWaitSeconds === null || !!conv.queue.closed);
  const rating = status === 'resolved' && !view.chat.rated;
  const replies = quickReplies(view.chat);
  const canHandoff = status !== 'queued' && status !== 'assigned';
  // Under a bot answer: "did this answer your question?" (a no brings the suggestions, docs/bot-learning.md).
  const last = view.chat.messages[view.chat.messages.length - 1];
  const ask = canHandoff && last?.ask && last.id;
  const team: Author = conv?.assignee ? { type: 'agent', ...conv.assignee } : { type: 'bot' };
  const banner =
    view.chat.connection === 'offline'
      ? s.offline
      : view.chat.connection === 'connecting' && view.chat.conversationId
        ? s.reconnecting
        : null;
  const chips = (replies.length > 0 || canHandoff) && (
    <div class="chips" role="group" aria-label={s.suggestions}>
      {ask && (
        <>
          <p class="system">{s.helped}</p>
          <button type="button" class="chip" onClick={() => session.feedback(ask, true)}>
            {s.yes}
          </button>
          <button type="button" class="chip" onClick={() => session.feedback(ask, false)}>
            {s.no}
          </button>
        </>
      )}
      {canHandoff && (
        <button type="button" class="chip person" onClick={() => session.handoff()}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8a7 7 0 0 1 14 0" />
          </svg>
          {s.talkToPerson}
        </button>
      )}
      {!ask &&
        replies.slice(0, MAX_QUICK_REPLIES).map((r) => (
          <button key={r.id} type="button" class="chip" onClick={() => session.send(r.title)}>
            {r.title}
          </button>
        ))}
    </div>
  );
  return (
    <div
      ref={panel}
      class="panel"
      role="dialog"
      aria-labelledby="sv-title"
      aria-describedby="sv-sub"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          session.setOpen(false, true);
        }
      }}
    >
      <div class="head">
        <Avatar author={team} view={view} />
        <div class="who">
          <h2 id="sv-title">{title}</h2>
          <p id="sv-sub">{subtitle(view, session)}</p>
        </div>
        {view.chat.conversationId && (
          <button class="close" type="button" aria-expanded={tools} aria-label="…" onClick={() => self.setState({ tools: !tools })}>
            …
          </button>
        )}
        <button class="close" type="button" aria-label={s.closeChat} onClick={() => session.setOpen(false, true)}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M6 6l12 12M18 6 6 18" />
          </svg>
        </button>
      </div>
      {banner && (
        <div class="banner" role="status">
          {banner}
        </div>
      )}
      <div class="scroll" ref={scroller} tabIndex={0} aria-label={title}>
        <Messages view={view} session={session} greeting={config ? config.greeting[view.lang] : ''} />
        {short.matches && chips}
        {tools && <Form n="ToolsForm" view={view} session={session} onDone={() => self.setState({ tools: false })} />}
        {offline && <Form n="OfflineForm" view={view} session={session} />}
        {(rating || (justRated && status === 'resolved')) && (
          <Form n="RatingForm" view={view} session={session} onDone={() => setJustRated(true)} />
        )}
      </div>
      {view.notice && (
        <div class="notice" role="alert">
          {view.notice}
        </div>
      )}
      {needsPreChat ? (
        <div class="pre">
          <Form n="PreChatForm" view={view} session={session} />
        </div>
      ) : (
        <div class="foot">
          {!short.matches && chips}
          <Composer view={view} session={session} />
        </div>
      )}
    </div>
  );
}

export class Widget extends Component<{ session: Session }> {
  off?: () => void;
  override componentDidMount() {
    this.off = this.props.session.subscribe(() => this.forceUpdate());
  }
  override componentWillUnmount() {
    this.off?.();
  }
  override render({ session }: { session: Session }) {
    return renderWidget(session.get(), session);
  }
}

function renderWidget(view: View, session: Session) {
  return (
    <>
      {view.open && view.config && view.strings && <Panel view={view} session={session} />}
      {!view.open && view.greeting && <view.greeting.Bubble view={view} session={session} />}
      <div class="sr-only" aria-live="polite">
        {view.announce}
      </div>
    </>
  );
}
