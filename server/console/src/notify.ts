// Attention for new queued chats and new messages: a short WebAudio beep (no sound file), a
// browser notification while the tab is hidden, and the count in the tab title.
export interface Prefs {
  sound: boolean;
  notifications: boolean;
}

const PREFS_KEY = 'servus.prefs';

export function loadPrefs(): Prefs {
  try {
    const raw = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>;
    return { sound: raw.sound !== false, notifications: raw.notifications !== false };
  } catch {
    return { sound: true, notifications: true };
  }
}

export function savePrefs(prefs: Prefs): void {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    /* not persisted; still applies for this tab */
  }
}

let audio: AudioContext | null = null;

export function warmUpAudio(): void {
  try {
    audio ??= new AudioContext();
  } catch {
    /* no audio */
  }
}

/** Two short sine tones; the context is created lazily (browsers allow it after a user gesture). */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
    const t = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, t + i * 0.12 + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.11);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.12);
      osc.stop(t + i * 0.12 + 0.12);
    }
  } catch {
    /* no audio device: the title and notification still tell */
  }
}

/** Shows a notification while the tab is hidden; the text is the visitor's as plain text (never HTML). */
export function notify(title: string, body: string, onClick: () => void): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible') return;
  try {
    const n = new Notification(title, { body: body.slice(0, 160), tag: 'servus', silent: true });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

export function setTitleCount(count: number, base = 'Servus'): void {
  const title = count > 0 ? `(${count}) ${base}` : base;
  if (document.title !== title) document.title = title;
}
