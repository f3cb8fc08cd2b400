// A refused save in words at its field: API paths to form fields (patterns, list indexes, the
// longest match), each kind of problem in English and German, and what no field shows.
import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '@servus/shared';
import { ApiError } from './api.js';
import { fieldOf, formErrors, issueText, issuesOf } from './field-errors.js';
import { translator } from './i18n.js';
import { SITE_FIELDS } from './site-form.js';
import { ruleFields } from './proactive-form.js';

const en = translator('en');
const de = translator('de');

/** A 400 as api() throws it for the server's answer. */
const refused = (issues: FieldIssue[]) =>
  new ApiError(400, 'BAD_FRAME', `${issues[0]!.path}: ${issues[0]!.message}`, issues[0]!.path, issues);

describe('field errors', () => {
  it('finds the form field of an API path: exact, below a pattern, through list indexes, longest match first', () => {
    expect(fieldOf('settings.color', SITE_FIELDS)?.spec.field).toBe('color');
    expect(fieldOf('settings.allowedOrigins.2', SITE_FIELDS)).toEqual({ spec: { field: 'allowedOrigins', lines: true }, index: 2 });
    expect(fieldOf('settings.businessHours.weekly.mon', SITE_FIELDS)?.spec.field).toBe('day-mon');
    expect(fieldOf('settings.businessHours.timeZone', SITE_FIELDS)?.spec.field).toBe('timeZone');
    expect(fieldOf('settings.launcherOffset.mobileY', SITE_FIELDS)?.spec.field).toBe('offset-mobileY');
    expect(fieldOf('settings.serviceLevel.firstResponseSeconds', SITE_FIELDS)?.spec.field).toBe('serviceLevel');
    expect(fieldOf('settings.somethingElse', SITE_FIELDS)).toBeNull();
    expect(fieldOf('rules.3.text.en', ruleFields(3))?.spec.field).toBe('textEn');
    expect(fieldOf('rules.3.text', ruleFields(3))?.spec.field).toBe('textDe');
    // Another rule's problem is not this form's.
    expect(fieldOf('rules.2.delaySeconds', ruleFields(3))).toBeNull();
    expect(fieldOf('siteKeys.1', { 'siteKeys.#': 'site' })).toEqual({ spec: { field: 'site' }, index: 1 });
  });

  it('says each kind of problem in words, in English and German', () => {
    const cases: [FieldIssue, string, string][] = [
      [{ path: 'name', kind: 'too_long', limit: 200, message: 'Too big' }, 'At most 200 characters.', 'Höchstens 200 Zeichen.'],
      [{ path: 'x', kind: 'too_big', limit: 3600, message: '' }, 'At most 3600.', 'Höchstens 3600.'],
      [{ path: 'x', kind: 'too_small', limit: 5, message: '' }, 'At least 5.', 'Mindestens 5.'],
      [{ path: 'x', kind: 'too_few', limit: 1, message: '' }, 'Choose at least 1.', 'Mindestens 1 auswählen.'],
      [{ path: 'x', kind: 'required', message: '' }, 'Required.', 'Pflichtfeld.'],
      [{ path: 'x', kind: 'not_url', message: '' }, 'Must be a valid URL (https://…).', 'Muss eine gültige URL sein (https://…).'],
      [{ path: 'x', kind: 'not_email', message: '' }, 'Must be a valid email address.', 'Muss eine gültige E-Mail-Adresse sein.'],
      [{ path: 'x', kind: 'not_integer', message: '' }, 'Must be a whole number.', 'Muss eine ganze Zahl sein.'],
      // A format problem without a hint of the field keeps the server's detail.
      [
        { path: 'x', kind: 'format', message: 'starts with / or *' },
        'Not in the expected form (starts with / or *)',
        'Nicht in der erwarteten Form (starts with / or *)',
      ],
    ];
    for (const [issue, inEnglish, inGerman] of cases) {
      expect(issueText(issue, en)).toBe(inEnglish);
      expect(issueText(issue, de)).toBe(inGerman);
    }
    // The field's own hint for a format problem; the line of a one-per-line field.
    const hours = fieldOf('settings.businessHours.weekly.mon', SITE_FIELDS)!;
    expect(issueText({ path: '', kind: 'format', message: '"25:00-26:00" is not HH:MM-HH:MM' }, de, hours.spec, hours.index)).toBe(
      'Zeiten wie 09:00-12:00, 13:00-17:30, jeweils mit dem Ende nach dem Beginn.',
    );
    const origin = fieldOf('settings.allowedOrigins.1', SITE_FIELDS)!;
    expect(issueText({ path: '', kind: 'not_origin', message: '' }, en, origin.spec, origin.index)).toBe(
      'Line 2: Must be an origin such as https://shop.example (no path).',
    );
  });

  it('puts each refused field’s first problem at its field and sums up the rest, never as a bare API path', () => {
    const err = refused([
      { path: 'settings.allowedOrigins.2', kind: 'not_origin', message: 'must be an origin' },
      { path: 'settings.allowedOrigins.3', kind: 'not_origin', message: 'must be an origin' },
      { path: 'settings.botName', kind: 'too_long', limit: 60, message: 'Too big' },
      { path: 'settings.colour', kind: 'unknown_field', message: 'unknown field' },
    ]);
    const { fields, summary } = formErrors(err, SITE_FIELDS, en);
    expect(Object.fromEntries(fields)).toEqual({
      allowedOrigins: 'Line 3: Must be an origin such as https://shop.example (no path).',
      botName: 'At most 60 characters.',
    });
    expect(summary).toBe('Please correct the marked fields. settings.colour: Not a setting this server knows.');
    expect(formErrors(err, SITE_FIELDS, de).fields.get('botName')).toBe('Höchstens 60 Zeichen.');
  });

  it('keeps errors that are not about fields as one line, and reads an older answer’s single path', () => {
    const conflict = new ApiError(409, 'CONFLICT', 'A site with the key shop exists already.', 'key');
    expect(formErrors(conflict, { key: 'key' }, en)).toEqual({ fields: new Map(), summary: 'A site with the key shop exists already.' });
    const older = new ApiError(400, 'BAD_FRAME', 'settings.color: must be a colour #rrggbb', 'settings.color');
    expect(issuesOf(older)).toEqual([{ path: 'settings.color', kind: 'invalid', message: 'must be a colour #rrggbb' }]);
    expect(formErrors(older, SITE_FIELDS, en).fields.get('color')).toBe('Not valid (must be a colour #rrggbb)');
  });
});
