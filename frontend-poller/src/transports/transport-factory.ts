import { openHttpTransport } from './http-transport.ts';
import type { TransportFactory } from './transport.ts';
import { openWsTransport } from './ws-transport.ts';

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
