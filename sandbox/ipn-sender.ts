import { parseIpn, verifyReadReceipt } from '../lib/twocheckout';
import type { SandboxMerchant } from './orders';

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

/** One IPN and every attempt to deliver it. Plain data: the sandbox keeps it across restarts. */
export interface IpnDelivery {
  id: number;
  merchantCode: string;
  refNo: string;
  orderStatus: string;
  ipnDate: string;
  url: string;
  body: string;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  /** When the first attempt was due: the retry schedule counts from it. */
  firstDueAt: string;
  attempts: DeliveryAttempt[];
}

/** Sends IPNs like 2Checkout: form-encoded POST, read receipt checked, retried on its schedule (scaled for tests). */
export function createIpnSender(opts: {
  retryScale: number;
  fetch: typeof fetch;
  clock: () => Date;
  merchant: (merchantCode: string) => SandboxMerchant | undefined;
  /** Every change of a delivery (for the sandbox's state file). */
  onChange?: () => void;
  deliveries?: IpnDelivery[];
}) {
  const deliveries: IpnDelivery[] = opts.deliveries ?? [];
  const timers = new Set<NodeJS.Timeout>();
  const offsets = retryOffsetsMs();

  async function attempt(d: IpnDelivery) {
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
      // 200 with a valid receipt: `<sig algo="sha256" …>` or `<sig algo="sha3-256" …>` (PROTOCOL.md §1.5). MD5's
      // `<EPAYMENT>` no longer counts: 2Checkout retired MD5 for IPNs on 15 August 2024.
      const secretKey = opts.merchant(d.merchantCode)?.secretKey ?? '';
      const ipn = parseIpn(Buffer.from(d.body));
      receiptOk =
        response.status === 200 &&
        (verifyReadReceipt(ipn, secretKey, text, 'sha3-256') || verifyReadReceipt(ipn, secretKey, text, 'sha256'));
      if (!receiptOk)
        error = response.status === 200 ? 'no valid read receipt in the response' : `HTTP ${response.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    d.attempts.push({ at: opts.clock().toISOString(), httpStatus, receiptOk, error });
    if (receiptOk) d.state = 'delivered';
    else if (d.attempts.length >= offsets.length) d.state = 'failed';
    else schedule(d);
    opts.onChange?.();
  }

  /** The next attempt of a pending delivery, on the schedule counted from its first attempt. */
  function schedule(d: IpnDelivery) {
    const due = Date.parse(d.firstDueAt) + offsets[d.attempts.length]! * opts.retryScale;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        void attempt(d);
      },
      Math.max(0, due - opts.clock().getTime()),
    );
    timers.add(timer);
  }

  // Deliveries still pending when the sandbox stopped go on where they were.
  for (const d of deliveries) if (d.state === 'pending') schedule(d);

  return {
    deliveries,
    /** Queues an IPN for delivery now (or records it as dropped when the merchant is set to drop IPNs). */
    send(
      merchant: SandboxMerchant,
      ipn: { refNo: string; orderStatus: string; ipnDate: string; body: string },
      opts2: { drop?: boolean } = {},
    ): IpnDelivery {
      const drop = opts2.drop ?? merchant.dropIpns;
      const d: IpnDelivery = {
        id: deliveries.length + 1,
        merchantCode: merchant.merchantCode,
        ...ipn,
        url: merchant.ipnUrl,
        state: drop ? 'dropped' : 'pending',
        firstDueAt: opts.clock().toISOString(),
        attempts: [],
      };
      deliveries.push(d);
      if (!drop) schedule(d);
      opts.onChange?.();
      return d;
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

export type IpnSender = ReturnType<typeof createIpnSender>;
