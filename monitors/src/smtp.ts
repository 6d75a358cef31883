import os from 'node:os';
import type { ServiceMonitor } from './monitor.ts';
import { defineParameters, param } from './params.ts';
import { ConversationFailure, type LineConversation, converse, quoted } from './line-conversation.ts';

/** The name we greet with, as OpenNMS does: this host's name. */
function heloName(): string {
  const name = os.hostname().trim();
  return name !== '' && !/[\s\p{Cc}]/u.test(name) ? name : 'localhost';
}

async function expectReply(conversation: LineConversation, what: string, code: number): Promise<void> {
  const reply = await conversation.readCodedReply(`SMTP ${what}`);
  if (reply.code !== code) throw new ConversationFailure(`SMTP ${what} was ${quoted(reply.text)}, expected ${code}`);
}

const parameters = defineParameters({ port: param.port().default(25) });

/**
 * SMTP check, as OpenNMS's SmtpMonitor. Parameter `port` (default 25). The
 * greeting must be 220, the reply to `HELO <this host's name>` 250 and the
 * reply to `QUIT` 221; multi-line replies ("250-…" up to "250 …") are read
 * whole. UP with the time from the connect to the reply to QUIT.
 */
export const smtpMonitor: ServiceMonitor<{ port: number }> = {
  name: 'smtp',
  parameters,
  parse: (params) => parameters.read(params),
  poll(target, signal) {
    return converse(target, signal, { port: target.settings.port }, async (conversation) => {
      await expectReply(conversation, 'greeting', 220);
      conversation.sendLine(`HELO ${heloName()}`);
      await expectReply(conversation, 'reply to HELO', 250);
      conversation.sendLine('QUIT');
      await expectReply(conversation, 'reply to QUIT', 221);
    });
  },
};
