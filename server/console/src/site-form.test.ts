// The Website form's round trip: stored settings → form values → one PATCH body with every field.
import { describe, expect, it } from 'vitest';
import type { SiteView } from '@servus/shared';
import { embedSnippet, formFromSite, patchFromForm, readSiteForm } from './site-form.js';

const full: SiteView = {
  key: 'demo',
  name: 'Demo Shop',
  settings: {
    color: '#112233',
    position: 'left',
    defaultLang: 'en',
    title: { de: 'Hilfe', en: 'Help' },
    greeting: { de: 'Servus!' },
    botName: 'Robo',
    allowedOrigins: ['https://shop.example', 'http://localhost:3000'],
    preChatForm: { enabled: true, fields: ['email'] },
    ratings: { nps: true, ces: false },
    notifyEmails: ['team@shop.example'],
    businessHours: {
      timeZone: 'Europe/Vienna',
      weekly: { mon: ['09:00-12:00', '13:00-17:30'], sat: ['10:00-14:00'] },
      holidays: ['2026-12-25'],
    },
    serviceLevel: { firstResponseSeconds: 90 },
    launcherOffset: { x: 24, y: 80, mobileY: 96 },
  },
};

describe('site settings form', () => {
  it('documents the embed tag of docs/widget.md', () => {
    expect(embedSnippet('https://chat.example.com', 'demo')).toBe(
      '<script src="https://chat.example.com/widget.js" data-site="demo" async></script>',
    );
  });

  it('sends back what it was given, field for field', () => {
    const values = formFromSite(full);
    expect(values.days.mon).toBe('09:00-12:00, 13:00-17:30');
    expect(values.days.tue).toBe('');
    const { name, settings } = patchFromForm(values);
    expect(name).toBe('Demo Shop');
    expect(settings).toEqual({ ...full.settings });
  });

  it('sends null for empty optional fields and for an empty hours form', () => {
    const values = formFromSite({ key: 'demo', name: ' Demo ', settings: {} });
    const { name, settings } = patchFromForm(values);
    expect(name).toBe('Demo');
    expect(settings).toEqual({
      color: null,
      position: 'right',
      defaultLang: 'de',
      title: null,
      greeting: null,
      botName: null,
      allowedOrigins: null,
      preChatForm: { enabled: false, fields: [] },
      ratings: { nps: false, ces: false },
      notifyEmails: null,
      serviceLevel: null,
      businessHours: null,
      launcherOffset: null,
    });
  });

  it('keeps a half-filled hours form (the server then names the missing time zone) and passes odd input on as typed', () => {
    const values = formFromSite({ key: 'demo', name: 'Demo', settings: {} });
    values.days.fri = ' 25:00-26:00 ,, ';
    values.serviceLevel = '1e3';
    values.offset.y = ' 64 ';
    values.offset.mobileX = '-5';
    const { settings } = patchFromForm(values);
    expect(settings.launcherOffset).toEqual({ y: 64, mobileX: '-5' });
    expect(settings.businessHours).toEqual({ timeZone: '', weekly: { fri: ['25:00-26:00'] } });
    expect(settings.serviceLevel).toEqual({ firstResponseSeconds: '1e3' });
  });

  it('reads the form by field name (unchecked boxes are absent from FormData)', () => {
    const data = new FormData();
    for (const [k, v] of Object.entries({ name: 'X', color: '#abcdef', position: 'left', defaultLang: 'en', 'day-tue': '08:00-09:00' }))
      data.set(k, v);
    data.set('nps', 'on');
    data.set('allowedOrigins', 'https://a.example\r\n\r\n  https://b.example ');
    const values = readSiteForm(data);
    expect(values).toMatchObject({ name: 'X', color: '#abcdef', nps: true, ces: false, preChatEnabled: false });
    expect(values.days.tue).toBe('08:00-09:00');
    expect(patchFromForm(values).settings.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});
