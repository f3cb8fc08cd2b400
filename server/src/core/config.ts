// Configuration from environment variables and an optional JSON config file, validated at start.
// Every limit is a named setting with a small default (docs/configuration.md lists them all).
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '@servus/shared';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  port: int(0, 65535).default(8787),
  host: z.string().min(1).default('0.0.0.0'),
  /** Public origin of this server (for Origin checks behind a proxy); derived from Host when unset. */
  publicUrl: z.url().optional(),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** PostgreSQL: the schema Servus keeps its tables in (created if missing); default: the server's search_path (public). */
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** Prefix of every Redis key and channel: two deployments may share one Redis with different prefixes. */
  redisPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : -, at most 64')
    .default('servus:'),
  /** smtp://user:pass@host:port (or smtps://): email for offline messages and transcripts. */
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  mailFrom: z.string().min(3).max(200).default('Servus <servus@localhost>'),
  /** Bearer token that opens /metrics on the public port; without it /metrics answers 404 there. */
  metricsToken: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  /** A separate listener for /metrics without a token (for a scraper on a private network); 0: any free port. */
  metricsPort: int(0, 65535).optional(),
  /** Interface of that listener. */
  metricsHost: z.string().min(1).default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  adminEmail: z.email().default('admin@example.com'),
  adminPassword: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Seed the demo site (key `demo`) with the example FAQ on start. */
  seedDemo: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(true),
  /** SQLite durability: FULL syncs every commit (writes are batched, so this stays fast). */
  sqliteSynchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /**
   * SQLite with FULL: who syncs the WAL. 'pipelined': fdatasyncs off the event loop while the next
   * batch commits; 'inline': SQLite inside each COMMIT. Equally durable.
   */
  sqliteWalSync: z.enum(['pipelined', 'inline']).default('pipelined'),
  /** Longest a write batch waits to gather more writes, in milliseconds (0: next tick). */
  writeBatchDelayMs: int(0, 50).default(0),
  /** Largest number of writes committed in one transaction. */
  writeBatchMax: int(1, 10_000).default(500),
  /**
   * PostgreSQL: how long a write batch whose connection failed (the server restarting, the
   * connection terminated or cut) is tried again before its commands fail, in seconds.
   */
  databaseRetrySeconds: z.coerce.number().min(0).max(300).default(15),
  maxFrameBytes: int(1024, 1024 * 1024).default(DEFAULT_LIMITS.maxFrameBytes),
  maxMessageChars: int(1, DEFAULT_LIMITS.maxMessageChars).default(DEFAULT_LIMITS.maxMessageChars),
  visitorMessagesPerWindow: int(1, 10_000).default(DEFAULT_LIMITS.visitorMessagesPerWindow),
  agentMessagesPerWindow: int(1, 10_000_000).default(200),
  rateWindowMs: int(100, 3_600_000).default(DEFAULT_LIMITS.rateWindowMs),
  framesPerWindow: int(10, 100_000).default(DEFAULT_LIMITS.framesPerWindow),
  connectionsPerIp: int(1, 100_000).default(DEFAULT_LIMITS.connectionsPerIp),
  maxConnections: int(1, 1_000_000).default(18_000),
  authTimeoutSeconds: z.coerce.number().min(0.05).max(300).default(DEFAULT_LIMITS.authTimeoutSeconds),
  heartbeatSeconds: z.coerce.number().min(0.05).max(600).default(DEFAULT_LIMITS.heartbeatSeconds),
  socketHighWaterBytes: int(16 * 1024, 64 * 1024 * 1024).default(DEFAULT_LIMITS.socketHighWaterBytes),
  replayBatch: int(10, 10_000).default(DEFAULT_LIMITS.replayBatch),
  maxRequestBytes: int(1024, 10 * 1024 * 1024).default(64 * 1024),
  /** Seconds a resolved conversation may be reopened by the visitor writing again. */
  reopenWindowSeconds: int(0, 365 * 86400).default(7 * 86400),
  sessionTtlHours: int(1, 24 * 365).default(24 * 14),
  // Login throttling (login-throttle.ts, docs/configuration.md "Logins").
  /** Failed logins per account and address before each further attempt has to wait. */
  loginFreeAttempts: int(1, 100).default(5),
  /** The longest wait between two attempts on one account from one address. */
  loginMaxDelaySeconds: int(1, 86400).default(900),
  /** Failed logins from one address, over all accounts, per hour before it is refused for the rest of the hour. */
  loginFailuresPerAddress: int(1, 100_000).default(50),
  /** Failed logins on one account, over all addresses, per hour before addresses never used by its owner are refused. */
  loginFailuresPerAccount: int(1, 1_000_000).default(100),
  /** Give queued conversations to the least busy online agent below capacity. */
  autoAssign: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(true),
  /** How often each instance writes its heartbeat and reloads who is online everywhere (several instances). */
  presenceRefreshSeconds: z.coerce.number().min(0.1).max(300).default(5),
  /** An instance without a heartbeat this long is dead: its agents are offline, its jobs are taken over. */
  instanceTimeoutSeconds: z.coerce.number().min(0.5).max(3600).default(20),
  /** Seconds an agent may be offline before their open conversations go back to the queue. */
  agentOfflineGraceSeconds: z.coerce.number().min(0).max(86400).default(120),
  /** Shown in the expected wait until real handling times exist. */
  defaultHandlingSeconds: int(10, 86400).default(300),
  /** Trust X-Forwarded-For for the client IP (only behind a proxy you control). */
  trustProxy: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(false),
  // The optional LLM bot engine (docs/llm.md): off unless a key or a base URL is set, so a
  // conversation is never sent to a model nobody configured.
  /** API key of an OpenAI-compatible endpoint (OpenAI; local servers usually need none). */
  openaiApiKey: z.string().min(1).max(500).optional(),
  /** Base URL of an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama. */
  openaiBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  openaiModel: z.string().min(1).max(200).default('gpt-4o-mini'),
  /** Longest a model answer may take, stream included; then the default engine answers. */
  llmTimeoutSeconds: z.coerce.number().min(0.1).max(120).default(8),
  /** Most tokens the model may write per answer (max_tokens); a cut-off answer is not sent. */
  llmMaxTokens: int(16, 4096).default(400),
  /** Most model calls per conversation; after that the default engine answers alone. */
  llmMaxCallsPerConversation: int(0, 1000).default(10),
  /** Retrieval confidence below which no model is asked and the conversation goes to a person. */
  llmMinConfidence: z.coerce.number().min(0).max(1).default(0.1),
  /** How many retrieved FAQ entries the model sees. */
  llmMaxEntries: int(1, 10).default(3),
  /** Model calls running at once in this process; beyond it the default engine answers at once. */
  llmMaxConcurrent: int(1, 1000).default(8),
  // Attachments (docs/attachments.md); a site's own limits (size, count, types) are in its settings.
  /** Uploads a visitor may start per minute, counted across instances (Redis when configured). */
  attachmentUploadsPerMinute: int(1, 10_000).default(10),
  /** Bytes per stored chunk of a file in the database (the most an upload or download holds at once). */
  attachmentChunkBytes: int(16 * 1024, 4 * 1024 * 1024).default(256 * 1024),
  /** The longest a whole HTTP request may take (uploads: the largest file on a slow line); headers still have 10 s. */
  requestTimeoutSeconds: int(5, 3600).default(300),
  // Data protection (docs/privacy.md).
  /** What is kept of a client's address where one is stored (the audit log): its network part, or nothing. */
  ipAddresses: z.enum(['truncated', 'none']).default('truncated'),
  // Conversations that go on by email (docs/email.md).
  /** Domain of the reply addresses (reply+KEY@DOMAIN); default: the domain of MAIL_FROM. */
  mailReplyDomain: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,200}$/, 'must be a domain')
    .optional(),
  /** Port of the SMTP listener for replies by email; unset: no listener (the HTTP endpoint still works). */
  smtpListenPort: int(0, 65535).optional(),
  smtpListenHost: z.string().min(1).default('127.0.0.1'),
  /** Seconds after an agent's reply before it is emailed (more replies in that time go in the same mail). */
  mailReplyDelaySeconds: z.coerce.number().min(0).max(86400).default(120),
  /** Most reply mails to one conversation per day. */
  mailMaxPerConversationPerDay: int(1, 1000).default(10),
  /** Most reply mails of one site per hour. */
  mailMaxPerSiteHour: int(1, 100000).default(200),
  /** Largest inbound mail accepted (bytes), by SMTP and by HTTP. */
  mailInboundMaxBytes: int(1024, 25 * 1024 * 1024).default(256 * 1024),
  /** Hours a link back into the conversation stays valid (it works once). */
  mailLinkTtlHours: int(1, 24 * 30).default(72),
  /** Bearer token the HTTP endpoint for inbound mail (POST /api/mail/inbound) also requires; unset: the reply address alone. */
  inboundMailToken: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  /** Inbound mails one conversation takes in an hour (more are dropped and logged as `limited`). */
  mailInboundMaxPerConversationHour: int(1, 10_000).default(20),
  /** Inbound mails one site takes in an hour. */
  mailInboundMaxPerSiteHour: int(1, 1_000_000).default(500),
  // Data protection (docs/privacy.md).
  /** Days the audit log keeps an entry (a daily job deletes older ones); 0: kept for ever. */
  auditRetentionDays: int(0, 36_500).default(365),
  /** Hours the link of a visitor's own erasure request works (once). */
  erasureLinkTtlHours: int(1, 168).default(24),
  /** A visitor's erasure requests mailed to one address of a site in 24 hours. */
  erasureRequestsPerAddressDay: int(1, 100).default(3),
  /** Erasure requests one visitor may make in an hour. */
  erasureRequestsPerVisitorHour: int(1, 100).default(3),
  /** Erasure requests of one site in an hour (all visitors together). */
  erasureRequestsPerSiteHour: int(1, 100_000).default(50),
  // Integrations (docs/integrations.md).
  /** REST API v1 requests per token per minute (counted across instances with Redis). */
  apiRequestsPerMinute: int(1, 1_000_000).default(600),
  /**
   * Addresses or CIDR ranges webhooks may reach although they are private, loopback or link-local
   * (comma-separated, e.g. `127.0.0.1` or `10.0.0.0/8`); empty: none.
   */
  webhookAllowAddresses: z
    .union([z.array(z.string()), z.string()])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'must be IP addresses or CIDR ranges')).max(100))
    .default([]),
  /** Longest one webhook delivery may take, connection to end of the answer. */
  webhookTimeoutSeconds: z.coerce.number().min(0.1).max(60).default(10),
  /** Bytes of a receiver's answer kept for the delivery log. */
  webhookMaxResponseBytes: int(0, 65_536).default(4096),
  /** First retry of a failed delivery after this many seconds, doubling up to an hour. */
  webhookRetryBaseSeconds: z.coerce.number().min(0.01).max(3600).default(10),
  /** A failing delivery is retried this long before it is given up. */
  webhookRetryHours: z.coerce.number().min(0.0001).max(168).default(24),
  /** Failed attempts in a row after which a webhook is disabled (and the site's admins emailed). */
  webhookDisableAfterFailures: int(1, 10_000).default(50),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variable for each setting: camelCase → SCREAMING_SNAKE. */
export function envName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $CONFIG_FILE, then ./servus.config.json if present. */
  file?: string;
  overrides?: Partial<Record<keyof Config, unknown>>;
}

export function loadConfig({ env = process.env, file, overrides = {} }: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const path = file ?? env.CONFIG_FILE ?? (existsSync('servus.config.json') ? 'servus.config.json' : undefined);
  let fromFile: Record<string, unknown> = {};
  if (path) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(path), 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      fromFile = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`config file ${path}: ${(err as Error).message}`]);
    }
  }
  const keys = Object.keys(configSchema.shape) as (keyof Config)[];
  for (const key of Object.keys(fromFile)) {
    if (!keys.includes(key as keyof Config)) problems.push(`config file ${path}: unknown setting "${key}"`);
  }
  const input: Record<string, unknown> = { ...fromFile };
  for (const key of keys) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') input[key] = value;
  }
  Object.assign(input, overrides);
  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      problems.push(`${envName(key)} (${key}): ${issue.message}; got ${JSON.stringify(input[key])}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}
