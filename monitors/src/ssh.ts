import type { ServiceMonitor } from './monitor.ts';
import { defineParameters, param, type RawParams } from './params.ts';
import { ConversationFailure, converse, quoted, shownPattern } from './line-conversation.ts';

const DEFAULT_CLIENT_BANNER = 'SSH-2.0-Vantage';

/** The protocol versions a current client can speak to (RFC 4253; 1.99 is a server that also speaks 1.x). */
const SSH2_IDENTIFICATION = /^SSH-(?:2\.0|1\.99)-/;

const parameters = defineParameters({
  port: param.port().default(22),
  // OpenNMS: the deprecated "match" wins over "banner".
  match: param.banner(),
  banner: param.banner(),
  'client-banner': param.line().default(DEFAULT_CLIENT_BANNER),
});

interface SshSettings {
  port: number;
  banner: RegExp | undefined;
  clientBanner: string;
}

function parseSshSettings(params: RawParams): SshSettings {
  const values = parameters.read(params);
  return { port: values.port, banner: values.match ?? values.banner, clientBanner: values['client-banner'] };
}

/**
 * SSH check, as OpenNMS's SshMonitor: reads the server's identification line
 * (its banner, "SSH-2.0-…" or "SSH-1.99-…"; lines a server may send before
 * it are skipped, as RFC 4253 allows), answers with our own and closes.
 * Parameters: `port` (default 22); `banner`: a regular expression the banner
 * must contain a match of ("*": any; `match` is the older name and wins);
 * `client-banner`: our identification (default "SSH-2.0-Vantage").
 * UP with the time from the connect to the server's banner.
 */
export const sshMonitor: ServiceMonitor<SshSettings> = {
  name: 'ssh',
  parameters,
  parse: parseSshSettings,
  poll(target, signal) {
    const p = target.settings;

    return converse(target, signal, { port: p.port }, async (conversation) => {
      let banner: string | undefined;
      let before: string | undefined;
      while (banner === undefined) {
        let line: string;
        try {
          line = await conversation.readLine('SSH banner');
        } catch (err) {
          if (err instanceof ConversationFailure && before !== undefined) {
            throw new ConversationFailure(`${err.message} (received ${quoted(before)})`);
          }
          throw err;
        }
        if (line.startsWith('SSH-')) banner = line;
        else before ??= line;
      }
      if (!SSH2_IDENTIFICATION.test(banner)) {
        throw new ConversationFailure(`SSH banner was ${quoted(banner)}, expected SSH-2.0-… or SSH-1.99-…`);
      }
      if (p.banner && !p.banner.test(banner)) {
        throw new ConversationFailure(`SSH banner ${quoted(banner)} did not match ${shownPattern(p.banner)}`);
      }
      conversation.sendLine(p.clientBanner);
    });
  },
};
