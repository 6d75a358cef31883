import { smtpMonitor } from './smtp.ts';
import { CLOSE, crlf, testCommonFailures, testDialogCases } from '../testing/line-servers.ts';
import os from 'node:os';

const GREETING = crlf('220 mail.example.org ESMTP');
const HELO_OK = crlf('250 mail.example.org');
const QUIT_OK = [crlf('221 2.0.0 Bye'), CLOSE] as const;
const helo = `HELO ${os.hostname()}`;

testDialogCases(smtpMonitor, [
  {
    name: 'greeting 220, HELO 250, QUIT 221',
    dialog: { greeting: GREETING, replies: { HELO: HELO_OK, QUIT: QUIT_OK } },
    outcome: { status: 'UP' },
    lines: [helo, 'QUIT'],
  },
  {
    name: 'multi-line greeting and reply to HELO',
    dialog: {
      greeting: crlf('220-mail.example.org ESMTP', '220-no UCE', '220 ready'),
      replies: { HELO: crlf('250-mail.example.org', '250-PIPELINING', '250 8BITMIME'), QUIT: QUIT_OK },
    },
    outcome: { status: 'UP' },
    lines: [helo, 'QUIT'],
  },
  {
    name: 'bare LF line ends',
    dialog: { greeting: '220 ready\n', replies: { HELO: '250 ok\n', QUIT: '221 bye\n' } },
    outcome: { status: 'UP' },
  },
  {
    name: 'greeting refused',
    dialog: { greeting: [crlf('554 go away'), CLOSE] },
    outcome: { status: 'DOWN', reason: 'SMTP greeting was "554 go away", expected 220' },
  },
  {
    name: 'multi-line greeting refused (the last line is shown)',
    dialog: { greeting: crlf('554-busy', '554 try later') },
    outcome: { status: 'DOWN', reason: 'SMTP greeting was "554 try later", expected 220' },
  },
  {
    name: 'not an SMTP server',
    dialog: { greeting: crlf('SSH-2.0-OpenSSH_9.6') },
    outcome: { status: 'DOWN', reason: 'SMTP greeting was "SSH-2.0-OpenSSH_9.6", expected 220' },
  },
  {
    name: 'HELO refused',
    dialog: { greeting: GREETING, replies: { HELO: crlf('501 5.5.4 bad hostname') } },
    outcome: { status: 'DOWN', reason: 'SMTP reply to HELO was "501 5.5.4 bad hostname", expected 250' },
  },
  {
    name: 'QUIT answered wrongly',
    dialog: { greeting: GREETING, replies: { HELO: HELO_OK, QUIT: crlf('500 what?') } },
    outcome: { status: 'DOWN', reason: 'SMTP reply to QUIT was "500 what?", expected 221' },
  },
  {
    name: 'connection closed instead of a reply to HELO',
    dialog: { greeting: GREETING, replies: { HELO: CLOSE } },
    outcome: { status: 'DOWN', reason: 'connection closed before the SMTP reply to HELO arrived' },
  },
  {
    name: 'connection closed in the middle of a multi-line greeting',
    dialog: { greeting: [crlf('220-first line'), CLOSE] },
    outcome: { status: 'DOWN', reason: 'connection closed before the SMTP greeting arrived' },
  },
  {
    name: 'no reply to HELO before the timeout',
    dialog: { greeting: GREETING },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no SMTP reply to HELO within 200 ms' },
  },
]);

testCommonFailures(smtpMonitor, 'SMTP greeting');
