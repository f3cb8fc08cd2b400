#!/usr/bin/env node
// `npm start`: reads the configuration, starts Servus, prints where everything is, and shuts
// down gracefully on SIGTERM/SIGINT.
import { loadConfig, ConfigError } from './core/config.js';
import { createLogger } from './core/logger.js';
import { startServus } from './app/server.js';
import { createFaqBots } from './bot/index.js';
import { missingNodeFlags } from './core/node-flags.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const missing = missingNodeFlags();
  if (missing.length) {
    logger.info(
      { flags: missing },
      'started without the recommended Node.js flags: lower throughput under heavy load (docs/configuration.md)',
    );
  }
  let servus;
  try {
    servus = await startServus({ config, logger, bots: createFaqBots });
  } catch (err) {
    // The usual first-day problem: one line that says what to do, not a stack trace.
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const next = config.port === 0 ? 8787 : config.port + 1;
      console.error(
        `Port ${config.port} on ${config.host} is already in use (another Servus, or another program): stop it, or start on a free port, e.g. PORT=${next} npm start`,
      );
      process.exit(1);
    }
    throw err;
  }
  const { url } = servus;
  const lines = [
    '',
    `Servus is running (${servus.database.dialect}).`,
    `  Demo page:  ${url}/demo`,
    `  Console:    ${url}/console`,
    `  Widget:     ${url}/widget.js`,
    `  Health:     ${url}/healthz`,
  ];
  if (servus.seeded.createdAdmin) {
    lines.push(
      `  Admin:      ${config.adminEmail}` +
        (servus.seeded.generatedPassword
          ? ` / password ${servus.seeded.generatedPassword} (shown once; set ADMIN_PASSWORD to choose it)`
          : ' (password from ADMIN_PASSWORD)'),
    );
  }
  console.log(lines.join('\n') + '\n');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    servus.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
