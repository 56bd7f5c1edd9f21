/**
 * The replay decision table (src/outbox/outcome.ts), as a pure function: what a replay's response or
 * error makes of its entry — sent, a conflict, a dead letter and why, another attempt and when, or a
 * paused scope — and whether the attempt counts. The same table, end to end against a loopback API:
 * outbox-outcomes.test.ts.
 */
import { NetworkError, TimeoutError } from 'ky';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors/AuthError.js';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { InvalidRequestError } from '../../src/errors/InvalidRequestError.js';
import { RateLimitedError } from '../../src/errors/RateLimitedError.js';
import { backoff, outcomeOf, scheduleOf, type Standing } from '../../src/outbox/outcome.js';

const now = 1_700_000_000_000;
const rules = { maxAttempts: 5, baseBackoffMs: 1000, maxBackoffMs: 300_000, maxNetworkBackoffMs: 300_000, retentionMs: 604_800_000 };
const request = new Request('https://x.test/');
const answer = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });
const entry = (more: Partial<Standing> = {}): Standing => ({ attempts: 1, createdAt: now - 60_000, ...more });
/** Half of the backoff's cap: the jitter this table draws. */
const random = () => 0.5;

describe('outcomeOf: the replay decision table', () => {
	it.each([
		// [what the replay got, the entry, → outcome (and the attempt counted?)]
		['200', answer(200), undefined, entry(), { kind: 'sent' }],
		['201', answer(201), undefined, entry(), { kind: 'sent' }],
		['302 (an answer, not a failure)', answer(302), undefined, entry(), { kind: 'sent' }],
		['412', answer(412), undefined, entry(), { kind: 'conflict', counts: true }],
		['409 with a precondition', answer(409), undefined, entry({ preconditions: { 'if-match': '"v1"' } }), { kind: 'conflict', counts: true }],
		['409 without one: an idempotency key may be in progress', answer(409), undefined, entry(), { kind: 'retry', counts: true, at: now + 1000, pinned: false }],
		['425', answer(425), undefined, entry(), { kind: 'retry', counts: true, at: now + 1000, pinned: false }],
		['401: a new token may come', answer(401), undefined, entry(), { kind: 'pause', counts: true }],
		['403', answer(403), undefined, entry({ attempts: 4 }), { kind: 'pause', counts: true }],
		['400', answer(400), undefined, entry(), { kind: 'dead', reason: 'rejected', counts: true }],
		['404', answer(404), undefined, entry(), { kind: 'dead', reason: 'rejected', counts: true }],
		['422', answer(422), undefined, entry(), { kind: 'dead', reason: 'rejected', counts: true }],
		['408', answer(408), undefined, entry(), { kind: 'retry', counts: true, at: now + 1000, pinned: false }],
		['429', answer(429), undefined, entry(), { kind: 'retry', counts: true, at: now + 1000, pinned: false }],
		['500, third attempt: backoff 0.5 × 1000 × 2²', answer(500), undefined, entry({ attempts: 2 }), { kind: 'retry', counts: true, at: now + 2000, pinned: false }],
		['503 reaching maxAttempts', answer(503), undefined, entry({ attempts: 4 }), { kind: 'dead', reason: 'max-attempts', counts: true }],
		['503 with Retry-After: 7 (pinned)', answer(503, { 'retry-after': '7' }), undefined, entry(), { kind: 'retry', counts: true, at: now + 7000, pinned: true }],
		['503 with a Retry-After past retention: capped', answer(503, { 'retry-after': '99999999' }), undefined, entry(), { kind: 'retry', at: now - 60_000 + 604_800_000, pinned: true }],
		['503 with a Retry-After date in the past: now', answer(503, { 'retry-after': new Date(now - 5000).toUTCString() }), undefined, entry(), { kind: 'retry', at: now, pinned: true }],
		['a network error', undefined, new NetworkError(request), entry(), { kind: 'retry', counts: true, at: now + 1000, pinned: false }],
		['a timeout reaching maxAttempts', undefined, new TimeoutError(request), entry({ attempts: 4 }), { kind: 'dead', reason: 'max-attempts', counts: true }],
		['an open circuit: no attempt, at its reopening', undefined, new CircuitOpenError('https://x.test', 4000), entry({ attempts: 4 }), { kind: 'retry', counts: false, at: now + 4000, pinned: false }],
		['a rate limit: no attempt', undefined, new RateLimitedError('https://x.test', 2500), entry(), { kind: 'retry', counts: false, at: now + 2500 }],
		['the caller\'s abort: paused', undefined, new DOMException('gone', 'AbortError'), entry(), { kind: 'pause', counts: true }],
		['a failed refresh (auth): paused, no attempt', undefined, new AuthError('refresh failed', 'https://x.test'), entry(), { kind: 'pause', counts: false }],
		['bad input: rejected, no attempt', undefined, new InvalidRequestError('bad header'), entry(), { kind: 'dead', reason: 'rejected', counts: false }],
		['an unknown error: paused', undefined, new Error('bug'), entry(), { kind: 'pause', counts: true }],
	] as const)('%s', (_name, response, error, standing, expected) => {
		expect(outcomeOf(response, error, standing, rules, now, random)).toMatchObject(expected);
	});

	it('draws the jitter only for a retry, once', () => {
		let draws = 0;
		const counting = () => (draws++, 0.25);
		outcomeOf(answer(201), undefined, entry(), rules, now, counting);
		outcomeOf(answer(404), undefined, entry(), rules, now, counting);
		expect(draws).toBe(0);
		expect(outcomeOf(answer(503), undefined, entry(), rules, now, counting)).toMatchObject({ at: now + 500 });
		expect(draws).toBe(1);
	});

	it('carries the failure as classify() calls it', () => {
		expect(outcomeOf(answer(503), undefined, entry(), rules, now, random)).toMatchObject({ failure: { code: 'HTTP_5XX', transient: true, status: 503 } });
		expect(outcomeOf(undefined, new NetworkError(request), entry(), rules, now, random)).toMatchObject({ failure: { code: 'NETWORK', transient: true } });
	});
});

describe('scheduleOf and backoff', () => {
	it('full jitter, doubling per attempt, capped by maxBackoffMs', () => {
		expect([1, 2, 3, 4, 10].map((attempts) => backoff({ baseBackoffMs: 1000, maxBackoffMs: 3000 }, attempts, 0.5))).toEqual([500, 1000, 1500, 1500, 1500]);
		expect(backoff({ baseBackoffMs: 1000, maxBackoffMs: 300_000 }, 0, 0.999)).toBe(999);
	});

	it('a retention counted from retry(id) (retainFrom) bounds the wait; a wait that is no number waits as long as retention allows', () => {
		const revived = entry({ retainFrom: now - 1000 });
		expect(scheduleOf(answer(503, { 'retry-after': '99999999' }), undefined, revived, rules, now, random)).toEqual({ at: now - 1000 + 604_800_000, pinned: true });
		expect(scheduleOf(undefined, { retryAfterMs: Number.POSITIVE_INFINITY }, revived, rules, now, random)).toEqual({ at: now - 1000 + 604_800_000, pinned: false });
		expect(scheduleOf(undefined, { retryAfterMs: -5 }, revived, rules, now, random)).toEqual({ at: now, pinned: false });
	});

	it('after a network failure or a timeout the wait is at most maxNetworkBackoffMs; a 5xx, a 429 and the breaker\'s wait keep theirs (API.md "Queued writes notice the API is back")', () => {
		// Attempt 12: the backoff's cap, 0.5 × 300 000 = 150 000 ms; the network cap 30 000 ms.
		const late = entry({ attempts: 11 });
		const capped = { ...rules, maxNetworkBackoffMs: 30_000 };
		expect(outcomeOf(undefined, new NetworkError(request), late, { ...capped, maxAttempts: 20 }, now, random)).toMatchObject({ kind: 'retry', at: now + 30_000 });
		expect(outcomeOf(undefined, new TimeoutError(request), late, { ...capped, maxAttempts: 20 }, now, random)).toMatchObject({ kind: 'retry', at: now + 30_000 });
		expect(scheduleOf(undefined, new TypeError('Failed to fetch'), late, capped, now, random)).toEqual({ at: now + 30_000, pinned: false });
		// Below the cap the backoff is kept.
		expect(scheduleOf(undefined, new NetworkError(request), entry(), capped, now, random)).toEqual({ at: now + 500, pinned: false });
		expect(outcomeOf(answer(503), undefined, late, { ...capped, maxAttempts: 20 }, now, random)).toMatchObject({ kind: 'retry', at: now + 150_000 });
		expect(outcomeOf(answer(429), undefined, late, { ...capped, maxAttempts: 20 }, now, random)).toMatchObject({ kind: 'retry', at: now + 150_000 });
		expect(scheduleOf(undefined, new CircuitOpenError('https://x.test', 60_000), late, capped, now, random)).toEqual({ at: now + 60_000, pinned: false });
	});
});
