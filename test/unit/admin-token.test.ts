import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { requireAdmin } from '../../api/auth';
import type { HttpError } from '../../api/errors';

const TOKEN = 'admin-token-for-tests-0123456789';

// The real comparison, watched: which lengths reach it.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});
const compare = jest.mocked(timingSafeEqual);

/** The admin-token check of issue 13's smaller findings: its early length comparison told the token's length. */
describe('requireAdmin', () => {
  it('When tokens of every length are tried, then each is compared whole, as digests of one fixed length, and only the token passes', () => {
    const check = requireAdmin(TOKEN);
    const verdict = (authorization?: string) => {
      let answer: number | 'ok' = 0;
      check({ headers: { authorization } } as Request, {} as Response, (err?: unknown) => {
        answer = err === undefined ? 'ok' : (err as HttpError).status;
      });
      return answer;
    };
    const tried = [
      undefined,
      'Bearer x',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${'y'.repeat(TOKEN.length)}`,
      `Bearer ${TOKEN}`,
    ];

    expect(tried.map(verdict)).toEqual([401, 401, 401, 401, 401, 'ok']);
    expect(compare.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength])).toEqual(tried.map(() => [32, 32]));
  });
});
