// German derivations that Snowball stems apart ("Impfung" / "impfen", "Versand" / "versenden",
// "bestellt" / "bestellen", "Krankheit" / "krank"): a word is led back to the word it is derived
// from, and that word's stem is one more, light term on both sides (search-index.ts, scoring.ts).
// Grammar, checked against a word list: a rule applies only when the base it proposes is a known
// word (the Hunspell dictionary or the FAQ's own words), so "Zeitung" does not become "zeiten".
// Strong verbs' nouns and forms change their vowel (ablaut) and are written out by hand below;
// pairs whose meanings have drifted apart (Vertrag / vertragen, Aufgabe / aufgeben, Zugang /
// zugehen) are left out.
import { foldUncached } from './text.js';

/** Separable verb particles: "angemeldet" ← "an" + "ge" + "meld" + "et", "abzuholen" ← "ab" + "zu" + "holen". */
const PARTICLES = [
  'zuruck',
  'weiter',
  'heraus',
  'herunter',
  'hinzu',
  'nach',
  'auf',
  'aus',
  'ein',
  'mit',
  'vor',
  'weg',
  'ab',
  'an',
  'um',
  'zu',
  'her',
  'hin',
  'fest',
  'frei',
  'los',
];

// Strong verbs: nouns and forms with another vowel than the infinitive; and be- verbs made from a
// noun (folded: ß → ss, no umlauts). As a rule "be" + noun + "en" would also pair Arbeit with
// bearbeiten and schwer with beschweren: only these are listed.
const ABLAUT: Record<string, string[]> = {
  beantragen: ['antrag'],
  beauftragen: ['auftrag'],
  beantworten: ['antwort'],
  senden: ['versand', 'versandt', 'gesandt', 'sandte'],
  versenden: ['versand', 'versandt'],
  anbieten: ['angebot'],
  bieten: ['geboten'],
  verbieten: ['verbot', 'verboten'],
  ankommen: ['ankunft'],
  abfahren: ['abfahrt'],
  anfahren: ['anfahrt'],
  abfliegen: ['abflug'],
  fliegen: ['flug', 'geflogen', 'flog'],
  abgeben: ['abgabe'],
  angeben: ['angabe'],
  ausgeben: ['ausgabe'],
  eingeben: ['eingabe'],
  freigeben: ['freigabe'],
  vergeben: ['vergabe'],
  ubergeben: ['ubergabe'],
  weitergeben: ['weitergabe'],
  zuruckgeben: ['ruckgabe'],
  abnehmen: ['abnahme'],
  annehmen: ['annahme'],
  aufnehmen: ['aufnahme'],
  entnehmen: ['entnahme'],
  teilnehmen: ['teilnahme'],
  ubernehmen: ['ubernahme'],
  zurucknehmen: ['rucknahme'],
  nehmen: ['genommen', 'nahm'],
  schliessen: ['geschlossen'],
  abschliessen: ['abschluss'],
  anschliessen: ['anschluss'],
  ausschliessen: ['ausschluss'],
  beschliessen: ['beschluss'],
  verschliessen: ['verschluss'],
  zugreifen: ['zugriff'],
  eingreifen: ['eingriff'],
  beziehen: ['bezug'],
  umziehen: ['umzug'],
  abziehen: ['abzug'],
  ziehen: ['gezogen'],
  abbrechen: ['abbruch'],
  ausbrechen: ['ausbruch'],
  einbrechen: ['einbruch'],
  brechen: ['gebrochen', 'brach'],
  beanspruchen: ['anspruch'],
  widersprechen: ['widerspruch'],
  sprechen: ['gesprochen', 'sprach'],
  verlieren: ['verlust', 'verloren', 'verlor'],
  unterschreiben: ['unterschrift'],
  schreiben: ['geschrieben', 'schrieb'],
  ersetzen: ['ersatz'],
  einsetzen: ['einsatz'],
  entwerfen: ['entwurf'],
  helfen: ['hilfe', 'geholfen', 'half'],
  bekommen: ['bekam'],
  erhalten: ['erhielt'],
  halten: ['hielt'],
  bringen: ['gebracht', 'brachte'],
  finden: ['gefunden', 'fand'],
  gehen: ['gegangen', 'ging'],
  stehlen: ['gestohlen', 'stahl'],
  treffen: ['getroffen', 'traf'],
  wissen: ['gewusst', 'wusste'],
  denken: ['gedacht', 'dachte'],
  sterben: ['gestorben', 'starb'],
};

/** Listed form (folded) → the infinitive (folded). */
const ABLAUT_BASE: ReadonlyMap<string, string> = new Map(
  Object.entries(ABLAUT).flatMap(([verb, forms]) => forms.map((f) => [f, verb] as [string, string])),
);

/** Inflection endings of a noun or adjective that a rule looks through ("Angebote", "Impfungen"). */
const NOUN_ENDINGS = ['', 'e', 'en', 'n', 's', 'es', 'er', 'em'];
/** Endings of finite verb forms and participles that Snowball leaves on ("bestellt", "versendete"). */
const VERB_ENDINGS = ['et', 't', 'ete', 'te', 'eten', 'ten', 'etes', 'tes', 'eter', 'ter'];

/** Shortest base a rule may propose (shorter ones collide: "Haut" / "hauen", "Kosten" / "kosen"). */
const MIN_BASE = 4;

/** What a word list knows of a folded word: a word at all, a noun, a verb. */
export interface GermanWords {
  word(w: string): boolean;
  noun(w: string): boolean;
  verb(w: string): boolean;
}

/**
 * The word a German word is derived from (folded), or null: the verb of an -ung noun ("Impfung"
 * → impfen, "Stornierung" → stornieren), of an -bar adjective ("lieferbar" → liefern), of a
 * finite form or participle Snowball leaves whole ("geimpft", "angemeldet", "bestellte"), of a
 * strong verb's noun or form ("Versand" → versenden); the adjective of a -heit / -keit noun
 * ("Krankheit" → krank, "Verfügbarkeit" → verfügbar → verfügen); the noun of a -lich adjective
 * ("ärztlich" → Arzt); a listed be- verb of a noun ("Antrag" → beantragen). Followed to the end
 * (at most three steps), so that every member of a family reaches the same base.
 */
export function germanBase(word: string, known: GermanWords): string | null {
  let w = foldUncached(word);
  if (!/^[a-z]+$/.test(w)) return null;
  let base: string | null = null;
  for (let step = 0; step < 3; step++) {
    const next = baseOnce(w, known);
    if (!next || next === w) break;
    base = w = next;
  }
  return base;
}

function baseOnce(w: string, known: GermanWords): string | null {
  const verb = (stemPart: string): string | null => {
    if (stemPart.length < MIN_BASE) return null;
    for (const v of [`${stemPart}en`, `${stemPart}n`]) if (known.verb(v)) return v;
    return null;
  };
  for (const end of NOUN_ENDINGS) {
    if (w.length - end.length < MIN_BASE || !w.endsWith(end)) continue;
    const s = w.slice(0, w.length - end.length);
    // Strong verbs' nouns and forms ("Versand", "Angebote", "geschrieben").
    const ablaut = ABLAUT_BASE.get(s);
    if (ablaut) return ablaut;
    // -ung: the action of a verb ("Impfung" ← impfen, "Lieferung" ← liefern, "Stornierung" ← stornieren).
    if (s.endsWith('ung')) {
      const v = verb(s.slice(0, -3));
      if (v) return v;
    }
    // -heit / -keit / -igkeit: the quality of an adjective ("Krankheit", "Möglichkeit", "Gültigkeit").
    for (const suffix of ['heit', 'keit', 'igkeit']) {
      if (!s.endsWith(suffix)) continue;
      const a = s.slice(0, -suffix.length);
      if (a.length >= MIN_BASE && known.word(a) && !known.noun(a)) return a;
    }
    // -bar: what can be done ("lieferbar" ← liefern, "erreichbar" ← erreichen).
    if (s.endsWith('bar')) {
      const v = verb(s.slice(0, -3));
      if (v) return v;
    }
    // -lich: of a noun ("ärztlich" ← Arzt, "schriftlich" ← Schrift).
    if (s.endsWith('lich')) {
      const n = s.slice(0, -4);
      if (n.length >= MIN_BASE && known.noun(n)) return n;
    }
  }
  // A strong verb's form after a particle ("abgeschlossen" → abschliessen).
  for (const p of PARTICLES) {
    const ablaut = w.startsWith(p) ? ABLAUT_BASE.get(w.slice(p.length)) : undefined;
    if (ablaut && known.verb(p + ablaut)) return p + ablaut;
  }
  // "anzumelden" → anmelden (the dictionary lists some such forms as verbs of their own).
  for (const p of PARTICLES)
    if (w.startsWith(`${p}zu`) && w.length > p.length + 5 && known.verb(p + w.slice(p.length + 2))) return p + w.slice(p.length + 2);
  // Verb forms are led back only when the word is no verb itself, nor a noun or a noun's
  // inflected form ("Kosten", "Haut", "Rechte", "Gefahren").
  if (known.verb(w)) return null;
  for (const end of NOUN_ENDINGS) if (w.endsWith(end) && known.noun(w.slice(0, w.length - end.length))) return null;
  // Finite forms and participles without ge- ("bestellt", "versendete", "storniert"), tried before
  // those with it: "gestattet" is gestatten's, not statten's.
  for (const end of VERB_ENDINGS) {
    if (!w.endsWith(end)) continue;
    const v = verb(w.slice(0, -end.length));
    if (v) return v;
  }
  for (const p of ['', ...PARTICLES]) {
    if (!w.startsWith(p)) continue;
    const rest = w.slice(p.length);
    // Participles: "geimpft" → impfen, "angemeldet" → anmelden, "abgeholt" → abholen, "angegeben" → angeben.
    if (rest.startsWith('ge')) {
      const core = rest.slice(2);
      for (const end of ['et', 't', 'en']) {
        if (!core.endsWith(end) || core.length - end.length < 3) continue;
        const s = core.slice(0, -end.length);
        for (const v of [`${p}${s}en`, `${p}${s}n`]) if (known.verb(v)) return v;
      }
    }
  }
  return null;
}
