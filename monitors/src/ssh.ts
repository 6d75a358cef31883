import type { ServiceMonitor } from './monitor.ts';
import { portParam, readParams } from './params.ts';
import {
  ConversationFailure,
  bannerParam,
  converse,
  lineParam,
  quoted,
  shownPattern,
} from './line-conversation.ts';

const DEFAULT_CLIENT_BANNER = 'SSH-2.0-Vantage';

/** The protocol versions a current client can speak to (RFC 4253; 1.99 is a server that also speaks 1.x). */
const SSH2_IDENTIFICATION = /^SSH-(?:2\.0|1\.99)-/;

interface SshParams {
  port: number;
  banner: RegExp | undefined;
  clientBanner: string;
}

function readSshParams(params: Readonly<Record<string, string>>): SshParams {
  return {
    port: portParam(params, 'port', 22),
    // OpenNMS: the deprecated "match" wins over "banner".
    banner: bannerParam(params, 'match') ?? bannerParam(params, 'banner'),
    clientBanner: lineParam(params, 'client-banner') ?? DEFAULT_CLIENT_BANNER,
  };
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
export const sshMonitor: ServiceMonitor = {
  name: 'ssh',
  poll(target, signal) {
    const parsed = readParams(() => readSshParams(target.params));
    if (!parsed.ok) return Promise.resolve(parsed.outcome);
    const p = parsed.value;

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
