import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IpnDelivery } from './ipn-sender';
import type { SandboxMerchant, SandboxOrder } from './orders';

/** Everything the sandbox knows: what 2Checkout keeps for its merchants. */
export interface SandboxState {
  merchants: SandboxMerchant[];
  orders: SandboxOrder[];
  deliveries: IpnDelivery[];
  lastOrderNo: number;
}

const EMPTY: SandboxState = { merchants: [], orders: [], deliveries: [], lastOrderNo: 1000 };
const FORMAT = 1;

/**
 * The sandbox's state in one JSON file, so that merchants, orders and the IPN log outlive a restart, as they do at
 * 2Checkout. Written at most every `delayMs` after a change (and at `flush`), atomically (a new file renamed over
 * the old). No file: the state lives in memory only (tests).
 */
export function createStore(file: string | undefined, delayMs = 200) {
  let timer: NodeJS.Timeout | undefined;
  let current: () => SandboxState = () => EMPTY;

  function load(): SandboxState {
    if (!file) return structuredClone(EMPTY);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY);
      throw err;
    }
    const saved = JSON.parse(text) as { format: number } & SandboxState;
    if (saved.format !== FORMAT) throw new Error(`${file}: unknown sandbox state format ${saved.format}`);
    const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);
    return {
      merchants: saved.merchants,
      orders: saved.orders.map((o) => ({ ...o, createdAt: date(o.createdAt)!, finishedAt: date(o.finishedAt) })),
      deliveries: saved.deliveries,
      lastOrderNo: saved.lastOrderNo,
    };
  }

  function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ format: FORMAT, ...current() }), { mode: 0o600 });
    renameSync(temporary, file);
  }

  return {
    load,
    /** What to write: called at each save, so the store always writes the state as it is then. */
    track(state: () => SandboxState) {
      current = state;
    },
    changed() {
      if (file && !timer) timer = setTimeout(flush, delayMs);
    },
    flush,
  };
}
