import { pop3Monitor } from './pop3.ts';
import { CLOSE, crlf, testCommonFailures, testDialogCases } from '../testing/line-servers.ts';

const GREETING = crlf('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>');

testDialogCases(pop3Monitor, [
  {
    name: 'greeting +OK, QUIT +OK',
    dialog: { greeting: GREETING, replies: { QUIT: [crlf('+OK dewey POP3 server signing off'), CLOSE] } },
    outcome: { status: 'UP' },
    lines: ['QUIT'],
  },
  {
    name: 'bare "+OK" replies',
    dialog: { greeting: crlf('+OK'), replies: { QUIT: crlf('+OK') } },
    outcome: { status: 'UP' },
  },
  {
    name: 'greeting refused',
    dialog: { greeting: [crlf('-ERR too busy'), CLOSE] },
    outcome: { status: 'DOWN', reason: 'POP3 greeting was "-ERR too busy", expected "+OK"' },
  },
  {
    name: 'not a POP3 server',
    dialog: { greeting: crlf('* OK IMAP4rev1 ready') },
    outcome: { status: 'DOWN', reason: 'POP3 greeting was "* OK IMAP4rev1 ready", expected "+OK"' },
  },
  {
    name: 'QUIT refused',
    dialog: { greeting: GREETING, replies: { QUIT: crlf('-ERR some deleted messages not removed') } },
    outcome: {
      status: 'DOWN',
      reason: 'POP3 reply to QUIT was "-ERR some deleted messages not removed", expected "+OK"',
    },
  },
  {
    name: 'connection closed instead of a reply to QUIT',
    dialog: { greeting: GREETING, replies: { QUIT: CLOSE } },
    outcome: { status: 'DOWN', reason: 'connection closed before the POP3 reply to QUIT arrived' },
  },
  {
    name: 'no reply to QUIT before the timeout',
    dialog: { greeting: GREETING },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no POP3 reply to QUIT within 200 ms' },
  },
]);

testCommonFailures(pop3Monitor, 'POP3 greeting');
