import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ftpMonitor } from './ftp.ts';
import { CLOSE, crlf, testCommonFailures, testDialogCases } from '../testing/line-servers.ts';
import { pollLocal } from '../testing/servers.ts';

const GREETING = crlf('220 (vsFTPd 3.0.5)');
const QUIT_OK = [crlf('221 Goodbye.'), CLOSE] as const;
const LOGIN = { userid: 'bob', password: 's3cret' };

testDialogCases(ftpMonitor, [
  {
    name: 'greeting 220, QUIT 221',
    dialog: { greeting: GREETING, replies: { QUIT: QUIT_OK } },
    outcome: { status: 'UP' },
    lines: ['QUIT'],
  },
  {
    name: 'multi-line greeting',
    dialog: {
      greeting: crlf('220-Welcome', ' to the archive', '220-Be nice', '220 Ready'),
      replies: { QUIT: QUIT_OK },
    },
    outcome: { status: 'UP' },
  },
  {
    name: 'QUIT answered 530 without a login (accepted, as OpenNMS does)',
    dialog: { greeting: GREETING, replies: { QUIT: crlf('530 Please login with USER and PASS.') } },
    outcome: { status: 'UP' },
  },
  {
    name: 'login with USER 331 and PASS 230',
    dialog: {
      greeting: GREETING,
      replies: { USER: crlf('331 Password required'), PASS: crlf('230 Logged in'), QUIT: QUIT_OK },
    },
    params: LOGIN,
    outcome: { status: 'UP' },
    lines: ['USER bob', 'PASS s3cret', 'QUIT'],
  },
  {
    name: 'login accepted at USER (no PASS sent)',
    dialog: { greeting: GREETING, replies: { USER: crlf('230 No password needed'), QUIT: QUIT_OK } },
    params: LOGIN,
    outcome: { status: 'UP' },
    lines: ['USER bob', 'QUIT'],
  },
  {
    name: 'greeting refused',
    dialog: { greeting: [crlf('421 Too many users'), CLOSE] },
    outcome: { status: 'DOWN', reason: 'FTP greeting was "421 Too many users", expected 220' },
  },
  {
    name: 'QUIT answered wrongly',
    dialog: { greeting: GREETING, replies: { QUIT: crlf('500 Unknown command.') } },
    outcome: { status: 'DOWN', reason: 'FTP reply to QUIT was "500 Unknown command.", expected 2xx, 425 or 530' },
  },
  {
    name: 'USER refused',
    dialog: { greeting: GREETING, replies: { USER: crlf('530 This FTP server is anonymous only.') } },
    params: LOGIN,
    outcome: {
      status: 'DOWN',
      reason: 'FTP reply to USER was "530 This FTP server is anonymous only.", expected 2xx or 3xx',
    },
  },
  {
    name: 'password refused (the reason does not show it)',
    dialog: {
      greeting: GREETING,
      replies: { USER: crlf('331 Password required'), PASS: crlf('530 Login incorrect.') },
    },
    params: LOGIN,
    outcome: { status: 'DOWN', reason: 'FTP reply to PASS was "530 Login incorrect.", expected 2xx' },
  },
  {
    name: 'connection closed instead of a reply to QUIT',
    dialog: { greeting: GREETING, replies: { QUIT: CLOSE } },
    outcome: { status: 'DOWN', reason: 'connection closed before the FTP reply to QUIT arrived' },
  },
  {
    name: 'no reply to QUIT before the timeout',
    dialog: { greeting: GREETING },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no FTP reply to QUIT within 200 ms' },
  },
]);

testCommonFailures(ftpMonitor, 'FTP greeting');

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { userid: 'bob' }, reason: 'parameters "userid" and "password" go together: give both or neither' },
  { params: { password: 'x' }, reason: 'parameters "userid" and "password" go together: give both or neither' },
  {
    params: { userid: 'bob\r\nDELE x', password: 'x' },
    reason: 'parameter "userid" must not contain line ends or control characters',
  },
];
for (const { params, reason } of badParams) {
  void test(`ftp: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await pollLocal(ftpMonitor, { port: '21', ...params }), { status: 'UNKNOWN', reason });
  });
}
