import { createLogger, logFunction, scrubUrl } from '../../lib/logger';

/** A pino destination that keeps every line. */
function memory() {
  const lines: string[] = [];
  return { lines, destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) } };
}

describe('the JSON logger', () => {
  it('When code logs objects holding secrets and card data, nested up to four levels deep, then each value is [redacted]', () => {
    const { lines, destination } = memory();
    const log = logFunction(createLogger({ name: 'test', destination }));

    log('merchant saved', {
      apiKey: 'sk_top_level_key',
      body: {
        name: 'Shop',
        twocheckout: { secretKey: 'nested-secret-key', buyLinkSecretWord: 'nested-buy-link-word' },
      },
      req: { headers: { authorization: 'Bearer sk_header_key', cookie: 'session=s%3Asigned', 'set-cookie': 'x' } },
      webhook: { webhookSecret: 'whsec_abc', settings: { deep: { deeper: { password: 'hunter2', token: 'tok_1' } } } },
      payment: { card: '4111111111111111', cvv: '123', expiry: '12/30' },
    });

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      hostname: expect.any(String),
      name: 'test',
      msg: 'merchant saved',
      apiKey: '[redacted]',
      body: { name: 'Shop', twocheckout: { secretKey: '[redacted]', buyLinkSecretWord: '[redacted]' } },
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', 'set-cookie': '[redacted]' } },
      webhook: {
        webhookSecret: '[redacted]',
        settings: { deep: { deeper: { password: '[redacted]', token: '[redacted]' } } },
      },
      payment: { card: '[redacted]', cvv: '[redacted]', expiry: '[redacted]' },
    });
  });

  it('When a line carries an error, then it is a warning; below the configured level nothing is written', () => {
    const { lines, destination } = memory();
    const log = logFunction(createLogger({ name: 'test', level: 'warn', destination }));

    log('all fine');
    log('IPN could not be stored', { error: 'connection refused' });

    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'IPN could not be stored', error: 'connection refused' }),
    ]);
  });

  it('When a URL carries a card or a key in its query string, then only those values are scrubbed', () => {
    expect(scrubUrl('/checkout/pay?link=a%3Db&card=4111111111111111&CVV=123&expiry=12%2F30')).toBe(
      '/checkout/pay?link=a%3Db&card=%5Bredacted%5D&CVV=%5Bredacted%5D&expiry=%5Bredacted%5D',
    );
    expect(scrubUrl('/v1/invoices?status=paid&limit=1')).toBe('/v1/invoices?status=paid&limit=1');
    expect(scrubUrl('/dashboard/login?apiKey=sk_x')).toBe('/dashboard/login?apiKey=%5Bredacted%5D');
  });
});
