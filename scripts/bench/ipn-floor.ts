/**
 * The floor of IPN receipt: a bare node:http handler that does only what cannot be skipped — parse the raw body,
 * verify the signature, insert the row, answer the read receipt — with the Secret Key in memory and one `pg` pool.
 * The api's figures are compared with this one's under the same traffic (npm run bench, scenario ipn).
 * Env: DATABASE_URL, PORT, SECRET_KEY.
 */
import { createServer } from 'node:http';
import { Pool } from 'pg';
import { buildReadReceipt, IpnParseError, parseIpn, verifyIpnSignature } from '../../lib/twocheckout';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const secretKey = process.env.SECRET_KEY ?? '';

async function main() {
  await pool.query(`create table if not exists bench_ipn_floor (
    id bigserial primary key,
    raw_body bytea not null,
    dedup_key text not null unique,
    received_at timestamptz not null default now())`);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let answer: Promise<[number, string]>;
      try {
        const ipn = parseIpn(raw);
        const verdict = verifyIpnSignature(ipn, secretKey, { allowMd5: false });
        answer = !verdict.ok
          ? Promise.resolve([400, verdict.reason])
          : pool
              .query('insert into bench_ipn_floor (raw_body, dedup_key) values ($1, $2) on conflict do nothing', [
                raw,
                `${ipn.get('REFNO')}:${ipn.get('ORDERSTATUS')}:${ipn.get('IPN_DATE')}`,
              ])
              .then(() => [200, buildReadReceipt(ipn, secretKey, verdict.algorithm, new Date())]);
      } catch (err) {
        if (!(err instanceof IpnParseError)) throw err;
        answer = Promise.resolve([400, 'malformed']);
      }
      answer.then(
        ([status, body]) => res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body),
        () => res.writeHead(503).end('unavailable'),
      );
    });
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log('floor: listening'));
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
