import type { ServiceMonitor } from './monitor.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';
import { ConversationFailure, type CodedReply, converse, quoted } from './line-conversation.ts';

const parameters = defineParameters({
  port: param.port().default(21),
  userid: param.line(),
  password: param.line(),
});

interface FtpSettings {
  port: number;
  login: { userid: string; password: string } | undefined;
}

function parseFtpSettings(params: RawParams): FtpSettings {
  const { port, userid, password } = parameters.read(params);
  if ((userid === undefined) !== (password === undefined)) {
    throw new ParameterError('parameters "userid" and "password" go together: give both or neither');
  }
  return { port, login: userid === undefined || password === undefined ? undefined : { userid, password } };
}

function refuse(what: string, reply: CodedReply, expected: string): never {
  throw new ConversationFailure(`FTP ${what} was ${quoted(reply.text)}, expected ${expected}`);
}

const inClass = (reply: CodedReply, hundreds: number): boolean =>
  reply.code !== undefined && Math.floor(reply.code / 100) === hundreds;

/**
 * FTP check, as OpenNMS's FtpMonitor. Parameters: `port` (default 21);
 * `userid` and `password` (together): log in with USER (2xx, or 3xx and then
 * PASS, 2xx) before quitting. The greeting must be 220 (multi-line "220-…"
 * replies are read whole) and the reply to `QUIT` 2xx, or 425 or 530 which
 * some servers give to a QUIT without a login (as OpenNMS accepts).
 * UP with the time from the connect to the reply to QUIT. The password never
 * appears in a reason.
 */
export const ftpMonitor: ServiceMonitor<FtpSettings> = {
  name: 'ftp',
  parameters,
  parse: parseFtpSettings,
  poll(target, signal) {
    const p = target.settings;

    return converse(target, signal, { port: p.port }, async (conversation) => {
      const greeting = await conversation.readCodedReply('FTP greeting');
      if (greeting.code !== 220) refuse('greeting', greeting, '220');

      if (p.login) {
        conversation.sendLine(`USER ${p.login.userid}`);
        const user = await conversation.readCodedReply('FTP reply to USER');
        if (inClass(user, 3)) {
          conversation.sendLine(`PASS ${p.login.password}`);
          const pass = await conversation.readCodedReply('FTP reply to PASS');
          if (!inClass(pass, 2)) refuse('reply to PASS', pass, '2xx');
        } else if (!inClass(user, 2)) {
          refuse('reply to USER', user, '2xx or 3xx');
        }
      }

      conversation.sendLine('QUIT');
      const quit = await conversation.readCodedReply('FTP reply to QUIT');
      if (!inClass(quit, 2) && quit.code !== 425 && quit.code !== 530) refuse('reply to QUIT', quit, '2xx, 425 or 530');
    });
  },
};
