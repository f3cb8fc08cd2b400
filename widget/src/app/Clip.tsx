// The paperclip, drawn with the app chunk. Everything else about files (uploads, progress, sent
// files) is the attachments chunk (Attach.tsx), fetched on the visitor's first intent: the
// paperclip pressed, focused or clicked, a file dragged over the panel, dropped or pasted. The
// files of that first drop, paste or pick wait for the chunk, so the first try sends them too.
import { Component, Fragment, createRef, h } from 'preact';
import { Attached } from './Messages.js';
import type { Session, View } from './session.js';

interface Props {
  view: View;
  session: Session;
}

/** The chunk was asked for on this page: from then on the composer shows the uploads in flight. */
let wanted = false;
export class Clip extends Component<Props> {
  input = createRef<HTMLInputElement>();
  /** Fetches the attachments chunk (once); from then on the uploads show. */
  load = () => {
    if (!wanted) {
      wanted = true;
      this.forceUpdate();
    }
    return Attached.load(this.props);
  };
  /** Hands `files` to the chunk when it is here. */
  take = (files: File[]) => void this.load().then((m) => m.attach(this.props.session, files));
  /** Drag over, drop and paste on the panel (a drop's or paste's files can be read only during the event). */
  onFiles = (e: Event) => {
    const d = (e as DragEvent).dataTransfer ?? (e as ClipboardEvent).clipboardData;
    if (!d?.types.includes('Files')) return;
    e.preventDefault();
    // A file dragged over: the chunk starts loading (a browser shows the files only on the drop).
    void (e.type === 'dragover' ? this.load() : this.take([...d.files]));
  };
  override componentDidMount() {
    // Handlers as properties: a remount replaces them instead of adding a second set.
    const panel = this.input.current!.closest<HTMLElement>('.panel')!;
    panel.ondragover = panel.ondrop = panel.onpaste = this.onFiles;
  }
  override render({ view, session }: Props) {
    const s = session.t();
    const types = String(view.config!.attachments!.types);
    return (
      <>
        <button
          type="button"
          class="clip"
          // Its name and tooltip.
          title={s.attach}
          onPointerDown={this.load}
          onFocus={this.load}
          // (A picked file fetches the chunk too, should a click come with neither.)
          onClick={() => this.input.current?.click()}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M16 7l-8 8a2 2 0 0 0 3 3l7-7a4 4 0 0 0-6-6l-7 7a6 6 0 0 0 9 9l6-6" />
          </svg>
        </button>
        <input
          ref={this.input}
          type="file"
          multiple
          hidden
          // image/* lets a phone offer its camera and photo library; the server decides by the bytes.
          accept={types + (/image\//.test(types) ? ',image/*' : '')}
          onChange={(e) => {
            this.take([...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = '';
          }}
        />
        {wanted && <Attached n="Uploads" view={view} session={session} />}
      </>
    );
  }
}
