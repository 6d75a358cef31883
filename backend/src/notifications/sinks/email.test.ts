import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { Uei } from '@vantage/common';
import { NotificationDispatcher } from '../dispatcher.ts';
import { InMemoryOutboxStore } from '../../../testing/in-memory-outbox-store.ts';
import { EmailSink, createSink } from './index.ts';
import type { EmailSinkConfig } from '../rules.ts';
import { closedPort, lostServiceEvent, recordingLog, waitFor } from '../../../testing/notifications.ts';

interface ReceivedMail {
  mailFrom: string | undefined;
  rcptTo: string[];
  raw: string;
}

/** A plain SMTP server on 127.0.0.1, no authentication, no STARTTLS, keeping every message. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<{ server: SMTPServer; port: number; mails: ReceivedMail[]; close: () => Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        mails.push({ mailFrom: mailFrom ? mailFrom.address : undefined, rcptTo: rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { server, port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Headers (unfolded, names lower case) and the decoded text body of a single-part message. */
function parseMail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  const body = raw.slice(split + 4);
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body, 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(body.replace(/=\r\n/g, ''))
        : body;
  return { headers, text: text.replace(/\r\n/g, '\n') };
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (B and Q); adjacent words join without the space between them. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_all, _charset: string, kind: string, data: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function mailConfig(port: number, overrides: Partial<EmailSinkConfig> = {}): EmailSinkConfig {
  return {
    name: 'ops-mail',
    type: 'email',
    smtpHost: '127.0.0.1',
    smtpPort: port,
    secure: false,
    from: 'Vantage <vantage@example.com>',
    to: ['ops@example.com', 'oncall@example.com'],
    ...overrides,
  };
}

void test('e-mail: the message arrives with the configured from and to, the subject and the text', async () => {
  const smtp = await startSmtp();
  const sink = createSink(mailConfig(smtp.port));
  try {
    assert.ok(sink instanceof EmailSink);
    const store = new InMemoryOutboxStore();
    const dispatcher = new NotificationDispatcher(store, [sink], { log: recordingLog() });
    store.enqueue('ops-mail', lostServiceEvent());
    dispatcher.start();
    await waitFor(() => store.delivered.length === 1, 'the delivery');
    await dispatcher.close();

    assert.equal(smtp.mails.length, 1);
    const [mail] = smtp.mails as [ReceivedMail];
    assert.equal(mail.mailFrom, 'vantage@example.com');
    assert.deepEqual(mail.rcptTo, ['ops@example.com', 'oncall@example.com']);
    const { headers, text } = parseMail(mail.raw);
    assert.equal(headers.get('from'), 'Vantage <vantage@example.com>');
    assert.equal(headers.get('to'), 'ops@example.com, oncall@example.com');
    assert.equal(headers.get('subject'), '[Vantage] Minor: A service is down, as seen from one location monitor — web1/HTTP at RDU');
    assert.match(headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/i);
    assert.match(text, /^A service is down, as seen from one location monitor\n/);
    assert.match(text, /\nService: +web1\/HTTP\n/);
    assert.match(text, /\n {2}reason: HTTP 503 Service Unavailable\n/);
    assert.match(text, /Sent when a service fails to respond to a poll by a location monitor \(UEI from OpenNMS: nodeLostService\)\./);
  } finally {
    sink.close?.();
    await smtp.close();
  }
});

void test('e-mail: an event of no location, straight through the sink', async () => {
  const smtp = await startSmtp();
  const sink = new EmailSink(mailConfig(smtp.port, { to: ['ops@example.com'] }));
  try {
    const event = lostServiceEvent({ uei: Uei.applicationDown, severity: 'Major', location: null, monitorId: null, serviceId: null, nodeLabel: null, params: { application: 'shop' } });
    await sink.deliver({ id: 1, sink: 'ops-mail', event, attempts: 0, nextAttemptAt: 0 });
    const { headers, text } = parseMail(smtp.mails[0]!.raw);
    assert.equal(headers.get('subject'), '[Vantage] Major: An application is down — application shop');
    assert.match(text, /\nApplication: +shop\n/);
  } finally {
    sink.close();
    await smtp.close();
  }
});

void test('e-mail: a server that rejects the recipient: the failure carries its reply', async () => {
  const smtp = await startSmtp({
    onRcptTo(address, _session, callback) {
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such user here`), { responseCode: 550 }));
    },
  });
  const sink = new EmailSink(mailConfig(smtp.port, { to: ['nobody@example.com'] }));
  try {
    await assert.rejects(sink.deliver({ id: 1, sink: 'ops-mail', event: lostServiceEvent(), attempts: 0, nextAttemptAt: 0 }), (err: Error) => {
      assert.ok(err.message.startsWith(`SMTP 127.0.0.1:${smtp.port}: `), err.message);
      assert.ok(err.message.includes('550 5.1.1 <nobody@example.com>: no such user here'), err.message);
      return true;
    });
    assert.equal(smtp.mails.length, 0);
  } finally {
    sink.close();
    await smtp.close();
  }
});

void test('e-mail: a server that requires authentication when none is configured', async () => {
  const smtp = await startSmtp({ authOptional: false });
  const sink = new EmailSink(mailConfig(smtp.port));
  try {
    await assert.rejects(sink.deliver({ id: 1, sink: 'ops-mail', event: lostServiceEvent(), attempts: 0, nextAttemptAt: 0 }), (err: Error) => {
      assert.match(err.message, new RegExp(`^SMTP 127\\.0\\.0\\.1:${smtp.port}: .*530`), err.message);
      return true;
    });
  } finally {
    sink.close();
    await smtp.close();
  }
});

void test('e-mail: logs in with the configured user and password', async () => {
  const logins: string[] = [];
  const smtp = await startSmtp({
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'vantage' && auth.password === 's3cret') callback(null, { user: 'vantage' });
      else callback(new Error('bad credentials'));
    },
  });
  const sink = new EmailSink(mailConfig(smtp.port, { user: 'vantage', password: 's3cret' }));
  try {
    await sink.deliver({ id: 1, sink: 'ops-mail', event: lostServiceEvent(), attempts: 0, nextAttemptAt: 0 });
    assert.deepEqual(logins, ['vantage:s3cret']);
    assert.equal(smtp.mails.length, 1);
  } finally {
    sink.close();
    await smtp.close();
  }
});

void test('e-mail: connection refused', async () => {
  const port = await closedPort();
  const sink = new EmailSink(mailConfig(port));
  try {
    await assert.rejects(sink.deliver({ id: 1, sink: 'ops-mail', event: lostServiceEvent(), attempts: 0, nextAttemptAt: 0 }), {
      message: `SMTP 127.0.0.1:${port}: connection refused`,
    });
  } finally {
    sink.close();
  }
});
