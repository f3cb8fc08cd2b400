import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envName, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses small documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      port: 8787,
      dataDir: './data',
      maxFrameBytes: 65536,
      maxMessageChars: 4000,
      heartbeatSeconds: 25,
      sqliteSynchronous: 'FULL',
    });
  });

  it('reads environment variables named after the settings and coerces them', () => {
    const c = loadConfig({
      env: { PORT: '9000', VISITOR_MESSAGES_PER_WINDOW: '5', SEED_DEMO: 'false', DATABASE_URL: 'postgres://u@h/db' },
    });
    expect(c).toMatchObject({ port: 9000, visitorMessagesPerWindow: 5, seedDemo: false, databaseUrl: 'postgres://u@h/db' });
    expect(envName('visitorMessagesPerWindow')).toBe('VISITOR_MESSAGES_PER_WINDOW');
  });

  it('names every wrong setting and says why', () => {
    let error: unknown;
    try {
      loadConfig({ env: { PORT: '70000', DATABASE_URL: 'mysql://x', ADMIN_PASSWORD: 'short' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT \(port\): .*70000/m);
    expect(problems).toMatch(/^DATABASE_URL \(databaseUrl\): must be a postgres:\/\/ URL/m);
    expect(problems).toMatch(/^ADMIN_PASSWORD \(adminPassword\): must be at least 8 characters/m);
  });

  it('reads a JSON config file, lets the environment win, and rejects unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-config-'));
    const file = join(dir, 'servus.config.json');
    writeFileSync(file, JSON.stringify({ port: 9100, connectionsPerIp: 7 }));
    expect(loadConfig({ env: { PORT: '9200' }, file })).toMatchObject({ port: 9200, connectionsPerIp: 7 });
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/unknown setting "prot"/);
    writeFileSync(file, '{ not json');
    expect(() => loadConfig({ env: {}, file })).toThrow(ConfigError);
  });
});
