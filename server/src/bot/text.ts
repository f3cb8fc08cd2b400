// Text processing for short questions in German and English: normalisation, tokens, stop words,
// Snowball stemming, German compound parts, and a cheap language guess.
import snowball from 'snowball-stemmers';

export type Lang = 'de' | 'en';

const STOP = {
  en: new Set(
    'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves im ive id dont cant wont isnt arent didnt doesnt hasnt havent please hi hello hey thanks thank get got also u ur pls plz'.split(
      ' ',
    ),
  ),
  de: new Set(
    'aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können könnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte sondern sonst über um und uns unsere unserem unseren unser unseres unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen bitte hallo danke gibt es mal ja nein denn eigentlich gerne'.split(
      ' ',
    ),
  ),
};

// Question words carry intent in short questions ("wie lange", "how much"): kept as light tokens.
const QUESTION_WORDS = new Map<string, string>([
  ...(['why', 'warum', 'wieso', 'weshalb', 'wozu'] as const).map((w) => [w, 'why'] as [string, string]),
  ...(['when', 'wann'] as const).map((w) => [w, 'when'] as [string, string]),
  ...(['where', 'wo', 'woher', 'wohin'] as const).map((w) => [w, 'where'] as [string, string]),
  ...(['who', 'wer', 'wen', 'wem'] as const).map((w) => [w, 'who'] as [string, string]),
  ...(['how', 'wie'] as const).map((w) => [w, 'how'] as [string, string]),
  ...(['what', 'was'] as const).map((w) => [w, 'what'] as [string, string]),
  ...(['which', 'welche', 'welcher', 'welches', 'welchen'] as const).map((w) => [w, 'which'] as [string, string]),
]);

const stemmers = { de: snowball.newStemmer('german'), en: snowball.newStemmer('english') };

// Words are folded over and over (every answer of a large FAQ): short strings are cached.
const FOLD_CACHE_LIMIT = 50_000;
const foldCache = new Map<string, string>();

export function fold(s: string): string {
  const short = s.length <= 40;
  let out = short ? foldCache.get(s) : undefined;
  if (out === undefined) {
    out = foldUncached(s);
    if (short) {
      if (foldCache.size >= FOLD_CACHE_LIMIT) foldCache.clear();
      foldCache.set(s, out);
    }
  }
  return out;
}

/** `fold` without the cache, for a word list read once (it would only push the FAQ's words out). */
export function foldUncached(s: string): string {
  const lower = s.toLowerCase();
  return /^[a-z]*$/.test(lower)
    ? lower
    : lower
        .replace(/ß/g, 'ss')
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '');
}

/** Words of a text, lower-cased, apostrophes dropped ("don't" → "dont"), digits kept. */
export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/['’`´]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

// Stems are cached: the Snowball implementation is the slowest step of a short query.
const STEM_CACHE_LIMIT = 50_000;
const stemCache = { de: new Map<string, string>(), en: new Map<string, string>() };

export function stem(word: string, lang: Lang): string {
  const cache = stemCache[lang];
  let s = cache.get(word);
  if (s === undefined) {
    // Snowball's German stemmer expects umlauts; folding afterwards makes "Rückgabe" and "Ruckgabe" meet.
    s = stemUncached(word, lang);
    if (cache.size >= STEM_CACHE_LIMIT) cache.clear();
    cache.set(word, s);
  }
  return s;
}

/** `stem` without the cache, for a word list read once. */
export function stemUncached(word: string, lang: Lang): string {
  return foldUncached(stemmers[lang].stem(word));
}

export interface Token {
  term: string;
  /** The word as written (lower case), for compound splitting. */
  word: string;
  /** A question word: counted, but with little weight. */
  light: boolean;
}

/** Content tokens of a text: stop words removed, stemmed, question words kept as light tokens. */
export function tokens(text: string, lang: Lang): Token[] {
  const out: Token[] = [];
  for (const w of words(text)) {
    const q = QUESTION_WORDS.get(w);
    if (q) {
      out.push({ term: `?${q}`, word: w, light: true });
      continue;
    }
    if (STOP[lang].has(w) || w.length < 2) continue;
    out.push({ term: stem(w, lang), word: w, light: false });
  }
  return out;
}

// Words of both languages ("was") are no hint.
const DE_HINTS = /[äöüß]|\b(ich|nicht|und|ist|wie|wann|warum|kann|mein|meine|der|die|das|bitte|gibt|habe|mit|für|auf)\b/g;
const EN_HINTS = /\b(i|my|the|is|how|what|when|why|can|do|does|you|your|please|have|with|for|on|to)\b/g;

/** The language a text shows by its words, or null when it shows none (or both equally). */
export function languageOf(text: string): Lang | null {
  const t = text.toLowerCase();
  const de = (t.match(DE_HINTS) ?? []).length;
  const en = (t.match(EN_HINTS) ?? []).length;
  if (de === en) return null;
  return de > en ? 'de' : 'en';
}

export function detectLanguage(text: string, fallback: Lang): Lang {
  return languageOf(text) ?? fallback;
}

/** Damerau-Levenshtein distance with an early exit above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  let prev2 = new Array<number>(cols).fill(0);
  let prev = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i < rows; i++) {
    const cur = new Array<number>(cols).fill(0);
    cur[0] = i;
    let best = cur[0];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[cols - 1]!;
}

/** Character n-grams (3 to 4) of a folded text, with word boundaries, for fuzzy matching. */
export function charGrams(text: string): string[] {
  const out: string[] = [];
  for (const w of fold(text).match(/[a-z0-9]+/g) ?? []) {
    const padded = ` ${w} `;
    for (let n = 3; n <= 4; n++) for (let i = 0; i + n <= padded.length; i++) out.push(padded.slice(i, i + n));
  }
  return out;
}
