import { openHttpTransport } from './http-transport.ts';
import { verificationOption, type ServerVerification } from './server-verification.ts';
import type { ServerTransportFactory, TransportFactory } from './transport.ts';
import { openWsTransport } from './ws-transport.ts';

/** One factory for every server of the list: each server gets its own (checked once, up front). */
export function transportFactoryForServers(servers: readonly string[], verification: ServerVerification = { mode: 'system' }): ServerTransportFactory {
  const byServer = new Map(servers.map((server) => [server, transportFactoryFor(server, verification)]));
  return (server, credentials) => {
    const factory = byServer.get(server);
    if (!factory) throw new Error(`${server} is not one of this poller's servers`);
    return factory(credentials);
  };
}

/**
 * ws(s):// speaks WebSocket, http(s):// speaks `POST /rpc`; anything else is a
 * mistake in --server. A CA or a pinned fingerprint only means something over
 * TLS: with a plain URL it is refused rather than silently ignored.
 */
export function transportFactoryFor(server: string, verification: ServerVerification = { mode: 'system' }): TransportFactory {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`--server "${server}" is not a URL; expected wss://HOST:8980/rpc`);
  }
  const option = verificationOption(verification);
  if (option && (url.protocol === 'ws:' || url.protocol === 'http:')) {
    throw new Error(`${option} needs a wss:// or https:// server, got ${server}`);
  }
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      return async (credentials) => openWsTransport({ url: url.href, credentials, verification });
    case 'http:':
    case 'https:':
      return async (credentials) => openHttpTransport({ url: url.href, credentials, verification });
    default:
      throw new Error(`--server "${server}" must start with wss://, https://, ws:// or http://`);
  }
}
