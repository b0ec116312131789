import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import {
  apiKeyListResponse,
  apiKeyResponse,
  createdApiKeyResponse,
  errorResponse,
  merchantAccessResponse,
  replacedApiKeysResponse,
  settingsChangeListResponse,
} from '../../api/schemas';
import { checkApiKey } from '../../lib/api-keys';
import { migrationSource } from '../../lib/db';
import { hashApiKey } from '../../lib/ids';
import { dashboardClient } from '../helpers/dashboard';
import { createTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

/** Parsing strips keys a schema does not know: equal means valid and nothing undocumented. */
const conforms = (schema: z.ZodType, json: unknown) => expect(schema.parse(json)).toEqual(json);

describe('API keys: rotated with an overlap, revoked at once; merchants disabled by the admin', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  let n = 0;
  const newMerchant = async () => {
    n += 1;
    const secretKey = `keys-secret-${n}`;
    return { ...(await stack.newMerchant(`KEYS${n}`, secretKey)), secretKey };
  };
  const me = (token: string) => stack.call('GET', '/v1/merchant', { token });
  const keysOf = async (token: string) => {
    const list = await stack.call('GET', '/v1/merchant/api-keys', { token });
    expect(list.status).toBe(200);
    conforms(apiKeyListResponse, list.json);
    return list.json.data as { id: string; prefix: string; state: string; current: boolean; revokedAt: unknown }[];
  };
  const rotate = (token: string, body?: unknown) =>
    stack.call('POST', '/v1/merchant/api-keys', { token, ...(body !== undefined && { body }) });
  const revoke = (token: string, id: string) => stack.call('DELETE', `/v1/merchant/api-keys/${id}`, { token });
  const admin = (path: string, body?: unknown) =>
    stack.call('POST', path, { token: ADMIN_TOKEN, ...(body !== undefined && { body }) });

  it('When a key is rotated, then both keys work during the overlap, the new one is shown once, and the old one expires when it ends', async () => {
    const m = await newMerchant();
    const [first] = await keysOf(m.apiKey);
    expect(first).toMatchObject({ state: 'active', current: true, prefix: m.apiKey.slice(0, 12) });

    const rotated = await rotate(m.apiKey);
    expect(rotated.status).toBe(201);
    conforms(createdApiKeyResponse, rotated.json);
    const second = rotated.json.apiKey as string;
    expect(second).toMatch(/^sk_test_[A-Za-z0-9_-]{32}$/);
    expect(rotated.json).toMatchObject({
      state: 'active',
      current: false,
      expiresAt: null,
      prefix: second.slice(0, 12),
    });
    expect(rotated.json.previousKey).toMatchObject({ id: first!.id, state: 'expiring', current: true });
    // the default overlap: a day
    const overlapMs = Date.parse(rotated.json.previousKey.expiresAt) - Date.parse(rotated.json.createdAt);
    expect(Math.round(overlapMs / 1000)).toBe(86_400);

    // Both work, each seen as itself; the list never holds a key.
    expect((await me(m.apiKey)).json).toMatchObject({ id: m.merchantId, apiKeyPrefix: m.apiKey.slice(0, 12) });
    expect((await me(second)).json).toMatchObject({ id: m.merchantId, apiKeyPrefix: second.slice(0, 12) });
    const listed = await stack.call('GET', '/v1/merchant/api-keys', { token: second });
    expect(
      listed.json.data.map((k: { id: string; state: string; current: boolean }) => [k.id, k.state, k.current]),
    ).toEqual([
      [rotated.json.id, 'active', true],
      [first!.id, 'expiring', false],
    ]);
    expect(listed.text).not.toContain(m.apiKey);
    expect(listed.text).not.toContain(second);

    // The end of the overlap, reached through the endpoint: the old key rotates again with no overlap left.
    const third = await rotate(m.apiKey, { expireCurrentIn: 0 });
    expect(third.status).toBe(201);
    expect(third.json.previousKey).toMatchObject({ id: first!.id, state: 'expired' });
    const refused = await me(m.apiKey);
    expect(refused.status).toBe(401);
    conforms(errorResponse, refused.json);
    expect(refused.json.error).toEqual({
      code: 'unauthorized',
      message: 'This API key has expired (it was rotated): use the newer key',
      docUrl: `${stack.apiUrl}/docs/errors#unauthorized`,
      requestId: refused.headers.get('x-request-id'),
    });
    expect((await me(second)).status).toBe(200);
    expect((await me(third.json.apiKey)).status).toBe(200);

    // Logged and audited by id and prefix, never the key.
    const logged = stack.logs.filter((l) => l.message === 'API key rotated' && l.fields?.merchantId === m.merchantId);
    expect(logged.map((l) => l.fields?.previousKeyId)).toEqual([first!.id, first!.id]);
    expect(JSON.stringify(stack.logs)).not.toContain(second);
    const audited = await stack.db('merchant_settings_changes').where({ merchant_id: m.merchantId }).orderBy('id');
    expect(audited.filter((a) => a.fields.includes('testApiKeys')).map((a) => [a.actor_type, a.actor])).toEqual([
      ['api_key', `${first!.id} (${m.apiKey.slice(0, 12)})`],
      ['api_key', `${first!.id} (${m.apiKey.slice(0, 12)})`],
    ]);
    const firstName = `${first!.id} (${m.apiKey.slice(0, 12)})`;
    expect(audited.find((a) => a.fields.includes('testApiKeys'))!.changes).toEqual({
      testApiKeys: {
        from: firstName,
        to: `${firstName} until ${rotated.json.previousKey.expiresAt}, ${rotated.json.id} (${second.slice(0, 12)})`,
      },
    });
    expect(JSON.stringify(audited)).not.toContain(second);
    conforms(
      settingsChangeListResponse,
      (await stack.call('GET', '/v1/merchant/settings-changes', { token: second })).json,
    );
  });

  it('When an expiring key rotates again with a longer overlap, then its expiry stays where it was', async () => {
    const m = await newMerchant();
    const once = await rotate(m.apiKey, { expireCurrentIn: 3600 });
    const again = await rotate(m.apiKey, { expireCurrentIn: 7 * 86400 });
    expect(again.status).toBe(201);
    expect(again.json.previousKey.expiresAt).toBe(once.json.previousKey.expiresAt);
  });

  it('When a key is used, then its last use is recorded, at most once a minute', async () => {
    const m = await newMerchant();
    const rotated = await rotate(m.apiKey);
    const unused = (await keysOf(m.apiKey)).find((k) => k.id === rotated.json.id);
    expect(unused).toMatchObject({ lastUsedAt: null });
    await me(rotated.json.apiKey);
    const [row] = await stack.db('api_keys').where({ id: rotated.json.id }).pluck('last_used_at');
    expect(row).toBeInstanceOf(Date);
    await me(rotated.json.apiKey);
    expect(await stack.db('api_keys').where({ id: rotated.json.id }).pluck('last_used_at')).toEqual([row]);
  });

  it('When a key is revoked, then it is refused at once, its dashboard sessions end, and the other keys work', async () => {
    const m = await newMerchant();
    const [first] = await keysOf(m.apiKey);
    const second = (await rotate(m.apiKey)).json.apiKey as string;
    const browser = dashboardClient(stack.apiUrl);
    expect((await browser.signIn(m.apiKey)).status).toBe(303);
    expect((await browser.get('/dashboard/invoices')).status).toBe(200);

    const revoked = await revoke(second, first!.id);
    expect(revoked.status).toBe(200);
    conforms(apiKeyResponse, revoked.json);
    expect(revoked.json).toMatchObject({ id: first!.id, state: 'revoked', revokedAt: expect.any(String) });

    const refused = await me(m.apiKey);
    expect([refused.status, refused.json.error]).toEqual([
      401,
      {
        code: 'unauthorized',
        message: 'This API key was revoked',
        docUrl: `${stack.apiUrl}/docs/errors#unauthorized`,
        requestId: refused.headers.get('x-request-id'),
      },
    ]);
    expect((await me(second)).status).toBe(200);
    expect((await browser.get('/dashboard/invoices')).status).toBe(303);
    expect((await dashboardClient(stack.apiUrl).signIn(m.apiKey)).status).toBe(401);
    expect(stack.logs).toContainEqual({
      message: 'API key revoked',
      fields: expect.objectContaining({ merchantId: m.merchantId, keyId: first!.id }),
    });

    // Again: nothing more changes.
    const again = await revoke(second, first!.id);
    expect([again.status, again.json.revokedAt]).toEqual([200, revoked.json.revokedAt]);
  });

  it('When the last key without an expiry would be revoked, then it is refused with 409 and the key keeps working', async () => {
    const m = await newMerchant();
    const [only] = await keysOf(m.apiKey);
    const refused = await revoke(m.apiKey, only!.id);
    expect([refused.status, refused.json.error.code]).toEqual([409, 'last_api_key']);
    expect((await me(m.apiKey)).status).toBe(200);

    // Rotated away, the old key can go; the new one, now the last lasting key, cannot.
    const next = (await rotate(m.apiKey)).json;
    expect((await revoke(next.apiKey, only!.id)).status).toBe(200);
    expect((await revoke(next.apiKey, next.id)).status).toBe(409);
    expect((await me(next.apiKey)).status).toBe(200);
  });

  it("When a merchant names another merchant's key, then it is a 404 and nothing changes", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const [aKey] = await keysOf(a.apiKey);
    await rotate(a.apiKey); // a second key, so a's first could be revoked by a itself
    const before = await stack.db('api_keys').where({ merchant_id: a.merchantId }).orderBy('id');

    const refused = await revoke(b.apiKey, aKey!.id);
    expect([refused.status, refused.json.error.code]).toEqual([404, 'not_found']);
    expect((await keysOf(b.apiKey)).map((k) => k.id)).not.toContain(aKey!.id);
    expect(await stack.db('api_keys').where({ merchant_id: a.merchantId }).orderBy('id')).toEqual(before);
    expect((await me(a.apiKey)).status).toBe(200);
  });

  it('When a revoked key is used by an attacker, then nothing changes: no new key, no revocation, no settings', async () => {
    const m = await newMerchant();
    const [leaked] = await keysOf(m.apiKey);
    const owner = (await rotate(m.apiKey)).json;
    expect((await revoke(owner.apiKey, leaked!.id)).status).toBe(200);
    const before = {
      keys: await stack.db('api_keys').where({ merchant_id: m.merchantId }).orderBy('id'),
      merchant: await stack.db('merchants').where({ id: m.merchantId }).first(),
    };

    for (const attempt of [
      await rotate(m.apiKey, { expireCurrentIn: 0 }),
      await revoke(m.apiKey, owner.id),
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { name: 'Owned' } }),
      await stack.call('GET', '/v1/merchant/api-keys', { token: m.apiKey }),
      await stack.call('POST', '/v1/products', {
        token: m.apiKey,
        body: { name: 'X', price: '1.00', currency: 'RUB' },
      }),
    ]) {
      expect([attempt.status, attempt.json.error.code]).toEqual([401, 'unauthorized']);
    }
    expect({
      keys: await stack.db('api_keys').where({ merchant_id: m.merchantId }).orderBy('id'),
      merchant: await stack.db('merchants').where({ id: m.merchantId }).first(),
    }).toEqual(before);
    expect((await me(owner.apiKey)).status).toBe(200);
  });

  it('When the input is bad, then the answer is a 4xx that says why', async () => {
    const m = await newMerchant();
    for (const body of [
      { expireCurrentIn: -1 },
      { expireCurrentIn: 7 * 86400 + 1 },
      { expireCurrentIn: 1.5 },
      { x: 1 },
    ]) {
      const r = await rotate(m.apiKey, body);
      expect([r.status, r.json.error.code]).toEqual([400, 'invalid_request']);
    }
    for (const id of ['nope', 'key_%00', `key_${'a'.repeat(200)}`]) {
      const r = await revoke(m.apiKey, id);
      expect([r.status, r.json.error.code]).toEqual([400, 'invalid_request']);
    }
    expect((await revoke(m.apiKey, `key_${'0'.repeat(20)}`)).status).toBe(404);
    expect((await keysOf(m.apiKey)).length).toBe(1);
    for (const path of [
      '/v1/merchants/mer_nobody/disable',
      '/v1/merchants/mer_nobody/enable',
      '/v1/merchants/mer_nobody/api-keys/replace',
    ])
      expect((await admin(path)).status).toBe(404);
    expect((await admin(`/v1/merchants/${m.merchantId}/disable`, { reason: 1 })).status).toBe(400);
    expect((await admin(`/v1/merchants/${m.merchantId}/disable`, { reason: 'x', more: 1 })).status).toBe(400);
    for (const path of ['disable', 'enable', 'api-keys/replace'])
      expect((await stack.call('POST', `/v1/merchants/${m.merchantId}/${path}`, { token: m.apiKey })).status).toBe(401);
    expect((await me(m.apiKey)).status).toBe(200);
  });

  it('When a merchant has 10 working keys, then another rotation is refused until one is revoked', async () => {
    const m = await newMerchant();
    let token = m.apiKey;
    for (let i = 1; i < 10; i++) token = (await rotate(token)).json.apiKey as string;
    const refused = await rotate(token);
    expect([refused.status, refused.json.error.code]).toEqual([409, 'too_many_api_keys']);
    const oldest = (await keysOf(token)).at(-1)!;
    expect((await revoke(token, oldest.id)).status).toBe(200);
    expect((await rotate(token)).status).toBe(201);
  });

  it('When the admin disables a merchant, then its keys get 403, its dashboard is refused, and an IPN for its invoice is still stored and applied; enabled again, it works', async () => {
    const m = await newMerchant();
    const invoice = await stack.paidAtTwoCheckout(m, `R-DIS-${n}`);
    const browser = dashboardClient(stack.apiUrl);
    expect((await browser.signIn(m.apiKey)).status).toBe(303);
    expect((await browser.get('/dashboard/invoices')).status).toBe(200);

    const disabled = await admin(`/v1/merchants/${m.merchantId}/disable`, { reason: 'chargeback fraud' });
    expect(disabled.status).toBe(200);
    conforms(merchantAccessResponse, disabled.json);
    expect(disabled.json).toMatchObject({ id: m.merchantId, disabled: true, disabledReason: 'chargeback fraud' });

    for (const refused of [
      await me(m.apiKey),
      await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } }),
      await rotate(m.apiKey),
    ]) {
      expect(refused.status).toBe(403);
      conforms(errorResponse, refused.json);
      expect(refused.json.error.code).toBe('merchant_disabled');
    }
    // the existing session is refused, and no new one is made
    expect((await browser.get('/dashboard/invoices')).status).toBe(303);
    const signIn = await dashboardClient(stack.apiUrl).signIn(m.apiKey);
    expect(signIn.status).toBe(403);
    expect(signIn.text).toContain('This merchant is disabled');
    expect(signIn.headers.getSetCookie().some((c) => c.startsWith('session='))).toBe(false);
    // its order link sells nothing new
    expect((await fetch(`${stack.apiUrl}/order/${m.productId}`, { redirect: 'manual' })).status).toBe(404);

    // Money is not dropped: the IPN is verified, stored, answered with its receipt and applied by the workflow.
    const ipn = await stack.postIpn(m.merchantId, invoice.body);
    expect(ipn.status).toBe(200);
    expect(
      await stack.db('ipn_events').where({ merchant_id: m.merchantId, refno: invoice.refNo }).pluck('verdict'),
    ).toEqual(['verified']);
    await eventually(async () => {
      const row = await stack.db('invoices').where({ id: invoice.id }).first('status');
      return row.status === 'paid' ? true : undefined;
    });
    expect(stack.logs).toContainEqual({
      message: 'merchant disabled',
      fields: { merchantId: m.merchantId, reason: 'chargeback fraud' },
    });

    const enabled = await admin(`/v1/merchants/${m.merchantId}/enable`);
    expect(enabled.status).toBe(200);
    conforms(merchantAccessResponse, enabled.json);
    expect(enabled.json).toEqual({ id: m.merchantId, disabled: false, disabledAt: null, disabledReason: null });
    expect((await me(m.apiKey)).status).toBe(200);
    expect(await stack.statusOf(m.apiKey, invoice.id)).toBe('paid');
    // the session from before stays ended; a new sign-in works
    expect((await browser.get('/dashboard/invoices')).status).toBe(303);
    expect((await browser.signIn(m.apiKey)).status).toBe(303);
    expect((await browser.get('/dashboard/invoices')).status).toBe(200);
    const audited = await stack.db('merchant_settings_changes').where({ merchant_id: m.merchantId }).orderBy('id');
    expect(audited.filter((a) => a.fields.includes('disabled')).map((a) => [a.actor_type, a.changes])).toEqual([
      ['admin', { disabled: { from: false, to: true } }],
      ['admin', { disabled: { from: true, to: false } }],
    ]);
  });

  it('When the admin replaces every key of a merchant, then all its keys are refused at once and the one new key works', async () => {
    const m = await newMerchant();
    const second = (await rotate(m.apiKey)).json.apiKey as string;
    const replaced = await admin(`/v1/merchants/${m.merchantId}/api-keys/replace`);
    expect(replaced.status).toBe(200);
    conforms(replacedApiKeysResponse, replaced.json);
    // both test keys and the untouched live key: every key of both modes
    expect(replaced.json.revoked).toHaveLength(3);
    for (const old of [m.apiKey, second]) expect((await me(old)).status).toBe(401);
    // the merchant is not live: `apiKey` is its new test key; its new live key works too
    expect(replaced.json.apiKey).toBe(replaced.json.testApiKey);
    expect((await me(replaced.json.apiKey)).status).toBe(200);
    expect((await me(replaced.json.liveApiKey)).json).toMatchObject({ livemode: true });
    expect((await keysOf(replaced.json.apiKey)).map((k) => k.state)).toEqual(['active', 'revoked', 'revoked']);
  });
});

describe('the migration to the api_keys table', () => {
  it('When a database with one key per merchant is migrated, then each key keeps working, and rolled back it is the merchant’s again', async () => {
    const t = await createTestDatabase();
    try {
      const names = (await migrationSource.getMigrations([])).map((f) => migrationSource.getMigrationName(f));
      for (const _ of names.filter((name) => name < '20261130000030')) await t.db.migrate.up();
      const apiKey = `sk_${randomBytes(24).toString('base64url')}`; // a key from before modes
      await t.db('merchants').insert({
        id: 'mer_old',
        name: 'Shop from before',
        api_key_hash: hashApiKey(apiKey),
        api_key_prefix: apiKey.slice(0, 7),
        twocheckout_merchant_code: '250000000001',
        twocheckout_secret_key_sealed: 'v1.a.b.c',
        twocheckout_buy_link_secret_word_sealed: 'v1.a.b.c',
        twocheckout_environment: 'sandbox',
      });

      await t.db.migrate.latest();
      const check = await checkApiKey(t.db, apiKey);
      // a sandbox merchant's key from before modes is a test key (migrations/20261202000400_test_and_live_mode.ts)
      expect(check).toMatchObject({
        ok: true,
        merchant: { id: 'mer_old' },
        key: { prefix: apiKey.slice(0, 7), livemode: false },
      });
      expect(await t.db('api_keys').where({ merchant_id: 'mer_old' }).count({ n: '*' })).toEqual([{ n: 1 }]);

      while ((await t.db.migrate.currentVersion()) >= '20261130000030') await t.db.migrate.down();
      expect(await t.db('merchants').where({ id: 'mer_old' }).first('api_key_hash', 'api_key_prefix')).toEqual({
        api_key_hash: hashApiKey(apiKey),
        api_key_prefix: apiKey.slice(0, 7),
      });
    } finally {
      await t.drop();
    }
  });
});
