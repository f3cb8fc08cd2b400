// Attachments, a chunk of its own (fetched when the panel opens on a site that takes files): the
// paperclip and the phone's camera or photo library through the file input, drag and drop and
// paste on the panel, uploads with a progress bar, cancel and retry (the same cid: a retried upload
// is stored once), and a sent file shown as a thumbnail (images) or a chip (anything else). Files
// are fetched with the visitor's token, never by a URL that carries it.
import type { AttachmentInfo, AttachmentUploadResponse } from '@servus/shared';
import { Component, h } from 'preact';
import { newCid } from '@servus/shared';
import { storageKey } from '../options.js';
import type { Msg } from '../state.js';
import { safeStorage } from '../storage.js';
import type { Session, View } from './session.js';
import css from './attach.css?inline';

const STRINGS = {
  de: {
    attach: 'Datei anhängen',
    cancel: 'Abbrechen',
    retry: 'Erneut versuchen',
    failed: 'Nicht gesendet',
    tooLarge: (mb: string) => `Zu groß (höchstens ${mb.replace('.', ',')} MB)`,
    type: 'Dieser Dateityp wird nicht angenommen',
    limit: 'Keine weiteren Dateien in diesem Gespräch',
    rate: 'Zu viele Dateien auf einmal, bitte kurz warten',
    download: 'Herunterladen',
    open: 'Bild vergrößern',
  },
  en: {
    attach: 'Attach a file',
    cancel: 'Cancel',
    retry: 'Try again',
    failed: 'Not sent',
    tooLarge: (mb: string) => `Too large (at most ${mb} MB)`,
    type: 'This type of file is not accepted',
    limit: 'No more files in this conversation',
    rate: 'Too many files at once, please wait a moment',
    download: 'Download',
    open: 'Enlarge picture',
  },
};
type Strings = (typeof STRINGS)['de'];

interface Upload {
  cid: string;
  file: File;
  progress: number;
  error?: string;
  xhr?: XMLHttpRequest;
  tries: number;
}

/** Network failures retried by themselves (with the same cid) before the visitor is asked. */
const AUTO_RETRIES = 4;

let styled = false;
const uploads: Upload[] = [];
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

/** Megabytes with at most one decimal (a site's limit may be 2.5 MB). */
const mb = (bytes: number) => String(Math.round(bytes / 104857.6) / 10);

/** The server's base URL: this chunk lives at BASE/widget/Attach-….js. */
const base = new URL(/* @vite-ignore */ '../', import.meta.url).href;
const local = safeStorage(() => localStorage);

/** The visitor's token as the socket stored it (the panel is open, so the socket is connecting). */
function auth(session: Session) {
  const site = session.get().config?.key ?? '';
  const token = local.get(storageKey(site, 'token'));
  return token ? { authorization: `Bearer ${token}`, 'x-servus-site': site } : null;
}

/** Queues files for upload (button, drop, paste). */
export function attach(session: Session, files: Iterable<File>) {
  const view = session.get();
  const limits = view.config?.attachments;
  if (!limits) return;
  for (const file of files) {
    const u: Upload = { cid: newCid('f'), file, progress: 0, tries: 0 };
    uploads.push(u);
    if (file.size > limits.maxBytes) u.error = strings(view).tooLarge(mb(limits.maxBytes));
    else send(session, u);
  }
  changed();
}

const strings = (view: View): Strings => STRINGS[view.lang];

function send(session: Session, u: Upload) {
  const headers = auth(session);
  if (!headers) {
    // No token yet (the socket is still saying hello): try again once it has one.
    const off = session.subscribe(() => {
      if (auth(session)) {
        off();
        send(session, u);
      }
    });
    return;
  }
  const view = session.get();
  const q = new URLSearchParams({ cid: u.cid, name: u.file.name || 'paste.png', lang: view.lang });
  if (view.chat.conversationId) q.set('conversationId', view.chat.conversationId);
  const xhr = new XMLHttpRequest();
  u.xhr = xhr;
  u.error = undefined;
  xhr.open('POST', `${base}api/visitor/attachments?${q}`);
  for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
  xhr.upload.onprogress = (e) => {
    u.progress = e.lengthComputable ? e.loaded / e.total : 0;
    changed();
  };
  xhr.onload = () => {
    u.xhr = undefined;
    if (xhr.status < 300) {
      uploads.splice(uploads.indexOf(u), 1);
      return changed();
    }
    let code = '';
    try {
      code = (JSON.parse(xhr.responseText) as { error: { code: string } }).error.code;
    } catch {
      // not JSON: a proxy's page
    }
    const s = strings(session.get());
    u.error =
      code === 'TOO_LARGE'
        ? s.tooLarge(mb(session.get().config?.attachments?.maxBytes ?? 0))
        : code === 'UNSUPPORTED_TYPE'
          ? s.type
          : code === 'LIMIT_REACHED'
            ? s.limit
            : code === 'RATE_LIMITED'
              ? s.rate
              : s.failed;
    changed();
  };
  // A dropped connection: the same upload again, with the same cid, a little later.
  xhr.onerror = () => {
    u.xhr = undefined;
    if (u.tries++ < AUTO_RETRIES) setTimeout(() => send(session, u), 500 * 2 ** u.tries);
    else u.error = strings(session.get()).failed;
    changed();
  };
  xhr.send(u.file);
  changed();
}

function cancel(u: Upload) {
  u.xhr?.abort();
  uploads.splice(uploads.indexOf(u), 1);
  changed();
}

const fileList = (d: DataTransfer | null) => [...(d?.files ?? [])];

/** The paperclip, the hidden file input and the uploads in flight; also wires drop and paste on the panel. */
export class Picker extends Component<{ view: View; session: Session }> {
  input: HTMLInputElement | null = null;
  off?: () => void;
  panel?: Element | null;
  onDrop = (e: Event) => {
    const d = (e as DragEvent).dataTransfer;
    if (!d?.types.includes('Files')) return;
    e.preventDefault();
    if (e.type === 'drop') attach(this.props.session, fileList(d));
  };
  onPaste = (e: Event) => {
    const files = fileList((e as ClipboardEvent).clipboardData);
    if (!files.length) return;
    e.preventDefault();
    attach(this.props.session, files);
  };
  override componentDidMount() {
    if (!styled) this.props.session.addStyles(css);
    styled = true;
    const update = () => this.forceUpdate();
    listeners.add(update);
    this.off = () => listeners.delete(update);
    this.panel = this.input?.closest('.panel');
    for (const type of ['dragover', 'drop']) this.panel?.addEventListener(type, this.onDrop);
    this.panel?.addEventListener('paste', this.onPaste);
  }
  override componentWillUnmount() {
    this.off?.();
    for (const type of ['dragover', 'drop']) this.panel?.removeEventListener(type, this.onDrop);
    this.panel?.removeEventListener('paste', this.onPaste);
  }
  override render({ view, session }: { view: View; session: Session }) {
    const s = strings(view);
    const types = view.config?.attachments?.types ?? [];
    return (
      <div class="attach">
        <button type="button" class="clip" aria-label={s.attach} title={s.attach} onClick={() => this.input?.click()}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l7.4-7.4a4 4 0 0 0-5.7-5.7L5.7 11.5a6 6 0 0 0 8.5 8.5l6.3-6.3" />
          </svg>
        </button>
        <input
          ref={(el) => {
            this.input = el;
          }}
          type="file"
          multiple
          hidden
          // image/* lets a phone offer its camera and photo library; the server decides by the bytes.
          accept={[...types, ...(types.some((t) => t.startsWith('image/')) ? ['image/*'] : [])].join(',')}
          onChange={(e) => {
            attach(session, [...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = '';
          }}
        />
        {uploads.length > 0 && (
          <ul class="uploads">
            {uploads.map((u) => (
              <li key={u.cid} class={u.error ? 'up failed' : 'up'}>
                <span class="up-name">{u.file.name || 'paste.png'}</span>
                {u.error ? <span role="alert">{u.error}</span> : <progress max={1} value={u.progress} aria-label={u.file.name} />}
                {u.error && u.error === s.failed && (
                  <button type="button" class="link" onClick={() => ((u.tries = 0), send(session, u))}>
                    {s.retry}
                  </button>
                )}
                <button type="button" class="link" onClick={() => cancel(u)}>
                  {s.cancel}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
}

/** Fetches a file with the visitor's token; an object URL for it (kept while the panel lives). */
const blobs = new Map<string, Promise<string>>();
function blobUrl(session: Session, id: string): Promise<string> {
  let url = blobs.get(id);
  if (!url) {
    url = fetch(`${base}api/visitor/attachments/${encodeURIComponent(id)}`, { headers: auth(session) ?? {} }).then(async (res) => {
      if (!res.ok) throw new Error(String(res.status));
      return URL.createObjectURL(await res.blob());
    });
    url.catch(() => blobs.delete(id));
    blobs.set(id, url);
  }
  return url;
}

/** A sent file in the conversation: the picture (click: full size in a new tab) or a chip to download. */
export class File_ extends Component<{ m: Msg; session: Session }, { url?: string }> {
  override componentDidMount() {
    if (!styled) this.props.session.addStyles(css);
    styled = true;
    const a = this.props.m.attachment!;
    if (a.inline)
      void blobUrl(this.props.session, a.id).then(
        (url) => this.setState({ url }),
        () => {},
      );
  }
  download = (a: AttachmentInfo) =>
    void blobUrl(this.props.session, a.id).then((url) => {
      const link = document.createElement('a');
      link.href = url;
      link.download = a.name;
      link.click();
    });
  override render({ m, session }: { m: Msg; session: Session }, { url }: { url?: string }) {
    const a = m.attachment!;
    const s = strings(session.get());
    if (a.inline) {
      const w = Math.min(a.width ?? 200, 200);
      return (
        <a class="thumb" href={url} target="_blank" rel="noopener noreferrer" title={s.open}>
          <img src={url} alt={a.name} width={w} height={a.width && a.height ? Math.round((a.height * w) / a.width) : undefined} />
        </a>
      );
    }
    return (
      <button type="button" class="file" onClick={() => this.download(a)} title={s.download}>
        <span class="file-name">{a.name}</span>
        <span class="file-size">{mb(a.size)} MB</span>
      </button>
    );
  }
}

export type { AttachmentUploadResponse };
