/**
 * Defect hunt, thirty-seventh round (traffic: bulkhead, rateLimit, dedupe, retry budget).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

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
