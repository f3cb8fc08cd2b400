import { describe, expect, it } from 'vitest';
import { splitCompound } from './compounds.js';

describe('German compound splitting with the dictionary', () => {
  it('splits compounds into dictionary words, with linking elements and inflected last parts', () => {
    expect(splitCompound('Behandlungsmöglichkeiten')).toEqual(['behandlungs', 'moglichkeiten']);
    expect(splitCompound('Selbstisolierung')).toEqual(['selbst', 'isolierung']);
    expect(splitCompound('Erkrankungswelle')).toEqual(['erkrankung', 'welle']);
    expect(splitCompound('Versandkosten')).toEqual(['versand', 'kosten']);
  });
  it('leaves plain words and short words alone', () => {
    for (const w of ['Bestellung', 'Verfügung', 'Quarantäne', 'Ansteckung', 'Paket', 'Umtausch']) expect(splitCompound(w), w).toEqual([]);
  });
  it('uses words the FAQ knows besides the dictionary', () => {
    expect(splitCompound('Coronatest')).toEqual([]);
    expect(splitCompound('Coronatest', { known: (w) => w === 'corona' })).toEqual(['corona', 'test']);
  });
});
