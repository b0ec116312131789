import { parseIpn, serializeIpn, verifyReadReceipt, type IpnField } from '../lib/twocheckout';
import type { SandboxMerchant, SandboxOrder } from './orders';

/**
 * 2Checkout's IPN retry schedule (PROTOCOL.md §1.6): at once; twice more within 5 minutes; four times 15 minutes
 * apart; then hourly until 48 hours after the first attempt. Offsets from the first attempt, in milliseconds.
 */
export function retryOffsetsMs(): number[] {
  const minute = 60_000;
  const offsets = [0, 2.5 * minute, 5 * minute, 20 * minute, 35 * minute, 50 * minute, 65 * minute];
  for (let t = 125 * minute; t <= 48 * 60 * minute; t += 60 * minute) offsets.push(t);
  return offsets;
}

export interface DeliveryAttempt {
  at: string;
  httpStatus: number | null;
  receiptOk: boolean;
  error: string | null;
}

/** One IPN and every attempt to deliver it. */
export interface IpnDelivery {
  id: number;
  refNo: string;
  orderStatus: string;
  ipnDate: string;
  url: string;
  body: string;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: DeliveryAttempt[];
}

/** Sends IPNs like 2Checkout: form-encoded POST, read receipt checked, retried on its schedule (scaled for tests). */
export function createIpnSender(opts: { retryScale: number; fetch: typeof fetch; onChange?: () => void }) {
  const deliveries: IpnDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const offsets = retryOffsetsMs();

  async function attempt(d: IpnDelivery, merchant: SandboxMerchant, fields: IpnField[]) {
    let httpStatus: number | null = null;
    let receiptOk = false;
    let error: string | null = null;
    try {
      const response = await opts.fetch(d.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body: d.body,
        signal: AbortSignal.timeout(30_000),
      });
      httpStatus = response.status;
      const text = await response.text();
      // The listener must answer 200 with a receipt in the algorithm of the strongest signature sent: SHA3-256.
      receiptOk =
        response.status === 200 &&
        verifyReadReceipt(parseIpn(Buffer.from(d.body)), merchant.secretKey, text, 'sha3-256');
      if (!receiptOk)
        error = response.status === 200 ? 'no valid read receipt in the response' : `HTTP ${response.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    d.attempts.push({ at: new Date().toISOString(), httpStatus, receiptOk, error });
    if (receiptOk) d.state = 'delivered';
    else if (d.attempts.length >= offsets.length) d.state = 'failed';
    else
      schedule(d, merchant, fields, (offsets[d.attempts.length]! - offsets[d.attempts.length - 1]!) * opts.retryScale);
    opts.onChange?.();
  }

  function schedule(d: IpnDelivery, merchant: SandboxMerchant, fields: IpnField[], delayMs: number) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(d, merchant, fields);
    }, delayMs);
    timers.add(timer);
  }

  return {
    deliveries,
    /** Queues an IPN for delivery now (or records it as dropped when the merchant is set to drop IPNs). */
    send(merchant: SandboxMerchant, order: SandboxOrder, fields: IpnField[]): IpnDelivery {
      const get = (name: string) =>
        (fields.find((f) => f.name === name && !f.array) as { value: string } | undefined)?.value ?? '';
      const d: IpnDelivery = {
        id: deliveries.length + 1,
        refNo: order.refNo,
        orderStatus: get('ORDERSTATUS'),
        ipnDate: get('IPN_DATE'),
        url: merchant.ipnUrl,
        body: serializeIpn(fields),
        state: merchant.dropIpns ? 'dropped' : 'pending',
        attempts: [],
      };
      deliveries.push(d);
      if (!merchant.dropIpns) schedule(d, merchant, fields, 0);
      opts.onChange?.();
      return d;
    },
    /** Sends a recorded IPN again, as the Control Panel's resend does: same body, a new series of attempts. */
    resend(merchant: SandboxMerchant, order: SandboxOrder, id: number): IpnDelivery | undefined {
      const original = deliveries.find((d) => d.id === id);
      if (!original) return undefined;
      const fields = parseIpn(Buffer.from(original.body)).fields;
      return this.send({ ...merchant, dropIpns: false }, order, [...fields]);
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

export type IpnSender = ReturnType<typeof createIpnSender>;
