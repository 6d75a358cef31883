import type { ServiceMonitor } from './monitor.ts';
import { defineParameters, param } from './params.ts';
import { ConversationFailure, converse, quoted } from './line-conversation.ts';

const TAG = 'A001';

const parameters = defineParameters({ port: param.port().default(143) });

/**
 * IMAP check, as OpenNMS's ImapMonitor. Parameter `port` (default 143). The
 * greeting must be "* OK …"; to `A001 LOGOUT` the server must answer
 * "* BYE …" (other untagged lines may come first) and then "A001 OK …".
 * UP with the time from the connect to the tagged reply.
 */
export const imapMonitor: ServiceMonitor<{ port: number }> = {
  name: 'imap',
  parameters,
  parse: (params) => parameters.read(params),
  poll(target, signal) {
    return converse(target, signal, { port: target.settings.port }, async (conversation) => {
      const greeting = await conversation.readLine('IMAP greeting');
      if (!/^\* OK(?:\s|$)/i.test(greeting)) {
        throw new ConversationFailure(`IMAP greeting was ${quoted(greeting)}, expected "* OK"`);
      }

      conversation.sendLine(`${TAG} LOGOUT`);
      let bye = false;
      for (;;) {
        const line = await conversation.readLine('IMAP reply to LOGOUT');
        if (line.startsWith('* ')) {
          bye ||= /^\* BYE(?:\s|$)/i.test(line);
          continue;
        }
        if (!bye) {
          throw new ConversationFailure(`IMAP reply to LOGOUT was ${quoted(line)}, expected "* BYE" then "${TAG} OK"`);
        }
        if (!new RegExp(`^${TAG} OK(?:\\s|$)`, 'i').test(line)) {
          throw new ConversationFailure(`IMAP reply to LOGOUT was ${quoted(line)}, expected "${TAG} OK"`);
        }
        return;
      }
    });
  },
};
