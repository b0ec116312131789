// A shop's webhook endpoint, the smallest that is right: it checks the signature on the raw bytes, answers 2xx once
// the event is taken, handles each event id once, and fulfils an order on `invoice.paid` (sent once per invoice).
// Run: WEBHOOK_SECRET=whsec_… node docs/snippets/webhook-receiver.mjs   (PORT, default 4242)
import { createServer } from 'node:http';
import { verify } from './verify-webhook.mjs';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error('Set WEBHOOK_SECRET to the whsec_… secret shown when the webhook URL was set');
const seen = new Set(); // a real shop keeps these in its database, with the fulfilment, in one transaction

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks);
    if (!verify(req.headers, rawBody, secret)) {
      res.writeHead(400).end('bad signature');
      return;
    }
    const event = JSON.parse(rawBody.toString('utf8'));
    if (!seen.has(event.id)) {
      seen.add(event.id);
      const { invoice, previousStatus } = event.data;
      console.log(`verified ${event.type} ${event.id}: ${invoice.id} ${previousStatus ?? 'new'} → ${invoice.status}`);
      if (event.type === 'invoice.paid') console.log(`fulfil ${invoice.externalId ?? invoice.id}`);
    }
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 4242), '127.0.0.1', () => console.log('listening'));
