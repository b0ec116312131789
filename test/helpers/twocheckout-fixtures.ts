import vectors from '../fixtures/twocheckout/vectors.json';
import nodeSdkIpn from '../fixtures/twocheckout/node-sdk-ipn.json';
import rubySdkIpn from '../fixtures/twocheckout/ruby-sdk-ipn.json';
import phpSdkJwt from '../fixtures/twocheckout/php-sdk-jwt.json';
import type { IpnField } from '../../lib/twocheckout';

export { vectors, nodeSdkIpn, rubySdkIpn, phpSdkJwt };

/** IPN fields from an object whose array values are `NAME[]` fields (vectors.json's shape), in key order. */
export function fieldsFromObject(obj: Record<string, string | string[]>): IpnField[] {
  return Object.entries(obj).map(([name, v]) =>
    Array.isArray(v) ? { name, array: true, values: v } : { name, array: false, value: v },
  );
}

/** IPN fields from the SDK fixtures' `[name, value]` / `[name, values, true]` tuples. */
export function fieldsFromTuples(tuples: readonly (readonly unknown[])[]): IpnField[] {
  return tuples.map((t) =>
    t[2] === true
      ? { name: String(t[0]), array: true, values: t[1] as string[] }
      : { name: String(t[0]), array: false, value: String(t[1]) },
  );
}
