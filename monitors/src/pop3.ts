import type { ServiceMonitor } from './monitor.ts';
import { portParam, readParams } from './params.ts';
import { ConversationFailure, type LineConversation, converse, quoted } from './line-conversation.ts';

async function expectOk(conversation: LineConversation, what: string): Promise<void> {
  const line = await conversation.readLine(`POP3 ${what}`);
  if (!/^\+OK(?:\s|$)/.test(line)) throw new ConversationFailure(`POP3 ${what} was ${quoted(line)}, expected "+OK"`);
}

/**
 * POP3 check, as OpenNMS's Pop3Monitor. Parameter `port` (default 110). The
 * greeting and the reply to `QUIT` must both start with "+OK".
 * UP with the time from the connect to the reply to QUIT.
 */
export const pop3Monitor: ServiceMonitor = {
  name: 'pop3',
  poll(target, signal) {
    const parsed = readParams(() => portParam(target.params, 'port', 110));
    if (!parsed.ok) return Promise.resolve(parsed.outcome);

    return converse(target, signal, { port: parsed.value }, async (conversation) => {
      await expectOk(conversation, 'greeting');
      conversation.sendLine('QUIT');
      await expectOk(conversation, 'reply to QUIT');
    });
  },
};
