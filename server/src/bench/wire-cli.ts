// `npm run size:wire`: the widget's bytes on the wire in Chromium (wire.ts), against the built
// server as a child process with the demo site and its FAQ (proactive rules off: the common case).
// Prints a table and, last, one JSON line. Runs take 5 to 15 s. --latency adds how long opening
// takes on a throttled network when the app loads on intent and when it was preloaded.
import { launchChromium } from '../testing/browser.js';
import { login } from '../testing/client.js';
import { startServerProcess, TEST_ADMIN } from '../testing/server-process.js';
import { WIRE_BUDGETS, formatLatency, formatWire, measureOpenLatency, measureWire, startHostPage } from './wire.js';

const server = await startServerProcess();
const host = await startHostPage(server.url);
const browser = await launchChromium();
try {
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  const res = await fetch(`${server.url}/api/sites/demo/proactive`, {
    method: 'PUT',
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [] }),
  });
  if (!res.ok) throw new Error(`clearing the demo's proactive rules: ${res.status}`);
  const result = await measureWire({ browser, servus: server.url, pageUrl: host.url });
  console.log(formatWire(result));
  const latency = process.argv.includes('--latency') ? await measureOpenLatency({ browser, pageUrl: host.url }) : undefined;
  if (latency) console.log(formatLatency(latency));
  console.log(JSON.stringify({ budgets: WIRE_BUDGETS, ...result, ...(latency ? { latency } : {}) }));
  process.exitCode = result.beforeLoad.bytes <= WIRE_BUDGETS.beforeLoad && result.chat.bytes <= WIRE_BUDGETS.chat ? 0 : 1;
} finally {
  await browser.close();
  await host.close();
  await server.stop();
}
