/**
 * Defect hunt, nineteenth round (retries): a `Retry-After` sent twice. A proxy or gateway that repeats the origin's
 * field gives fetch two lines, which it joins with ", " (`5, 5`). RFC 9110 §5.3 makes that one list; a server's word
 * said twice is still its word: the breaker, the rate limiter and the outbox read the list whole, the longest wait
 * it says kept (a malformed value among them: nothing said, as before). ky reads such a value as malformed and draws
 * its own backoff, so a retry ky would make would not wait for it: the breaker, open for it, refuses that retry at
 * once (the answer's error, as for a Retry-After past `maxRetryAfter`), never `CIRCUIT_OPEN` after ky's backoff.
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/entries/index.js';
import { createClient } from '../../src/entries/core.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { outcomeOf } from '../../src/outbox/outcome.js';
import { serverQuota } from '../../src/rate-limit/headers.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { origin, setup } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const answer = (status: number, headers: Record<string, string>) => new Response(null, { status, headers });
const date = (ms: number) => new Date(ms).toUTCString();
const rules = { maxAttempts: 5, baseBackoffMs: 1000, maxBackoffMs: 300_000, maxNetworkBackoffMs: 300_000, retentionMs: 604_800_000 };

/** Lists and the wait each says: the longest of its values. */
const lists: Array<[string, number]> = [
	['5, 5', 5_000],
	['5,5', 5_000],
	['2, 5', 5_000],
	['7, 3', 7_000],
	[`${date(t0 + 90_000)}, ${date(t0 + 90_000)}`, 90_000],
	[`4, ${date(t0 + 60_000)}`, 60_000],
	[`Tue Nov 14 22:15:20 2023, ${date(t0 + 60_000)}`, 120_000], // An asctime date (t0 + 120 s), then an IMF-fixdate.
];

describe('a Retry-After sent twice (one comma-joined value) is read whole, its longest wait kept', () => {
	it.each(lists)('the rate limiter and the outbox: %j is a wait of %d ms', (value, ms) => {
		// Before: serverQuota undefined; the outbox's own backoff (at t0 + 1000, not pinned).
		expect(serverQuota(answer(429, { 'retry-after': value }), t0)).toEqual({ remaining: 0, resetMs: ms });
		expect(outcomeOf(answer(503, { 'retry-after': value }), undefined, { attempts: 1, createdAt: t0 }, rules, t0, () => 0.5)).toMatchObject({ kind: 'retry', at: t0 + ms, pinned: true });
	});

	it.each(['5, soon', '5, ', ', 5', '5, -1', '5, 1.5', '5, Sun, 3000 00:00:00 GMT'])('a list with a malformed value, %j, still says nothing', (value) => {
		expect(serverQuota(answer(429, { 'retry-after': value }), t0)).toBeUndefined();
		expect(outcomeOf(answer(503, { 'retry-after': value }), undefined, { attempts: 1, createdAt: t0 }, rules, t0, () => 0.5)).toMatchObject({ at: t0 + 1000, pinned: false });
	});

	it.each([[429, '5, 5', 5_000], [503, '2, 5', 5_000], [503, `${date(t0 + 90_000)}, ${date(t0 + 90_000)}`, 90_000]] as const)('the breaker: a %d with Retry-After %j opens the scope for %d ms', async (status, value, ms) => {
		const { server, call, snapshot } = setup();
		server.answer(status, { 'retry-after': value });
		expect(await call()).toBe(String(status));
		// Before: 'closed', one ordinary failure.
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + ms });
	});

	it('a call with retries: the answer\'s error at once and the scope open for the Retry-After; before, ky\'s retry went out after its backoff, before the server\'s 5 s', async () => {
		const kit = setup({ retry: { limit: 2 } });
		const answers = [() => answer(503, { 'retry-after': '5, 5' })];
		kit.server.script = () => (answers.shift() ?? (() => new Response('ok')))();
		let retries = 0;
		kit.api.on('retry', () => retries++);
		const got = await kit.api.get(`${origin}/x`).then((response) => String(response.status), (error: unknown) => classify(error).code);
		// Before: ['200', 2, 1, 'closed'] (the retry sent about 150 ms later, against the server's word).
		expect([got, kit.server.requests.length, retries, kit.snapshot().state]).toEqual(['HTTP_5XX', 1, 0, 'open']);
		kit.api.close();
	});

	it('the rate limiter: the next call, its timeout shorter than the 5 s, fails with RateLimitedError at once, nothing sent', async () => {
		const clock = new ManualClock(t0);
		let sent = 0;
		const api = createClient({
			clock, retry: 0, timeout: 1_000, rateLimit: rateLimit(),
			fetch: (async () => (++sent === 1 ? answer(429, { 'retry-after': '5, 5' }) : new Response('ok'))) as typeof fetch,
		});
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		await api.get('https://api.test/1').catch(() => undefined);
		const error = await api.get('https://api.test/2').text().catch((caught: unknown) => caught);
		// Before: 'ok', the second request sent at once.
		expect([error instanceof RateLimitedError && error.retryAfterMs, sent, waits]).toEqual([5_000, 1, []]);
		api.close();
	});
});
