// What a message is besides a question: greetings, thanks, goodbyes, a request for a person,
// or frustration. Patterns in German and English, matched on folded text.
import { fold } from './text.js';

export type Intent = 'greeting' | 'thanks' | 'goodbye' | 'human' | null;

const HUMAN = [
  /\b(talk|speak|chat|connect)\w*\b.{0,30}\b(human|person|agent|someone|somebody|real|representative|staff|operator|support|employee|people|manager|supervisor)\b/,
  /\b(transfer|put|pass|forward|escalate)\w* (me|this|it)\b.{0,20}\b(human|person|agent|someone|somebody|manager|supervisor|representative|operator|staff|support)\b/,
  /\b(human|real person|live (agent|person|chat)|customer (service|support)|representative|operator)\b.{0,20}\b(please|pls|now)?\b/,
  /^(agent|human|person|operator|representative|support)( please| pls)?[.!?]*$/,
  /\b(i want|i need|i'd like|can i (get|have)|give me|get me)\b.{0,20}\b(a |an )?(human|person|agent|real person|someone real)\b/,
  /\b(mitarbeiter\w*|menschen?|mensch|person|berater\w*|kundendienst|kundenservice|support|ansprechpartner\w*|jemand\w*|echte[nrm]? (person|mensch\w*))\b.{0,30}\b(sprechen|reden|verbinden|chatten|schreiben|bitte|haben|erreichen)\b/,
  /\b(sprechen|reden|verbinden|chatten)\b.{0,30}\b(mitarbeiter\w*|mensch\w*|person|berater\w*|kundendienst|kundenservice|support|jemand\w*|echte\w*)\b/,
  /\b(mochte|mochten|will|wollen|hatte gerne?|hatten gerne?|brauche|brauchen|bitte)\b.{0,12}\b(einen|eine|den|die)? ?(menschen|mitarbeiter\w*|berater\w*|ansprechpartner\w*|kundendienst|kundenservice|person)\b[\s!.?]*$/,
  /\bnicht mit (einem |einer |dem )?(bot|roboter|computer|maschine)\b/,
  /^(mitarbeiter\w*|mensch|berater\w*|kundendienst|kundenservice|support)( bitte)?[.!?]*$/,
  /\b(echte[nrm]? mensch\w*|echte person|kein(en)? (bot|roboter|computer))\b/,
  /\b(not|no) (a )?(bot|robot|machine)\b/,
];
const GREETING =
  /^(hi+|hey+|hello+|hallo+|servus|gruss gott|grus gott|moin|guten (morgen|tag|abend)|good (morning|afternoon|evening)|hej|hoi|griass di|gruezi)\b[\s!.,]*(there|zusammen|team|bot)?[\s!.,]*$/;
const THANKS =
  /^(thanks?( you)?( so much| a lot| very much)?|thx|ty|cheers|danke( schon| sehr| vielmals)?|vielen dank|merci|super,? danke)[\s!.,]*(that helped|das hat geholfen|you too)?[\s!.,]*$/;
const GOODBYE =
  /^(bye+|goodbye|see you|ciao|tschuss|tschau|auf wiedersehen|bis bald|baba|pfiat di|schonen tag( noch)?|have a nice day)[\s!.,]*$/;

// A person the visitor talks about, not one they ask for: "this person", "the person who sent it",
// "diese Person", "die Person, die ...". Asking to talk to them still is a request ("speak to the
// person in charge", "mit der Person sprechen").
const TALK_TO = /\b(talk|speak|chat)\w* (to|with) (the|a|an) (person|human)\b|\bmit (der|einer) person (sprechen|reden|chatten)\b/;
const DETERMINER =
  'this|that|the|these|those|my|his|her|their|your|our|another|other|which|what|each|every|same|any|some|dies(e|er|en|em|es)?|der|die|den|dem|jene[nmrs]?|meine[nmrs]?|seine[nmrs]?|ihre[nmrs]?|welche[nmrs]?|jede[nmrs]?|andere[nmrs]?|betroffene[nmrs]?|einer';
const PERSON_MENTIONED = new RegExp(
  `\\b(${DETERMINER}) (person|personen|people|human|mensch|menschen)\\b|\\b(person|people)( who| that| whom| whose|, die|, der| die| der)\\b`,
  'g',
);

export function classify(text: string): Intent {
  const folded = fold(text).replace(/\s+/g, ' ').trim();
  if (TALK_TO.test(folded)) return 'human';
  const t = folded.replace(PERSON_MENTIONED, ' them ');
  if (HUMAN.some((re) => re.test(t))) return 'human';
  if (t.length <= 40) {
    if (GREETING.test(t)) return 'greeting';
    if (THANKS.test(t)) return 'thanks';
    if (GOODBYE.test(t)) return 'goodbye';
  }
  return null;
}

// Feedback on the bot's help: frustration whenever it is said.
const FEEDBACK = [
  /\b(hilft|geholfen|hilfreich|bringt)\b.{0,25}\b(nicht|nichts|kein\w*)\b/,
  /\b(not|isn'?t|wasn'?t|no) (help|helping|helpful|useful)\b/,
  /\b(doesn'?t|does not|didn'?t|did not|not|no|nicht|kein\w*) (help|helpful|answer|hilft|geholfen|hilfreich)\w*/,
  /\b(that'?s not what i (asked|meant)|das (habe|hab) ich nicht gefragt|you (don'?t|do not) understand|du verstehst (mich )?nicht|sie verstehen (mich )?nicht)\b/,
];
// "It doesn't work" is a visitor's problem in a question ("my card doesn't work"), and a reaction to
// the bot only as a short reply right after one of its turns ("still not working").
const BROKEN = [
  /\b(doesn'?t|does not|didn'?t|did not|not|isn'?t|still not) (work|working)\b/,
  /\b(funktioniert|klappt|geht)\b.{0,15}\b(nicht|immer noch nicht)\b/,
];
const SHORT_REPLY_WORDS = 5;
// Tone: insults and swearing.
const TONE = [
  /\b(useless|stupid|dumb|terrible|worst|nonsense|rubbish|annoying|ridiculous|unbelievable|sinnlos|nutzlos|blod|bloed|dumm|unsinn|quatsch|schrecklich|katastrophe|unverschamt|nervig|frechheit)\b/,
  /\b(wtf|damn|shit|fuck\w*|crap|scheiss\w*|scheis\w*|mist|verdammt\w*|kacke)\b/,
];

/**
 * Which sign of frustration a message shows, if any: `repeat` (the same message again), `feedback`
 * (the bot's help did not help), or `tone` (swearing, insults, SHOUTING, "???"). A message with a
 * tone may still be a question the FAQ answers; the other two are about the bot's last turn.
 */
export type FrustrationSign = 'repeat' | 'feedback' | 'tone';

export function frustrationSign(text: string, recent: string[]): FrustrationSign | null {
  const t = fold(text).replace(/\s+/g, ' ').trim();
  const key = t.replace(/\W+/g, ' ').trim();
  if (t.length > 3 && recent.some((r) => fold(r).replace(/\W+/g, ' ').trim() === key)) return 'repeat';
  if (FEEDBACK.some((re) => re.test(t))) return 'feedback';
  if (recent.length > 0 && key.split(' ').length <= SHORT_REPLY_WORDS && BROKEN.some((re) => re.test(t))) return 'feedback';
  if (TONE.some((re) => re.test(t))) return 'tone';
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 8 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return 'tone';
  if (/[!?]{3,}/.test(text)) return 'tone';
  return null;
}

/** Signs of frustration: negative feedback, swearing, SHOUTING, or the same question again. */
export function frustration(text: string, recent: string[]): boolean {
  return frustrationSign(text, recent) !== null;
}
