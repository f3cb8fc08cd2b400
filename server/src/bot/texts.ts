// What the bot says, in German and English.
import type { Lang } from './text.js';

export const botTexts = {
  de: {
    greeting:
      'Servus! Ich bin der Assistent hier. Stellen Sie mir gerne Ihre Frage – oder schreiben Sie „Mitarbeiter“, wenn Sie lieber mit einem Menschen sprechen.',
    thanks: 'Gern geschehen! Kann ich sonst noch helfen?',
    goodbye: 'Auf Wiedersehen und einen schönen Tag!',
    unsure: 'Da bin ich mir nicht sicher. Meinten Sie vielleicht eines davon? Sie können auch mit einem Menschen sprechen.',
    unsureNoSuggestions: 'Das weiß ich leider nicht. Möchten Sie mit einem Menschen sprechen?',
    handoff: 'Ich verbinde Sie mit unserem Team.',
    handoffAfterMisses: 'Ich konnte Ihnen leider nicht weiterhelfen – ich verbinde Sie mit unserem Team.',
    frustrated: 'Das tut mir leid. Soll ich Sie mit einem Menschen aus unserem Team verbinden?',
    offerPerson: 'Falls das nicht weiterhilft, verbinde ich Sie gerne mit einem Menschen aus unserem Team.',
    helpful: 'Schön, dass ich helfen konnte! Kann ich sonst noch etwas für Sie tun?',
    notHelpful: 'Das tut mir leid. Vielleicht hilft eines davon weiter – oder Sie sprechen mit einem Menschen aus unserem Team.',
    notHelpfulNoSuggestions: 'Das tut mir leid. Möchten Sie mit einem Menschen aus unserem Team sprechen?',
  },
  en: {
    greeting: 'Hi! I am the assistant here. Ask me your question – or write “agent” if you would rather talk to a person.',
    thanks: 'You are welcome! Anything else I can help with?',
    goodbye: 'Goodbye, and have a nice day!',
    unsure: 'I am not sure about that. Did you mean one of these? You can also talk to a person.',
    unsureNoSuggestions: 'I don’t know that, sorry. Would you like to talk to a person?',
    handoff: 'I am connecting you with our team.',
    handoffAfterMisses: 'Sorry I couldn’t help – I am connecting you with our team.',
    frustrated: 'I am sorry about that. Shall I connect you with a person from our team?',
    offerPerson: 'If this does not help, I can connect you with a person from our team.',
    helpful: 'Glad I could help! Anything else I can do for you?',
    notHelpful: 'Sorry about that. Maybe one of these helps – or talk to a person from our team.',
    notHelpfulNoSuggestions: 'Sorry about that. Would you like to talk to a person from our team?',
  },
} as const satisfies Record<Lang, Record<string, string>>;
