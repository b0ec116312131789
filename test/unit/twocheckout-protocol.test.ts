import {
  buildDynamicBuyLink,
  buildReadReceipt,
  findReadReceipts,
  IpnParseError,
  makeIpn,
  parseIpn,
  parseRestAuthHeader,
  buildRestAuthHeader,
  returnUrlSignature,
  serializeIpn,
  signIpnFields,
  verifyBuyLink,
  verifyIpnSignature,
  verifyReadReceipt,
  verifyRestAuthHeader,
  type IpnField,
} from '../../lib/twocheckout';
import { fieldsFromObject, vectors } from '../helpers/twocheckout-fixtures';

const KEY = vectors.ipn.secret_key;
const body = (s: string) => Buffer.from(s, 'utf8');
const signed = (fields: IpnField[]) => makeIpn(signIpnFields(fields, KEY));
const replace = (fields: readonly IpnField[], name: string, value: string): IpnField[] =>
  fields.map((f) => (f.name === name && !f.array ? { ...f, value } : f));

describe('parseIpn', () => {
  it('When arrays hold several products, then elements stay grouped at the first position, in order', () => {
    const ipn = parseIpn(body('A=1&IPN_PID[]=10&IPN_PNAME[]=x&IPN_PID%5B%5D=20&IPN_PNAME[]=y+z&B=&'));
    expect(ipn.fields).toEqual([
      { name: 'A', array: false, value: '1' },
      { name: 'IPN_PID', array: true, values: ['10', '20'] },
      { name: 'IPN_PNAME', array: true, values: ['x', 'y z'] },
      { name: 'B', array: false, value: '' },
    ]);
    expect(ipn.get('IPN_PID')).toBe('10');
    expect(ipn.getAll('IPN_PNAME')).toEqual(['x', 'y z']);
    expect(ipn.getAll('MISSING')).toEqual([]);
  });

  it.each([
    ['a repeated scalar', 'REFNO=1&REFNO=2'],
    ['a name used as scalar and array', 'IPN_PID=1&IPN_PID[]=2'],
    ['an indexed array', 'IPN_PID[0]=1'],
    ['an empty name', '=1'],
    ['a malformed escape', 'A=%E2%82'],
    ['a bad percent sign', 'A=50%'],
  ])('When the body has %s, then it is refused as malformed', (_what, raw) => {
    expect(() => parseIpn(body(raw))).toThrow(IpnParseError);
  });

  it('When the raw bytes are not UTF-8, then it is refused', () => {
    expect(() => parseIpn(Buffer.from([0x41, 0x3d, 0xff]))).toThrow(IpnParseError);
  });
});

describe('verifyIpnSignature', () => {
  const fields = fieldsFromObject(vectors.ipn.fields_in_wire_order);

  it('When a signed field is changed, then the strongest signature fails', () => {
    const tampered = makeIpn(replace(fields, 'IPN_TOTALGENERAL', '0.49'));
    expect(verifyIpnSignature(tampered, KEY, { allowMd5: true })).toEqual({
      ok: false,
      reason: 'bad_signature',
      algorithm: 'sha3-256',
    });
  });

  it('When SHA3 is wrong but SHA-256 and MD5 are right, then it still fails: no downgrade', () => {
    const ipn = makeIpn(replace(fields, 'SIGNATURE_SHA3_256', '0'.repeat(64)));
    expect(verifyIpnSignature(ipn, KEY, { allowMd5: true })).toMatchObject({ ok: false, algorithm: 'sha3-256' });
  });

  it('When SIGNATURE_SHA3_256 is sent empty, then the strongest non-empty one decides, as the PHP SDK and WHMCS do', () => {
    const emptySha3 = makeIpn(replace(fields, 'SIGNATURE_SHA3_256', ''));
    expect(verifyIpnSignature(emptySha3, KEY, { allowMd5: false })).toEqual({ ok: true, algorithm: 'sha256' });
    const onlyHash = makeIpn(replace(replace(fields, 'SIGNATURE_SHA3_256', ''), 'SIGNATURE_SHA2_256', ''));
    expect(verifyIpnSignature(onlyHash, KEY, { allowMd5: false })).toMatchObject({ reason: 'md5_not_allowed' });
    const none = replace(replace(replace(fields, 'SIGNATURE_SHA3_256', ''), 'SIGNATURE_SHA2_256', ''), 'HASH', '');
    expect(verifyIpnSignature(makeIpn(none), KEY, { allowMd5: true })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('When only HASH is present and MD5 is not allowed, then it is refused as md5_not_allowed', () => {
    const md5Only = makeIpn(fields.filter((f) => !f.name.startsWith('SIGNATURE_')));
    expect(verifyIpnSignature(md5Only, KEY, { allowMd5: false })).toEqual({
      ok: false,
      reason: 'md5_not_allowed',
      algorithm: 'md5',
    });
    expect(verifyIpnSignature(md5Only, KEY, { allowMd5: true })).toEqual({ ok: true, algorithm: 'md5' });
  });

  it('When no signature is present, or it is truncated, upper-case or keyed differently, then the verdict says so', () => {
    const unsigned = fields.filter((f) => f.name !== 'HASH' && !f.name.startsWith('SIGNATURE_'));
    expect(verifyIpnSignature(makeIpn(unsigned), KEY, { allowMd5: true })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    const sha3 = vectors.ipn.SIGNATURE_SHA3_256_hmac_sha3_256;
    const only = (value: string) => makeIpn([...unsigned, { name: 'SIGNATURE_SHA3_256', array: false, value }]);
    expect(verifyIpnSignature(only(sha3.slice(0, 63)), KEY, { allowMd5: false })).toMatchObject({ ok: false });
    expect(verifyIpnSignature(only(sha3.toUpperCase()), KEY, { allowMd5: false })).toEqual({
      ok: true,
      algorithm: 'sha3-256',
    });
    expect(verifyIpnSignature(only(sha3), 'another key', { allowMd5: false })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('When an IPN is signed and serialised like the sandbox will, then it parses and verifies with all three last', () => {
    const own = signIpnFields(fieldsFromObject({ REFNO: '1', FIRSTNAME: 'Jürgen 山田', IPN_PID: ['1', '2'] }), KEY);
    expect(own.slice(-3).map((f) => f.name)).toEqual(['HASH', 'SIGNATURE_SHA2_256', 'SIGNATURE_SHA3_256']);
    const ipn = parseIpn(body(serializeIpn(own)));
    expect(verifyIpnSignature(ipn, KEY, { allowMd5: false })).toEqual({ ok: true, algorithm: 'sha3-256' });
  });
});

describe('read receipts', () => {
  const ipn = signed(fieldsFromObject({ IPN_PID: ['7'], IPN_PNAME: ['Счёт'], IPN_DATE: '20240115122512' }));
  const at = new Date(Date.UTC(2024, 0, 15, 12, 25, 30));

  it('When a receipt sits anywhere in a body, then it is found and verifies only in its own algorithm', () => {
    const receipt = buildReadReceipt(ipn, KEY, 'sha3-256', at);
    const page = `<html>ok ${receipt} thanks</html>`;
    expect(findReadReceipts(page)).toEqual([
      { algorithm: 'sha3-256', date: '20240115122530', hash: expect.any(String) },
    ]);
    expect(verifyReadReceipt(ipn, KEY, page, 'sha3-256')).toBe(true);
    expect(verifyReadReceipt(ipn, KEY, page, 'sha256')).toBe(false);
    expect(verifyReadReceipt(ipn, 'wrong', page, 'sha3-256')).toBe(false);
    expect(verifyReadReceipt(ipn, KEY, '<EPAYMENT>Error. Cannot verify signature.</EPAYMENT>', 'md5')).toBe(false);
  });
});

describe('buy links', () => {
  const secretWord = vectors.buy_link.buy_link_secret_word;
  const now = new Date(Date.UTC(2026, 0, 1));
  const link = buildDynamicBuyLink({
    baseUrl: 'http://127.0.0.1:3100/checkout/buy/',
    merchantCode: '250000000001',
    buyLinkSecretWord: secretWord,
    items: [
      { name: 'Test product', price: '50.00', quantity: 1 },
      { name: 'Shipping box', price: '5.50', quantity: 2, tangible: true },
    ],
    currency: 'RUB',
    orderExtRef: 'inv_1',
    returnUrl: 'http://127.0.0.1:3000/return?invoice=inv_1',
    expiresAt: new Date(now.getTime() + 3_600_000),
    test: true,
  });
  const query = () => new URL(link).searchParams;

  it('When a dynamic link is built, then it is locked, signed and verifies with its items joined by ";"', () => {
    const result = verifyBuyLink(query(), secretWord, now);
    expect(result).toMatchObject({
      ok: true,
      params: {
        prod: 'Test product;Shipping box',
        price: '50.00;5.50',
        qty: '1;2',
        tangible: '0;1',
        lock: '1',
        test: '1',
      },
    });
  });

  it('When a signed parameter is changed, then the link is refused; when an unsigned one is, then it still verifies', () => {
    const q = query();
    q.set('price', '0.50;5.50');
    expect(verifyBuyLink(q, secretWord, now)).toEqual({ ok: false, reason: 'bad_signature' });
    const u = query();
    u.set('language', 'ru');
    expect(verifyBuyLink(u, secretWord, now)).toMatchObject({ ok: true });
  });

  it('When the link is past its expiration, or the Secret Word is wrong, or it is unsigned, then it is refused', () => {
    expect(verifyBuyLink(query(), secretWord, new Date(now.getTime() + 3_600_001))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyBuyLink(query(), 'other word', now)).toEqual({ ok: false, reason: 'bad_signature' });
    const q = query();
    q.delete('signature');
    expect(verifyBuyLink(q, secretWord, now)).toEqual({ ok: false, reason: 'missing_signature' });
    const dup = query();
    dup.append('price', '1');
    expect(verifyBuyLink(dup, secretWord, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('When the return redirect is signed, then every parameter but the signature is covered', () => {
    const params = { refno: '123', 'order-ext-ref': 'inv_1', test: '1' };
    expect(returnUrlSignature(params, secretWord)).toBe(returnUrlSignature({ ...params, signature: 'x' }, secretWord));
    expect(returnUrlSignature(params, secretWord)).not.toBe(returnUrlSignature({ ...params, test: '0' }, secretWord));
  });

  it('When an item name contains the ";" separator, then the link is not built', () => {
    expect(() =>
      buildDynamicBuyLink({
        merchantCode: 'M',
        buyLinkSecretWord: 'w',
        items: [{ name: 'a;b', price: '1.00', quantity: 1 }],
        currency: 'USD',
        orderExtRef: 'inv',
        expiresAt: now,
      }),
    ).toThrow(RangeError);
  });
});

describe('REST authentication', () => {
  const a = vectors.api_auth;
  const now = new Date(Date.UTC(2024, 0, 15, 12, 30, 0));
  const secretKeyFor = (code: string) => (code === a.merchant_code ? a.secret_key : undefined);
  const opts = { secretKeyFor, now, maxSkewMs: 10 * 60_000 };

  it.each(['sha3-256', 'sha256', 'md5'] as const)('When a %s header is sent, then it verifies', (algorithm) => {
    const header = buildRestAuthHeader({ merchantCode: a.merchant_code, secretKey: a.secret_key, now, algorithm });
    expect(verifyRestAuthHeader(header, opts)).toEqual({ ok: true, merchantCode: a.merchant_code, algorithm });
  });

  it('When the Node SDK single-quoted form is sent, then it parses', () => {
    expect(parseRestAuthHeader(`code='C' date='2024-01-15 12:30:00' hash='ab'`)).toEqual({
      code: 'C',
      date: '2024-01-15 12:30:00',
      hash: 'ab',
      algorithm: 'md5',
    });
  });

  it('When the header is missing, unknown, stale, wrongly keyed or of an unknown algo, then it is refused with a reason', () => {
    const header = buildRestAuthHeader({ merchantCode: a.merchant_code, secretKey: a.secret_key, now });
    expect(verifyRestAuthHeader(undefined, opts)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyRestAuthHeader(header.replace('sha3-256', 'sha1'), opts)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyRestAuthHeader(header, { ...opts, secretKeyFor: () => undefined })).toEqual({
      ok: false,
      reason: 'unknown_merchant',
    });
    expect(verifyRestAuthHeader(header, { ...opts, now: new Date(now.getTime() + 11 * 60_000) })).toEqual({
      ok: false,
      reason: 'stale_date',
    });
    expect(verifyRestAuthHeader(header, { ...opts, secretKeyFor: () => 'other' })).toEqual({
      ok: false,
      reason: 'bad_hash',
    });
  });
});
