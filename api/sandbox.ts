import type { MerchantRow } from '../lib/merchants';
import { openMerchant } from '../lib/merchants';
import type { ApiDeps } from './deps';
import { ipnUrlOf } from './views';

/**
 * Tells the local 2Checkout sandbox about a merchant whose test setup is `sandbox` (code, Secret Key, Buy-link Secret Word, IPN URL), as
 * a merchant would enter them in 2Checkout's Control Panel. Returns a warning when the sandbox cannot be reached.
 */
export async function registerInSandbox(deps: ApiDeps, row: MerchantRow): Promise<string | undefined> {
  if (row.twocheckout_environment !== 'sandbox' || !deps.config.sandboxEnabled) return undefined;
  const m = openMerchant(row, deps.secretBox, false); // the sandbox is only ever the test setup
  try {
    const response = await deps.fetch(`${deps.config.sandboxUrl}/api/merchants/${encodeURIComponent(m.merchantCode)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: m.name,
        secretKey: m.secretKey,
        buyLinkSecretWord: m.buyLinkSecretWord,
        ipnUrl: ipnUrlOf(deps.config.publicUrl, m.id),
      }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return undefined;
  } catch (err) {
    deps.log('could not register the merchant in the 2Checkout sandbox', { merchantId: m.id, error: String(err) });
    return `The 2Checkout sandbox at ${deps.config.sandboxUrl} could not be reached; save the merchant again once it runs.`;
  }
}
