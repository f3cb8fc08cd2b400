// The Servus a benchmark starts: its admin login and its environment (a fresh data folder, limits
// raised for one machine playing thousands of visitors). Shared by `npm run bench` (run.ts) and
// `npm run bench:ab` (scripts/bench-ab.mjs), so both measure the same server.

export const BENCH_ADMIN = { email: 'bench@example.com', password: 'bench-password-1' };

export function benchServerEnv(dataDir: string): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    AUTO_ASSIGN: 'false',
    CONNECTIONS_PER_IP: '100000',
    MAX_CONNECTIONS: '18000',
    VISITOR_MESSAGES_PER_WINDOW: '10000',
    // One agent account writes in every conversation: 20,000 msgs/s is 100,000 per 10 s window.
    AGENT_MESSAGES_PER_WINDOW: '10000000',
    FRAMES_PER_WINDOW: '100000',
  };
}
