import type { ServiceMonitor } from './monitor.ts';
import { defineParameters, param } from './params.ts';
import { ConversationFailure, type LineConversation, converse, quoted } from './line-conversation.ts';

async function expectOk(conversation: LineConversation, what: string): Promise<void> {
  const line = await conversation.readLine(`POP3 ${what}`);
  if (!/^\+OK(?:\s|$)/.test(line)) throw new ConversationFailure(`POP3 ${what} was ${quoted(line)}, expected "+OK"`);
}

const parameters = defineParameters({ port: param.port().default(110) });

/**
 * POP3 check, as OpenNMS's Pop3Monitor. Parameter `port` (default 110). The
 * greeting and the reply to `QUIT` must both start with "+OK".
 * UP with the time from the connect to the reply to QUIT.
 */
export const pop3Monitor: ServiceMonitor<{ port: number }> = {
  name: 'pop3',
  parameters,
  parse: (params) => parameters.read(params),
  poll(target, signal) {
    return converse(target, signal, { port: target.settings.port }, async (conversation) => {
      await expectOk(conversation, 'greeting');
      conversation.sendLine('QUIT');
      await expectOk(conversation, 'reply to QUIT');
    });
  },
};
