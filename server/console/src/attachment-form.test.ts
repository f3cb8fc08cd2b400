// The Files form's round trip: stored settings → form values → the settings saved, with the kinds
// of files as groups of sniffed types, and each wrong field named.
import { describe, expect, it } from 'vitest';
import { ATTACHMENT_TYPES } from '@servus/shared';
import {
  FILE_KINDS,
  KINDS,
  attachmentFieldOf,
  attachmentFormFromSettings,
  attachmentSettingsFromForm,
  formatMb,
} from './attachment-form.js';
import { translator, type Key } from './i18n.js';

describe('attachment settings form', () => {
  it('shows the defaults for a site without settings, and saves them as they are', () => {
    const values = attachmentFormFromSettings(undefined);
    expect(values).toEqual({
      enabled: true,
      maxMb: '10',
      perConversation: '20',
      kinds: { images: 'on', heic: 'off', pdf: 'on', text: 'on', office: 'off', other: 'off', markup: 'off' },
    });
    expect(attachmentSettingsFromForm(values, undefined)).toEqual({
      settings: {
        enabled: true,
        maxBytes: 10 * 1024 * 1024,
        maxPerConversation: 20,
        types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
      },
    });
  });

  it('groups every type the server sniffs into exactly one kind', () => {
    expect(KINDS.flatMap((k) => FILE_KINDS[k]).sort()).toEqual([...ATTACHMENT_TYPES].sort());
  });

  it('keeps a kind set partly through the API as it was, and turns whole kinds on and off', () => {
    const stored = { types: ['image/png', 'application/zip'], maxBytes: 2.5 * 1024 * 1024 };
    const values = attachmentFormFromSettings(stored);
    expect(values.kinds.images).toBe('some');
    expect(values.kinds.office).toBe('on');
    expect(values.maxMb).toBe('2.5');
    const result = attachmentSettingsFromForm({ ...values, kinds: { ...values.kinds, office: 'off', pdf: 'on' } }, stored);
    expect(result).toMatchObject({ settings: { types: ['image/png', 'application/pdf'], maxBytes: 2.5 * 1024 * 1024 } });
  });

  it('reads sizes with a decimal point or comma, and names each wrong field', () => {
    const base = attachmentFormFromSettings(undefined);
    expect(attachmentSettingsFromForm({ ...base, maxMb: '1,5' }, undefined)).toMatchObject({ settings: { maxBytes: 1.5 * 1024 * 1024 } });
    expect(attachmentSettingsFromForm({ ...base, maxMb: ' 0.1 ' }, undefined)).toMatchObject({ settings: { maxBytes: 104858 } });
    for (const maxMb of ['', 'viel', '0', '0.05', '100.1', '1e3', '-2', '1.5.2'])
      expect(attachmentSettingsFromForm({ ...base, maxMb }, undefined), maxMb).toEqual({ errors: { maxMb: 'range' } });
    for (const perConversation of ['0', '1001', '2.5', 'x', ''])
      expect(attachmentSettingsFromForm({ ...base, perConversation }, undefined), perConversation).toEqual({
        errors: { perConversation: 'range' },
      });
    const none = Object.fromEntries(KINDS.map((k) => [k, 'off'])) as typeof base.kinds;
    expect(attachmentSettingsFromForm({ ...base, kinds: none }, undefined)).toEqual({ errors: { kinds: 'none' } });
    // Files off: no kind is needed.
    expect(attachmentSettingsFromForm({ ...base, enabled: false, kinds: none }, undefined)).toMatchObject({
      settings: { enabled: false, types: [] },
    });
    expect(attachmentFieldOf('settings.attachments.maxBytes')).toBe('maxMb');
    expect(attachmentFieldOf('settings.attachments.types.0')).toBe('kinds');
    expect(attachmentFieldOf('settings.color')).toBe(null);
    expect(attachmentFieldOf('settings.attachments.types')).toBe('kinds');
    expect(formatMb(10 * 1024 * 1024)).toBe('10');
  });

  it('has every label and message in German and English', () => {
    const en = translator('en');
    const de = translator('de');
    const keys = ['att_title', 'att_err_maxMb', 'att_err_perConversation', 'att_err_kinds', ...KINDS.map((k) => `att_kind_${k}`)] as Key[];
    for (const key of keys) {
      expect(en(key), key).not.toBe(key);
      expect(de(key), key).not.toBe(en(key));
    }
  });
});
