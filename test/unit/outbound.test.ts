import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { publicOnlyLookup, RefusedTargetError, refusalOf } from '../../lib/outbound';
import { newWebhookSecret, webhookSignature } from '../../lib/webhooks';

describe('Which addresses webhooks may reach (lib/outbound.ts)', () => {
  it('When an address is loopback, private, link-local, metadata, reserved or an IPv6 form of one, then it is refused with its range; public unicast is allowed', () => {
    const ranges = Object.fromEntries(
      [
        '127.0.0.1',
        '127.1.2.3',
        '::1',
        '::ffff:127.0.0.1',
        '::ffff:7f00:1',
        '0.0.0.0',
        '::',
        '10.1.2.3',
        '172.16.0.1',
        '192.168.1.1',
        '100.64.0.1',
        '169.254.169.254',
        'fe80::1',
        'fd00::1',
        'fc00::1',
        '224.0.0.1',
        'ff02::1',
        '255.255.255.255',
        '192.0.2.1',
        '2001:db8::1',
        '2002:7f00:1::',
        '64:ff9b::7f00:1',
        '8.8.8.8',
        '93.184.216.34',
        '2606:4700:4700::1111',
      ].map((ip) => [ip, refusalOf(ip)?.match(/\((\w+)\)/)?.[1] ?? 'allowed']),
    );
    expect(ranges).toEqual({
      '127.0.0.1': 'loopback',
      '127.1.2.3': 'loopback',
      '::1': 'loopback',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '0.0.0.0': 'unspecified',
      '::': 'unspecified',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '192.168.1.1': 'private',
      '100.64.0.1': 'carrierGradeNat',
      '169.254.169.254': 'linkLocal',
      'fe80::1': 'linkLocal',
      'fd00::1': 'uniqueLocal',
      'fc00::1': 'uniqueLocal',
      '224.0.0.1': 'multicast',
      'ff02::1': 'multicast',
      '255.255.255.255': 'broadcast',
      '192.0.2.1': 'reserved',
      '2001:db8::1': 'reserved',
      '2002:7f00:1::': '6to4',
      '64:ff9b::7f00:1': 'rfc6052',
      '8.8.8.8': 'allowed',
      '93.184.216.34': 'allowed',
      '2606:4700:4700::1111': 'allowed',
    });
  });

  it('When a name resolves, then the connection gets its addresses only if every one is public', async () => {
    const dns: Record<string, LookupAddress[]> = {
      'shop.example': [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      'rebound.example': [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    };
    const resolve = ((host: string, _options: unknown, cb: (e: Error | null, a: LookupAddress[]) => void) =>
      cb(null, dns[host]!)) as unknown as typeof dnsLookup;
    const lookup = publicOnlyLookup(resolve);
    const ask = (host: string, all: boolean) =>
      new Promise((resolve) => lookup(host, { all }, (err, ...answer) => resolve(err ?? answer)));

    expect(await ask('shop.example', true)).toEqual([dns['shop.example']]);
    expect(await ask('shop.example', false)).toEqual(['93.184.216.34', 4]);
    const refused = await ask('rebound.example', false);
    expect(refused).toBeInstanceOf(RefusedTargetError);
    expect((refused as Error).message).toBe(
      'rebound.example resolves to 127.0.0.1, which is not a public address (loopback): webhooks go to public addresses only',
    );
  });
});

describe('Webhook signatures (lib/webhooks.ts)', () => {
  it('When the Standard Webhooks test vector is signed, then the signature is the published one', () => {
    // from the Standard Webhooks reference libraries' tests
    expect(
      webhookSignature(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('When two secrets sign, then the header has one v1 per secret, space-separated, the current one first', () => {
    const [now, old] = [newWebhookSecret(), newWebhookSecret()];
    const one = webhookSignature(now, 'evt_1', 1795939200, '{}');
    const two = webhookSignature([now, old], 'evt_1', 1795939200, '{}');
    expect(two).toBe(`${one} ${webhookSignature(old, 'evt_1', 1795939200, '{}')}`);
  });

  it('When a secret is made, then it is whsec_ and standard base64 of 24 bytes, as Standard Webhooks libraries read it', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
  });
});
