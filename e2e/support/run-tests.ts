/**
 * `npm test`: every `*.test.ts` of the workspaces, three files at a time,
 * each in its own process, reported by node's spec reporter.
 *
 * Why not `node --test FILES`: it sorts the files by name, which puts the
 * e2e files, minutes of real processes and waits between them, last. The
 * longest of them then runs alone at the end while the other worker has
 * nothing left to do. Started first, they overlap with each other and the
 * many short unit files fill the gaps.
 *
 * Why three on two cores: many e2e files spend most of their time waiting
 * (an outage of 15 s, a poller's next check-in); with two at a time the
 * machine's cores were a quarter idle. A third overlaps those waits (the
 * suite went from 554 s to 487 s here, the same tests passing).
 * VANTAGE_TEST_CONCURRENCY sets another number.
 *
 * Usage: node --import ./runtime/ts-register.mjs e2e/support/run-tests.ts [folder…]
 * (default: every workspace; `e2e` files first in any case).
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { typeScriptFiles } from '../../runtime/ts-cache-warm.mjs';

const FOLDERS = ['e2e', 'common', 'runtime', 'monitors', 'events', 'frontend-poller', 'backend'];
const CONCURRENCY = Number(process.env.VANTAGE_TEST_CONCURRENCY ?? 3);
const TIMEOUT_MS = 120_000;

const testFiles = (dir: string) => typeScriptFiles(dir).filter((file) => file.endsWith('.test.ts'));

const asked = process.argv.slice(2);
const folders = asked.length > 0 ? asked : FOLDERS;
const files = [...folders.filter((f) => f === 'e2e'), ...folders.filter((f) => f !== 'e2e')].flatMap(testFiles);

const stream = run({ files, concurrency: CONCURRENCY, timeout: TIMEOUT_MS });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
