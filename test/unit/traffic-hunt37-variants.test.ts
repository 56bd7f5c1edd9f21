/**
 * Defect hunt, thirty-seventh round (traffic: bulkhead, rateLimit, dedupe, retry budget).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, RateLimitedError } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const t0 = 1_700_000_000_000;
const answering = (async () => Response.json({ ok: true })) as typeof fetch;

/** What a call ended with: 'OK', else its error's code, with the `retryAfterMs` a `RateLimitedError` carries. */
const outcome = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => {
	const { retryAfterMs } = error as { retryAfterMs?: number };
	return retryAfterMs === undefined ? classify(error).code : `${classify(error).code} ${Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? 'finite' : retryAfterMs}`;
});

describe('rateLimit: a perSecond so small that its interval overflows a double', () => {
	it('perSecond: 1e-310 (positive, finite) still limits: the second call is refused', async () => {
		for (const burst of [undefined, 2]) {
			const api = createClient({ clock: new ManualClock(t0), retry: 0, fetch: answering, rateLimit: rateLimit({ perSecond: 1e-310, ...burst && { burst } }) });
			const got = [];
			for (let index = 0; index < 3; index++) {
				got.push(await outcome(api.get('https://api.test/a')));
			}
			api.close();
			expect(got).toEqual(burst ? ['OK', 'OK', 'RATE_LIMITED finite'] : ['OK', 'RATE_LIMITED finite', 'RATE_LIMITED finite']);
		}
	});
});

describe('rateLimit: another tab\'s word is bounded by maxResetMs on the family\'s clock', () => {
	it('a child extend() gave a clock an hour ahead: a tab\'s far block holds the scope maxResetMs, not an hour more', async () => {
		const name = `h37-traffic-tabs-${Date.now()}`;
		const parent = createClient({
			clock: new ManualClock(t0), name, retry: 0, rateLimit: rateLimit({ share: true, maxResetMs: 10_000 }), breaker: false, fetch: answering,
		});
		const child = parent.extend({ clock: new ManualClock(t0 + 3_600_000) });
		const other = new BroadcastChannel(`steadfetch:${name}:ratelimit`);
		try {
			expect(await outcome(parent.get('https://a.test/first'))).toBe('OK');
			expect(await outcome(child.get('https://a.test/second'))).toBe('OK');
			// The parent's channel closed: the child alone hears the other tab (the family's buckets and clock stay).
			parent.close();
			other.postMessage({ v: 1, scope: 'https://a.test', blockedUntil: t0 + 7_200_000 });
			const blockedUntil = (): number | undefined => (child.stats()['https://a.test']?.rateLimit as { blockedUntil?: number } | undefined)?.blockedUntil;
			await waitFor(() => (blockedUntil() ?? 0) > t0, 'the other tab\'s word');
			const error = await child.get('https://a.test/x').catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(RateLimitedError);
			// Before: [t0 + 3 610 000, 3 610 000] (the child's clock's now + maxResetMs: on the family's clock, an hour more).
			expect([blockedUntil(), (error as RateLimitedError).retryAfterMs]).toEqual([t0 + 10_000, 10_000]);
		} finally {
			other.close();
			child.close();
			parent.close();
		}
	}, 15_000);
});

describe('rateLimit: a retry of a call in flight at close() that would wait for its token', () => {
	it('is refused at once (CLIENT_CLOSED), never sent after close()', async () => {
		const sent: number[] = [];
		let closeNow = (): void => undefined;
		const api = createClient({
			retry: { limit: 1, backoffLimit: 1, jitter: false }, retryBudget: false, breaker: false, rateLimit: rateLimit({ perSecond: 2, burst: 1 }),
			fetch: (async () => {
				sent.push(sent.length);
				if (sent.length === 1) {
					closeNow(); // closed while the call's first attempt is in flight
				}

				return new Response('busy', { status: 503 });
			}) as typeof fetch,
		});
		closeNow = () => api.close();
		const code = await api.get('https://r.test/1').then(() => 'OK', (error: unknown) => classify(error).code);
		// Before: ['HTTP_5XX', 2] (the retry slept to its token, its closing signal aborted before it waited, then was sent).
		expect([code, sent.length]).toEqual(['CLIENT_CLOSED', 1]);
	});
});
