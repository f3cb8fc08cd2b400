// German strings.
import type { Strings } from './strings-en.js';

const de: Strings = {
  openChat: 'Chat öffnen',
  closeChat: 'Chat schließen',
  unread: (n) => `${n} ungelesene ${n === 1 ? 'Nachricht' : 'Nachrichten'}`,
  botSubtitle: 'Unser Assistent antwortet sofort',
  waiting: (pos, min) =>
    min === null ? `Wartend: Sie sind Nummer ${pos}` : `Wartend: Sie sind Nummer ${pos}, etwa ${min} ${min === 1 ? 'Minute' : 'Minuten'}`,
  closedUntil: (when) => `Wir sind ${when} wieder da`,
  closed: 'Wir haben gerade geschlossen',
  withAgent: (name) => `Sie schreiben mit ${name}`,
  resolved: 'Dieses Gespräch ist abgeschlossen',
  talkToPerson: 'Mit einem Menschen sprechen',
  placeholder: 'Nachricht schreiben…',
  send: 'Senden',
  attach: 'Datei anhängen',
  composerLabel: 'Ihre Nachricht',
  sending: 'Wird gesendet…',
  sent: 'Gesendet',
  read: 'Gelesen',
  failed: 'Nicht gesendet.',
  retry: 'Erneut senden',
  outboxFull: 'Zu viele Nachrichten warten. Bitte warten Sie, bis Sie wieder online sind.',
  offline: 'Offline. Wir senden, sobald die Verbindung zurück ist.',
  reconnecting: 'Verbinde…',
  typing: (name) => `${name} schreibt…`,
  you: 'Sie',
  team: 'Team',
  today: 'Heute',
  yesterday: 'Gestern',
  newMessage: (name, text) => `Neue Nachricht von ${name}: ${text}`,
  suggestions: 'Vorgeschlagene Fragen',
  helped: 'Hat das Ihre Frage beantwortet?',
  yes: 'Ja',
  no: 'Nein',
};

export default de;
