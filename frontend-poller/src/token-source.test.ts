import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveRegistrationToken, TOKEN_ENV_VARIABLE } from './token-source.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-token-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function tokenFile(name: string, text: string, mode: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

void test('no token anywhere: none, and no warning', async () => {
  assert.deepEqual(await resolveRegistrationToken({ env: {} }), { token: undefined, source: 'none', warnings: [] });
});

void test(`the token from ${TOKEN_ENV_VARIABLE}`, async () => {
  assert.deepEqual(await resolveRegistrationToken({ env: { [TOKEN_ENV_VARIABLE]: ' env-token-1 ' } }), { token: 'env-token-1', source: TOKEN_ENV_VARIABLE, warnings: [] });
});

void test('--token-file: the first line, trimmed, of a file only its owner can read', async () => {
  const path = await tokenFile('ok', '  file-token-1  \nsomething else\n', 0o600);
  assert.deepEqual(await resolveRegistrationToken({ tokenFile: path, env: {} }), { token: 'file-token-1', source: '--token-file', warnings: [] });
  const readOnly = await tokenFile('ro', 'file-token-2\r\n', 0o400);
  assert.equal((await resolveRegistrationToken({ tokenFile: readOnly, env: {} })).token, 'file-token-2');
});

void test('--token works but warns that every local user can read it', async () => {
  const resolved = await resolveRegistrationToken({ token: 'cli-token-1', env: {} });
  assert.equal(resolved.token, 'cli-token-1');
  assert.equal(resolved.source, '--token');
  assert.match(resolved.warnings.join('\n'), /--token is visible to every user of this host.*\/proc.*use --token-file FILE or VANTAGE_TOKEN/);
});

const refusals: { name: string; input: () => Promise<Parameters<typeof resolveRegistrationToken>[0]>; error: RegExp }[] = [
  {
    name: 'a token file that other users can read',
    input: async () => ({ tokenFile: await tokenFile('open', 'file-token-3\n', 0o644), env: {} }),
    error: /--token-file .*open is readable by other users \(mode 644\): chmod 600 /,
  },
  {
    name: 'a token file its group can read',
    input: async () => ({ tokenFile: await tokenFile('group', 'file-token-4\n', 0o640), env: {} }),
    error: /readable by other users \(mode 640\)/,
  },
  { name: 'a token file that does not exist', input: async () => ({ tokenFile: join(dir, 'missing'), env: {} }), error: /cannot read --token-file .*missing: .*ENOENT/ },
  { name: 'an empty token file', input: async () => ({ tokenFile: await tokenFile('empty', '\n\n', 0o600), env: {} }), error: /--token-file .*empty: the first line is empty/ },
  { name: 'an empty environment variable', input: async () => ({ env: { [TOKEN_ENV_VARIABLE]: '  ' } }), error: /VANTAGE_TOKEN is set but empty/ },
  {
    name: 'two ways at once',
    input: async () => ({ token: 'a-token-123', env: { [TOKEN_ENV_VARIABLE]: 'b-token-123' } }),
    error: /the registration token was given more than one way \(--token, VANTAGE_TOKEN\): give it once/,
  },
];

for (const refusal of refusals) {
  void test(`refused: ${refusal.name}`, async () => {
    await assert.rejects(resolveRegistrationToken(await refusal.input()), refusal.error);
  });
}
