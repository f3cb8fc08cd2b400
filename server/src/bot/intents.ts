// What a message is besides a question: greetings, thanks, goodbyes, a request for a person,
// or frustration. Patterns in German and English, matched on folded text.
import { fold } from './text.js';

export type Intent = 'greeting' | 'thanks' | 'goodbye' | 'human' | null;

const HUMAN = [
  /\b(talk|speak|chat|connect)\w*\b.{0,30}\b(human|person|agent|someone|somebody|real|representative|staff|operator|support|employee|people)\b/,
  /\b(human|real person|live (agent|person|chat)|customer (service|support)|representative|operator)\b.{0,20}\b(please|pls|now)?\b/,
  /^(agent|human|person|operator|representative|support)( please| pls)?[.!?]*$/,
  /\b(i want|i need|i'd like|can i (get|have)|give me|get me)\b.{0,20}\b(a |an )?(human|person|agent|real person|someone real)\b/,
  /\b(mitarbeiter\w*|menschen?|mensch|person|berater\w*|kundendienst|kundenservice|support|ansprechpartner\w*|jemand\w*|echte[nrm]? (person|mensch\w*))\b.{0,30}\b(sprechen|reden|verbinden|chatten|schreiben|bitte|haben|erreichen)\b/,
  /\b(sprechen|reden|verbinden|chatten)\b.{0,30}\b(mitarbeiter\w*|mensch\w*|person|berater\w*|kundendienst|jemand\w*|echte\w*)\b/,
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

export function classify(text: string): Intent {
  const t = fold(text).replace(/\s+/g, ' ').trim();
  if (HUMAN.some((re) => re.test(t))) return 'human';
  if (t.length <= 40) {
    if (GREETING.test(t)) return 'greeting';
    if (THANKS.test(t)) return 'thanks';
    if (GOODBYE.test(t)) return 'goodbye';
  }
  return null;
}

const NEGATIVE = [
  /\b(hilft|geholfen|hilfreich|funktioniert|bringt)\b.{0,25}\b(nicht|nichts|kein\w*)\b/,
  /\b(not|isn'?t|wasn'?t|no) (help|helping|helpful|working|useful)\b/,
  /\b(doesn'?t|does not|didn'?t|did not|not|no|nicht|kein\w*) (help|helpful|work|answer|hilft|geholfen|hilfreich|funktioniert)\w*/,
  /\b(useless|stupid|dumb|terrible|worst|nonsense|rubbish|annoying|ridiculous|unbelievable|sinnlos|nutzlos|blod|bloed|dumm|unsinn|quatsch|schrecklich|katastrophe|unverschamt|nervig|frechheit)\b/,
  /\b(wtf|damn|shit|fuck\w*|crap|scheiss\w*|scheis\w*|mist|verdammt\w*|kacke)\b/,
  /\b(that'?s not what i (asked|meant)|das (habe|hab) ich nicht gefragt|you (don'?t|do not) understand|du verstehst (mich )?nicht|sie verstehen (mich )?nicht)\b/,
];

/** Signs of frustration: negative phrases, swearing, SHOUTING, or the same question again. */
export function frustration(text: string, recent: string[]): boolean {
  const t = fold(text).replace(/\s+/g, ' ').trim();
  if (NEGATIVE.some((re) => re.test(t))) return true;
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 8 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return true;
  if (/[!?]{3,}/.test(text)) return true;
  return recent.some((r) => fold(r).replace(/\W+/g, ' ').trim() === t.replace(/\W+/g, ' ').trim() && t.length > 3);
}
