/**
 * The unauthenticated registration attacks of issue 10 against a backend on
 * loopback with the production limits: 10,000 token-less registrations from
 * one address and 10,000 token guesses from another (X-Forwarded-For, the
 * backend trusting it as behind a proxy), sent in JSON-RPC batches of 100 as
 * fast as the backend answers. Prints how many got through, how many monitors
 * wait for approval, the size of GET /api/monitors, and the answer rate.
 *
 *   node --import tsx bench/registration-flood.bench.ts [calls]
 */
import { adminFetch, startTestBackend } from '../backend/testing/index.ts';

const calls = Number(process.argv[2] ?? 10_000);
const BATCH = 100;
const t = await startTestBackend(undefined, { trustProxy: true });
try {
  const flood = async (address: string, params: (i: number) => Record<string, unknown>) => {
    const outcome = new Map<string, number>();
    const t0 = performance.now();
    for (let sent = 0; sent < calls; sent += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, calls - sent) }, (_, i) => ({ jsonrpc: '2.0', id: sent + i, method: 'registerLocationMonitor', params: params(sent + i) }));
      const { body } = await t.post(JSON.stringify(batch), { 'x-forwarded-for': address });
      for (const answer of body as { result?: { status: string }; error?: { code: number } }[]) {
        const key = answer.result ? answer.result.status : String(answer.error?.code);
        outcome.set(key, (outcome.get(key) ?? 0) + 1);
      }
    }
    const ms = performance.now() - t0;
    return { ms, outcome: Object.fromEntries(outcome) };
  };

  const pending = await flood('198.51.100.1', (i) => ({ location: 'RDU', name: `flood-${i}` }));
  const listed = await (await adminFetch(`http://127.0.0.1:${t.backend.port}/api/monitors`)).text();
  console.log(`${calls} token-less registrations from one address in ${pending.ms.toFixed(0)} ms (${((calls / pending.ms) * 1000).toFixed(0)} answers/s)`);
  console.log(`  answers: ${JSON.stringify(pending.outcome)}`);
  console.log(`  GET /api/monitors afterwards: ${(await t.backend.monitors.list()).length} monitors, ${listed.length} bytes`);

  const guesses = await flood('198.51.100.2', (i) => ({ location: 'NYC', name: 'guesser', token: `guess-${i}-padding` }));
  console.log(`${calls} token guesses from one address in ${guesses.ms.toFixed(0)} ms`);
  console.log(`  answers: ${JSON.stringify(guesses.outcome)} (-32003: the guesses actually checked; -32010: refused unchecked)`);
} finally {
  await t.close();
}
