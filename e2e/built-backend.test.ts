/**
 * The backend as `npm start` runs it: `backend/start.mjs` builds what is
 * stale, then runs the built file in its own process on plain `node`, with no
 * transpiler loaded (and the packages bundled into it). It must find its migrations, the web UI's
 * files, the browser libraries and the poller's download from the built layout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, REPO_ROOT, startProcess, type RunningProcess } from './support/processes.ts';

const PASSWORD = 'built-backend-password';
const dataDir = mkdtempSync(join(tmpdir(), 'vantage-built-'));
let running: RunningProcess | undefined;

after(async () => {
  await running?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

void test('the built backend runs on plain node and serves its API, web UI and poller download', async () => {
  // Built first, so that the start below has only the start-up to do within its time.
  const build = spawnSync(process.execPath, ['backend/bundle-files.mjs'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(build.status, 0, `the build failed: ${build.stdout}${build.stderr}`);

  const port = await freePort();
  // NODE_OPTIONS cleared: a test runner's --import tsx must not help the built file load TypeScript.
  running = startProcess('vantage-built', 'backend/start.mjs', ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    NODE_OPTIONS: '',
    VANTAGE_ADMIN_PASSWORD: PASSWORD,
  });
  await running.waitForLine(/Vantage is running/, 60_000);
  const root = `http://127.0.0.1:${port}`;

  const health = await fetch(`${root}/api/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });

  const page = await fetch(`${root}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /Vantage/);
  // The web UI's bundle the build made ahead, named in its manifest.
  const { name } = JSON.parse(readFileSync(join(REPO_ROOT, 'webui/dist/manifest.json'), 'utf8')) as { name: string };
  assert.ok(html.includes(`src="/ui/${name}"`), html);
  assert.equal((await fetch(`${root}/ui/${name}`)).status, 200);
  // Served from there, not bundled again: the built backend finds the sources as the build left them.
  assert.ok(!running.output.some((line) => /bundling them now/.test(line)), running.output.join('\n'));
  for (const path of ['/ui/app.js', '/vendor/preact.mjs', '/downloads/vantage-poller.mjs']) {
    const response = await fetch(`${root}${path}`);
    assert.equal(response.status, 200, `GET ${path}`);
    await response.arrayBuffer();
  }

  // The migrations ran: the administrator exists and the applications table answers.
  const authorization = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  const applications = await fetch(`${root}/api/applications`, { headers: { authorization } });
  assert.equal(applications.status, 200);
  assert.ok(Array.isArray(await applications.json()));

  assert.equal(await running.stop('SIGTERM'), 0, `a clean stop:\n${running.output.join('\n')}`);
});
