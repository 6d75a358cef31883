import { imapMonitor } from './imap.ts';
import { CLOSE, crlf, testCommonFailures, testDialogCases } from '../testing/line-servers.ts';

const GREETING = crlf('* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.');
const LOGOUT_OK = [crlf('* BYE Logging out', 'A001 OK Logout completed.'), CLOSE] as const;

testDialogCases(imapMonitor, [
  {
    name: 'greeting "* OK", LOGOUT answered "* BYE" and "A001 OK"',
    dialog: { greeting: GREETING, replies: { 'A001 LOGOUT': LOGOUT_OK } },
    outcome: { status: 'UP' },
    lines: ['A001 LOGOUT'],
  },
  {
    name: 'other untagged lines before "* BYE"',
    dialog: {
      greeting: GREETING,
      replies: { 'A001 LOGOUT': crlf('* 3 EXISTS', '* BYE IMAP4rev1 Server logging out', 'A001 OK LOGOUT completed') },
    },
    outcome: { status: 'UP' },
  },
  {
    name: 'greeting refused',
    dialog: { greeting: [crlf('* BYE too many connections'), CLOSE] },
    outcome: { status: 'DOWN', reason: 'IMAP greeting was "* BYE too many connections", expected "* OK"' },
  },
  {
    name: 'not an IMAP server',
    dialog: { greeting: crlf('+OK POP3 ready') },
    outcome: { status: 'DOWN', reason: 'IMAP greeting was "+OK POP3 ready", expected "* OK"' },
  },
  {
    name: 'LOGOUT answered without "* BYE"',
    dialog: { greeting: GREETING, replies: { 'A001 LOGOUT': crlf('A001 OK done') } },
    outcome: { status: 'DOWN', reason: 'IMAP reply to LOGOUT was "A001 OK done", expected "* BYE" then "A001 OK"' },
  },
  {
    name: 'LOGOUT refused after "* BYE"',
    dialog: { greeting: GREETING, replies: { 'A001 LOGOUT': crlf('* BYE', 'A001 BAD command unknown') } },
    outcome: { status: 'DOWN', reason: 'IMAP reply to LOGOUT was "A001 BAD command unknown", expected "A001 OK"' },
  },
  {
    name: 'connection closed after "* BYE"',
    dialog: { greeting: GREETING, replies: { 'A001 LOGOUT': [crlf('* BYE Logging out'), CLOSE] } },
    outcome: { status: 'DOWN', reason: 'connection closed before the IMAP reply to LOGOUT arrived' },
  },
  {
    name: 'no reply to LOGOUT before the timeout',
    dialog: { greeting: GREETING },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no IMAP reply to LOGOUT within 200 ms' },
  },
]);

testCommonFailures(imapMonitor, 'IMAP greeting');
