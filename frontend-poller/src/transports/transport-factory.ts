import { openHttpTransport } from './http-transport.ts';
import type { ServerTransportFactory, TransportFactory } from './transport.ts';
import { openWsTransport } from './ws-transport.ts';

/** One factory for every server of the list: each server gets its own (checked once, up front). */
export function transportFactoryForServers(servers: readonly string[]): ServerTransportFactory {
  const byServer = new Map(servers.map((server) => [server, transportFactoryFor(server)]));
  return (server, credentials) => {
    const factory = byServer.get(server);
    if (!factory) throw new Error(`${server} is not one of this poller's servers`);
    return factory(credentials);
  };
}

/** ws(s):// speaks WebSocket, http(s):// speaks `POST /rpc`; anything else is a mistake in --server. */
export function transportFactoryFor(server: string): TransportFactory {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`--server "${server}" is not a URL; expected ws://HOST:8980/rpc`);
  }
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      return async (credentials) => openWsTransport({ url: url.href, credentials });
    case 'http:':
    case 'https:':
      return async (credentials) => openHttpTransport({ url: url.href, credentials });
    default:
      throw new Error(`--server "${server}" must start with ws://, wss://, http:// or https://`);
  }
}
