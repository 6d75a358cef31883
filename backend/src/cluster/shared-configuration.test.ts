/**
 * The configuration in force kept in the database: storing the same text
 * again changes nothing, a new text is the next revision; a reload stores
 * the file's text before putting it in force; a configuration another
 * instance stored is adopted (its packages in force, the changed locations
 * announced) unless it already is in force, and a text that does not
 * validate here is refused with the running configuration kept.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import { ConfigHolder } from '../config/config-holder.ts';
import { ConfigReloader } from '../config/config-reloader.ts';
import { parsePollingConfigText } from '../config/load-config.ts';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { configurationDigest, SharedConfiguration } from './shared-configuration.ts';

let storage: TestStorage;
let db: Database;
const log = createLogger('config', 'debug', () => undefined);

before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: 'memory://' });
});

after(async () => {
  await db.close();
  await storage.cleanup();
});

const configText = (intervalMs: number) => `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="5000"/>
  <package name="p"><specific node-label="n0">127.0.0.1</specific><service name="TCP" interval="${intervalMs}"><parameter key="port" value="1"/></service></package>
  <monitor service="TCP" type="tcp"/>
  <location name="SITE"><polling-package name="p"/></location>
</poller-configuration>`;

void test('the same text stored again is no new revision; another text is the next one', async () => {
  const shared = new SharedConfiguration(db, false);
  const first = await shared.store(configText(1000));
  assert.equal(typeof first, 'number');
  assert.equal(await shared.store(configText(1000)), undefined, 'unchanged');
  assert.equal(await shared.store(configText(2000)), first! + 1);
  const current = await shared.current();
  assert.deepEqual(current, { text: configText(2000), digest: configurationDigest(configText(2000)), revision: first! + 1 });
});

void test('a reload stores the file first; a stored configuration is adopted once; one that does not validate is refused', async () => {
  const shared = new SharedConfiguration(db, false);
  const path = join(storage.dataDir, 'polling-config.xml');
  await writeFile(path, configText(1000));
  const holder = new ConfigHolder(parsePollingConfigText(configText(1000), path));
  const announced: string[][] = [];
  const reloader = new ConfigReloader(path, {}, holder, async (locations) => void announced.push(locations), log, configurationDigest(configText(1000)), shared);

  await writeFile(path, configText(3000));
  assert.deepEqual(await reloader.reload('test'), { status: 'reloaded', changedLocations: ['SITE'] });
  assert.equal((await shared.current())?.text, configText(3000), 'stored for the other instances');

  // Another instance stored a new text: adopted here, its location announced.
  const revision = await shared.store(configText(4000));
  const stored = (await shared.current())!;
  assert.equal(stored.revision, revision);
  assert.deepEqual(await reloader.adopt(stored), { status: 'reloaded', changedLocations: ['SITE'] });
  assert.equal(holder.packageFor('SITE')?.package.services[0]?.intervalMs, 4000);
  assert.deepEqual(await reloader.adopt(stored), { status: 'unchanged' }, 'already in force');
  assert.deepEqual(announced, [['SITE'], ['SITE']]);

  const broken = { text: '<poller-configuration>', digest: configurationDigest('<poller-configuration>'), revision: stored.revision + 1 };
  const outcome = await reloader.adopt(broken);
  assert.equal(outcome.status, 'refused');
  assert.equal(holder.packageFor('SITE')?.package.services[0]?.intervalMs, 4000, 'the running configuration stays');
  await reloader.close();
});
