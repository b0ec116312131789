import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, request } from 'undici';

/**
 * HTTP to URLs that merchants choose (webhooks): such a URL must not make this service a proxy into its own network
 * (loopback, private ranges, the cloud metadata address 169.254.169.254, …). The address is checked where the socket
 * is opened, after DNS, so a name that resolved to a public address when the URL was saved and to 127.0.0.1 now
 * (DNS rebinding) is refused too.
 */

/** Why a connection was not opened: the target's address is not public. Its message is safe to show the merchant. */
export class RefusedTargetError extends Error {
  readonly code = 'ERR_REFUSED_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedTargetError';
  }
}

/**
 * Why `address` may not be reached, or undefined when it is public unicast. ipaddr.js names the range;
 * `process` turns IPv4-mapped IPv6 forms (::ffff:127.0.0.1) into the IPv4 address they reach.
 */
export function refusalOf(address: string, host = address): string | undefined {
  if (!ipaddr.isValid(address)) return `${host}: ${address} is not an IP address`;
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return undefined;
  const where = host === address ? address : `${host} resolves to ${address}`;
  return `${where}, which is not a public address (${range}): webhooks go to public addresses only`;
}

/**
 * The `lookup` of net.connect: `resolve` (dns.lookup), failing for a name with any non-public address among its
 * answers. Node asks for one address, or for all of them when it tries IPv6 and IPv4 in turn (autoSelectFamily).
 */
export function publicOnlyLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.map((a) => refusalOf(a.address, hostname)).find((reason) => reason !== undefined);
      if (refused !== undefined) return callback(new RefusedTargetError(refused), '', 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * The dispatcher for requests to merchant URLs. `allowPrivateTargets` turns the check off, for a developer's machine
 * and the tests, whose receivers listen on 127.0.0.1.
 */
export function outboundAgent(opts: { allowPrivateTargets: boolean }): Agent {
  if (opts.allowPrivateTargets) return new Agent();
  const connect = buildConnector({ lookup: publicOnlyLookup() });
  return new Agent({
    connect(options, callback) {
      // Node skips `lookup` for a literal address (http://127.0.0.1/, http://[::1]/): those are checked here.
      const refused = isIP(options.hostname) ? refusalOf(options.hostname) : undefined;
      if (refused !== undefined) return callback(new RefusedTargetError(refused), null);
      connect(options, callback);
    },
  });
}

/** The RefusedTargetError behind a failed request, if that is why it failed. */
export function refusedTargetOf(err: unknown): RefusedTargetError | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof RefusedTargetError) return e;
  return undefined;
}

export interface CappedAnswer {
  readonly status: number;
  /** At most `maxBytes` of the body: the rest is never read (the connection is closed instead). */
  readonly body: Buffer;
}

/**
 * One POST without following redirects (a 3xx is answered as it is), reading at most `maxBytes` of the answer, so
 * an endpoint that answers a gigabyte, or never ends its answer, costs 4 KiB and no wait.
 */
export async function postCapped(
  dispatcher: Agent,
  url: string,
  opts: { headers: Record<string, string>; body: string; signal: AbortSignal; maxBytes: number },
): Promise<CappedAnswer> {
  const res = await request(url, {
    method: 'POST',
    dispatcher,
    headers: opts.headers,
    body: opts.body,
    signal: opts.signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= opts.maxBytes) break; // leaving the loop destroys the body and its connection
  }
  return { status: res.statusCode, body: Buffer.concat(chunks).subarray(0, opts.maxBytes) };
}
