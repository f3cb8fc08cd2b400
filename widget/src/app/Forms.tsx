// The cards that replace or join the composer: pre-chat details, the offline form (nobody can take
// the chat) and the rating prompt after a resolved conversation; and the composer's length counter.
import { Component, h, type VNode } from 'preact';
import type { Session, View } from './session.js';
import css from './forms.css?inline';
import { FORM_STRINGS } from './form-strings.js';
// The link from a reply mail rides in this chunk (no chunk of its own: each costs the app chunk bytes).
export { redeemLink } from './link.js';

let styled = false;
/** Adds this chunk's styles to the shadow root once. */
export function useFormStyles(session: Session) {
  if (!styled) session.addStyles(css);
  styled = true;
}

export interface FormProps {
  view: View;
  session: Session;
  onDone: () => void;
  /** Counter: characters left (negative: too many). */
  left: number;
}

/**
 * A form with state of its own: a class component around a render function, instead of
 * preact/hooks' useState, which would add about 0.8 kB gzip to this chunk.
 */
const stateful = <S,>(render: (p: FormProps, st: Partial<S>, set: (patch: Partial<S>) => void) => VNode | null) =>
  class extends Component<FormProps, Partial<S>> {
    override render(p: FormProps) {
      return render(p, this.state, (patch) => this.setState(patch));
    }
  };

/** The composer's length counter, shown near the limit. */
export function Counter({ view, left }: FormProps) {
  const s = FORM_STRINGS[view.lang];
  return (
    <div id="sv-count" class={'count' + (left < 0 ? ' over' : '')} aria-live="polite">
      {left < 0 ? s.tooLong(-left) : s.charsLeft(left)}
    </div>
  );
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The site's privacy notice line and link (settings.privacy), under a form that asks for personal data. */
function Notice({ view }: { view: View }) {
  const n = view.config?.privacyNotice;
  if (!n) return null;
  const url = n.url && /^https:\/\//.test(n.url) ? n.url : null;
  return (
    <p class="muted privacy">
      {n[view.lang] ?? ''}{' '}
      {url && (
        <a href={url} target="_blank" rel="noopener noreferrer">
          {FORM_STRINGS[view.lang].privacyLink}
        </a>
      )}
    </p>
  );
}

export const PreChatForm = stateful<{ name: string; email: string; error: string }>(({ view, session }, st, set) => {
  const s = { ...session.t(), ...FORM_STRINGS[view.lang] };
  const fields = view.config?.preChatForm.fields ?? [];
  const { name = '', email = '', error = '' } = st;
  const setName = (name: string) => set({ name });
  const setEmail = (email: string) => set({ email });
  const setError = (error: string) => set({ error });
  const submit = (e: Event) => {
    e.preventDefault();
    if (fields.includes('email') && !EMAIL.test(email.trim())) return setError(s.invalidEmail);
    const n = name.trim();
    const m = email.trim();
    session.cmd({ type: 'visitor.profile', ...(n ? { name: n } : {}), ...(m ? { email: m } : {}) });
    session.local.set(session.key('profile'), '1');
    session.set({ profileDone: true });
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="sv-pre">
      <h3 id="sv-pre">{s.preChatTitle}</h3>
      <p>{s.preChatLead}</p>
      {fields.includes('name') && (
        <label>
          {s.name} <span class="muted">{s.optional}</span>
          <input autoComplete="name" maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
      )}
      {fields.includes('email') && (
        <label>
          {s.email}
          <input
            type="email"
            autoComplete="email"
            maxLength={254}
            required
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'sv-pre-err' : undefined}
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
      )}
      {error && (
        <p id="sv-pre-err" class="error" role="alert">
          {error}
        </p>
      )}
      <Notice view={view} />
      <button class="primary" type="submit">
        {s.start}
      </button>
    </form>
  );
});

export const OfflineForm = stateful<{ email: string; message: string; error: string }>(({ view, session }, st, set) => {
  const s = { ...session.t(), ...FORM_STRINGS[view.lang] };
  // The server says whether it can answer by email (a mail server configured); otherwise the answer
  // waits in this chat, and the form says so.
  const byEmail = view.config?.offlineReply === 'email';
  const { email = '', message = '', error = '' } = st;
  const setEmail = (email: string) => set({ email });
  const setMessage = (message: string) => set({ message });
  const setError = (error: string) => set({ error });
  if (view.offlineSent)
    return (
      <p class="card thanks" role="status">
        {byEmail ? s.offlineThanks : s.offlineThanksChat}
      </p>
    );
  const submit = (e: Event) => {
    e.preventDefault();
    if (!EMAIL.test(email.trim())) return setError(s.invalidEmail);
    if (!message.trim()) return setError(s.required);
    setError('');
    if (!session.cmd({ type: 'offline.submit', email: email.trim(), message: message.trim() }, () => session.set({ offlineSent: true })))
      setError(s.outboxFull);
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="sv-off">
      <h3 id="sv-off">{s.offlineTitle}</h3>
      <p>{byEmail ? s.offlineLead : s.offlineLeadChat}</p>
      <label>
        {s.email}
        <input type="email" autoComplete="email" maxLength={254} required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>
        {s.message}
        <textarea rows={3} maxLength={view.chat.maxChars} required value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Notice view={view} />
      <button class="primary" type="submit">
        {s.submit}
      </button>
    </form>
  );
});

function Scale({
  label,
  min,
  max,
  value,
  onPick,
  low,
  high,
  names,
}: {
  label: string;
  min: number;
  max: number;
  value: number | undefined;
  onPick: (n: number) => void;
  low?: string;
  high?: string;
  names?: string[];
}) {
  const items: number[] = [];
  for (let i = min; i <= max; i++) items.push(i);
  return (
    <fieldset class="scale">
      <legend>{label}</legend>
      <div class={'options n' + items.length}>
        {items.map((n) => (
          <button
            key={n}
            type="button"
            aria-pressed={value === n}
            aria-label={names?.[n - min] ?? String(n)}
            title={names?.[n - min]}
            onClick={() => onPick(n)}
          >
            {n}
          </button>
        ))}
      </div>
      {low && (
        <div class="ends" aria-hidden="true">
          <span>{low}</span>
          <span>{high}</span>
        </div>
      )}
    </fieldset>
  );
}

export const RatingForm = stateful<{ csat: number; nps: number; ces: number; comment: string }>(({ view, session, onDone }, st, set) => {
  const s = { ...session.t(), ...FORM_STRINGS[view.lang] };
  const ratings = view.config?.ratings ?? { nps: false, ces: false };
  const { csat, nps, ces, comment = '' } = st;
  const setCsat = (csat: number) => set({ csat });
  const setNps = (nps: number) => set({ nps });
  const setCes = (ces: number) => set({ ces });
  const setComment = (comment: string) => set({ comment });
  if (view.chat.rated)
    return (
      <p class="card thanks" role="status">
        {s.rateThanks}
      </p>
    );
  const submit = (e: Event) => {
    e.preventDefault();
    if (csat === undefined) return;
    const conversationId = view.chat.conversationId;
    if (conversationId) {
      session.cmd({
        type: 'conversation.rate',
        conversationId,
        csat,
        ...(nps !== undefined ? { nps } : {}),
        ...(ces !== undefined ? { ces } : {}),
        ...(comment.trim() ? { comment: comment.trim().slice(0, 1000) } : {}),
      });
      session.dispatch({ type: 'local.rated' });
    }
    onDone();
  };
  return (
    <form class="card rating" onSubmit={submit} aria-labelledby="sv-rate">
      <h3 id="sv-rate">{s.rateTitle}</h3>
      <Scale
        label={s.csat}
        min={1}
        max={5}
        value={csat}
        onPick={setCsat}
        names={s.csatLabels}
        low={s.csatLabels[0]}
        high={s.csatLabels[4]}
      />
      {ratings.nps && <Scale label={s.nps} min={0} max={10} value={nps} onPick={setNps} low={s.npsLow} high={s.npsHigh} />}
      {ratings.ces && <Scale label={s.ces} min={1} max={7} value={ces} onPick={setCes} low={s.cesLow} high={s.cesHigh} />}
      <label>
        {s.comment} <span class="muted">{s.optional}</span>
        <textarea rows={2} maxLength={1000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </label>
      <div class="row">
        <button class="primary" type="submit" disabled={csat === undefined}>
          {s.submit}
        </button>
        <button class="link" type="button" onClick={() => session.dispatch({ type: 'local.rated' })}>
          {s.skip}
        </button>
      </div>
    </form>
  );
});

/**
 * The conversation's options: email me this conversation; delete my conversation (GDPR Art. 17, by
 * the visitor's token); delete everything about me, confirmed by email.
 */
export const ToolsForm = stateful<{ email: string; state: string }>(({ view, session, onDone }, st, set) => {
  const s = { ...session.t(), ...FORM_STRINGS[view.lang] };
  const { email = '', state = '' } = st;
  const setEmail = (email: string) => set({ email });
  const setState = (state: string) => set({ state });
  const conversationId = view.chat.conversationId;
  if (!conversationId) return null;
  const mail = (e: Event) => {
    e.preventDefault();
    if (email.trim() && !EMAIL.test(email.trim())) return setState(s.invalidEmail);
    // Acked: sent. A refusal (no address known) is logged by the session; the field asks for one.
    session.cmd({ type: 'conversation.transcript', conversationId, ...(email.trim() ? { email: email.trim() } : {}) }, () =>
      setState(s.mailSent),
    );
  };
  /** A request of the visitor's own, authorised by their token. */
  const call = (path: string, method: string, body?: unknown) => {
    const o = session.auth();
    return fetch(`${o.base}api/visitor/${path}`, {
      method,
      // No content-type: the server reads the body as JSON whatever it says (bytes in this chunk).
      headers: { authorization: `Bearer ${o.token ?? ''}`, 'x-servus-site': o.site },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }).catch(() => null);
  };
  const erase = async () => {
    const res = await call(`conversations/${conversationId}`, 'DELETE');
    if (!res?.ok) return setState(s.eraseFailed);
    // Erased on the server: the widget forgets the conversation and its token here too.
    session.command(['shutdown']);
    onDone();
  };
  // Everything about them, confirmed from their mailbox: the server mails a link (privacy/erasure.ts).
  const eraseAll = async () => {
    const m = email.trim();
    const res = await call('erasure', 'POST', { ...(m ? { email: m } : {}), lang: view.lang });
    // Sent: the link to confirm is in their inbox. 400 a wrong address, 409 none known (they must give one).
    setState(res?.ok ? s.mailSent : res && res.status < 429 ? s.invalidEmail : s.eraseFailed);
  };
  return (
    <div class="card tools" aria-label={s.tools}>
      <form onSubmit={mail} noValidate>
        <h3>{s.mailTitle}</h3>
        <label>
          {s.email} {s.optional}
          <input type="email" autoComplete="email" maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit">
          {s.mailSend}
        </button>
      </form>
      <h3>{s.eraseTitle}</h3>
      <p>{s.eraseLead}</p>
      <button type="button" class="danger" onClick={() => void erase()}>
        {s.eraseConfirm}
      </button>
      {view.config?.offlineReply === 'email' && (
        <button type="button" onClick={() => void eraseAll()}>
          {s.eraseAllSend}
        </button>
      )}
      {state && <p role="status">{state}</p>}
    </div>
  );
});
