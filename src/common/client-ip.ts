// The client's address under TRUST_PROXY, by the rule Express applies to REST (`trust proxy`, through the same
// proxy-addr), so a socket's handshake and a request from one client agree on its IP.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config/environment.js';

export type TrustFunction = (address: string, hop: number) => boolean;

/** `false`: the peer is the client. A hop count: that many proxies are trusted. A list: those addresses/CIDRs are. */
export function trustFunction(trust: TrustProxy): TrustFunction {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The peer address, or, behind trusted proxies, the right-most X-Forwarded-For entry they did not write. */
export function clientIp(request: IncomingMessage, trust: TrustFunction): string {
  return proxyaddr(request, trust);
}
