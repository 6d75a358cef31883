import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sshMonitor } from './ssh.ts';
import { CLOSE, crlf, testCommonFailures, testDialogCases } from '../testing/line-servers.ts';
import { pollLocal } from '../testing/servers.ts';

const OPENSSH = crlf('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13');

testDialogCases(sshMonitor, [
  {
    name: 'SSH-2.0 banner; our identification sent back',
    dialog: { greeting: OPENSSH },
    outcome: { status: 'UP' },
    lines: ['SSH-2.0-Vantage'],
  },
  {
    name: 'SSH-1.99 banner',
    dialog: { greeting: crlf('SSH-1.99-Cisco-1.25') },
    outcome: { status: 'UP' },
  },
  {
    name: 'lines before the banner (RFC 4253) skipped',
    dialog: { greeting: crlf('Authorized use only', 'SSH-2.0-dropbear_2022.83') },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner matches the "banner" pattern; client-banner sent',
    dialog: { greeting: OPENSSH },
    params: { banner: 'OpenSSH_9\\.\\d', 'client-banner': 'SSH-2.0-Probe_1.0' },
    outcome: { status: 'UP' },
    lines: ['SSH-2.0-Probe_1.0'],
  },
  {
    name: '"banner" "*" accepts any banner',
    dialog: { greeting: crlf('SSH-2.0-anything') },
    params: { banner: '*' },
    outcome: { status: 'UP' },
  },
  {
    name: '"match" wins over "banner"',
    dialog: { greeting: OPENSSH },
    params: { match: '^SSH-2\\.0-OpenSSH', banner: 'dropbear' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner does not match the pattern',
    dialog: { greeting: crlf('SSH-2.0-dropbear_2022.83') },
    params: { banner: 'OpenSSH' },
    outcome: { status: 'DOWN', reason: 'SSH banner "SSH-2.0-dropbear_2022.83" did not match /OpenSSH/' },
  },
  {
    name: 'protocol 1 only',
    dialog: { greeting: crlf('SSH-1.5-OldServer') },
    outcome: { status: 'DOWN', reason: 'SSH banner was "SSH-1.5-OldServer", expected SSH-2.0-… or SSH-1.99-…' },
  },
  {
    name: 'not an SSH server, then the connection closed',
    dialog: { greeting: [crlf('220 mail.example.org ESMTP'), CLOSE] },
    outcome: {
      status: 'DOWN',
      reason: 'connection closed before the SSH banner arrived (received "220 mail.example.org ESMTP")',
    },
  },
  {
    name: 'not an SSH server, then silence',
    dialog: { greeting: crlf('220 mail.example.org ESMTP') },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no SSH banner within 200 ms (received "220 mail.example.org ESMTP")' },
  },
]);

testCommonFailures(sshMonitor, 'SSH banner');

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  {
    params: { banner: 'OpenSSH(' },
    reason:
      'parameter "banner" is not a valid regular expression: Invalid regular expression: /OpenSSH(/: Unterminated group',
  },
  {
    params: { match: '[' },
    reason:
      'parameter "match" is not a valid regular expression: Invalid regular expression: /[/: Unterminated character class',
  },
  {
    params: { 'client-banner': 'SSH-2.0-a\r\nb' },
    reason: 'parameter "client-banner" must not contain line ends or control characters',
  },
];
for (const { params, reason } of badParams) {
  void test(`ssh: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await pollLocal(sshMonitor, { port: '22', ...params }), { status: 'UNKNOWN', reason });
  });
}
