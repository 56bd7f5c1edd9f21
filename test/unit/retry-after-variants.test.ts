/**
 * A server's `Retry-After` in every form it comes in (RFC 9110 §10.2.3: delay-seconds or an
 * HTTP-date, IMF-fixdate or one of the two obsolete forms, always GMT), and in forms it should not:
 * negative, huge, garbage. Every part that reads it (the breaker, the rate limiter, the outbox) reads
 * it as ky does: what is neither is malformed and ignored, never a date the runtime's lenient
 * `Date.parse` made up, nor a local time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { outcomeOf } from '../../src/outbox/outcome.js';
import { serverQuota } from '../../src/rate-limit/headers.js';
import { origin, setup } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const answer = (status: number, headers: Record<string, string>) => new Response(null, { status, headers });
const zone = process.env['TZ'];

afterEach(() => {
	if (zone === undefined) {
		delete process.env['TZ'];
	} else {
		process.env['TZ'] = zone;
	}
});

/** The three HTTP-date forms of the instant `ms` (RFC 9110 §5.6.7). */
const forms = (ms: number): string[] => {
	const date = new Date(ms);
	const two = (n: number) => String(n).padStart(2, '0');
	const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
	const month = date.toUTCString().slice(8, 11);
	const weekday = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][date.getUTCDay()]!;
	return [
		date.toUTCString(),
		`${weekday}, ${two(date.getUTCDate())}-${month}-${String(date.getUTCFullYear()).slice(2)} ${time} GMT`,
		`${weekday.slice(0, 3)} ${month} ${String(date.getUTCDate()).padStart(2, ' ')} ${time} ${date.getUTCFullYear()}`,
	];
};

/** Values that are neither delay-seconds nor an HTTP-date, some of which `Date.parse` reads as a year to come. */
const garbage = ['in 3000', 'later, 2099', '3000-01-01', 'soon 2100', '-5', '1.5', '12 13', '1e3', 'Infinity', '120s', 'next week', 'Sun, 32 Dec 2030 25:99:99 GMT', 'in 3000 12:00:00 GMT', 'soon 12:00:00 2099'];

describe('Retry-After, read as RFC 9110 writes it', () => {
	it.each(garbage)('the breaker: a 503 with Retry-After %j is one ordinary failure, never an opening', async (value) => {
		const { server, call, snapshot, events } = setup();
		server.answer(503, { 'retry-after': value });
		expect(await call()).toBe('503');
		expect([snapshot().state, events.map(({ type }) => type)]).toEqual(['closed', []]);
	});

	it.each(garbage)('the rate limiter: a 429 with Retry-After %j holds nothing; the outbox keeps its own backoff', (value) => {
		const now = t0;
		expect(serverQuota(answer(429, { 'retry-after': value }), now)).toBeUndefined();
		const rules = { maxAttempts: 5, baseBackoffMs: 1000, maxBackoffMs: 300_000, maxNetworkBackoffMs: 300_000, retentionMs: 604_800_000 };
		expect(outcomeOf(answer(503, { 'retry-after': value }), undefined, { attempts: 1, createdAt: now }, rules, now, () => 0.5)).toMatchObject({ kind: 'retry', at: now + 1000, pinned: false });
	});

	it('each HTTP-date form is GMT whatever the runtime\'s time zone: 90 s from now', () => {
		process.env['TZ'] = 'America/New_York';
		const now = t0;
		for (const form of forms(now + 90_000)) {
			expect([form, serverQuota(answer(503, { 'retry-after': form }), now)]).toEqual([form, { remaining: 0, resetMs: 90_000 }]);
		}
	});

	it('the breaker opens until each HTTP-date form\'s instant, in a time zone west of GMT', async () => {
		process.env['TZ'] = 'America/New_York';
		for (const form of forms(t0 + 90_000)) {
			const { server, call, snapshot } = setup();
			server.answer(429, { 'retry-after': form });
			await call();
			expect([form, snapshot()]).toEqual([form, expect.objectContaining({ scope: origin, state: 'open', reopensAt: t0 + 90_000 })]);
		}
	});

	it('delay-seconds, a date in the past and a huge value keep their meaning', () => {
		expect(serverQuota(answer(429, { 'retry-after': '7' }), t0)).toEqual({ remaining: 0, resetMs: 7000 });
		expect(serverQuota(answer(429, { 'retry-after': ' 07 ' }), t0)).toEqual({ remaining: 0, resetMs: 7000 });
		expect(serverQuota(answer(429, { 'retry-after': new Date(t0 - 5000).toUTCString() }), t0)).toEqual({ remaining: 0, resetMs: 0 });
		expect(serverQuota(answer(429, { 'retry-after': '99999999999999999999' }), t0)?.resetMs).toBeGreaterThan(1e20);
	});

	// Defect hunt, tenth round: forms with a day's name in front, a time and GMT at the end (what the reader
	// looked for), but no HTTP-date between: `Date.parse` read a year alone, an ISO or US date, a 30 February.
	it.each(['Sun, 3000 00:00:00 GMT', 'Fri, 3000-01-01 12:00:00 GMT', 'Fri, 12/31/2100 12:00:00 GMT', 'Mon, 30 Feb 2099 08:49:37 GMT', 'Thu 1 12:00:00 GMT', 'Friday, 06-Nov-2099 08:49:37 GMT', 'Fri, 06 Nov 2099 08:49:37 UTC', 'Fri Nov  6 08:49:37 2099 GMT+0100'])('a date in no legal form, %j, is malformed: the breaker stays closed, the rate limiter holds nothing', async (value) => {
		expect(serverQuota(answer(429, { 'retry-after': value }), t0)).toBeUndefined();
		const { server, call, snapshot } = setup();
		server.answer(503, { 'retry-after': value });
		expect(await call()).toBe('503');
		expect(snapshot().state).toBe('closed');
	});

	it('an asctime date with one space before a one-digit day, and each legal form of a date far ahead, are read', () => {
		expect(serverQuota(answer(429, { 'retry-after': 'Fri Nov 6 08:49:37 2099' }), t0)?.resetMs).toBe(Date.UTC(2099, 10, 6, 8, 49, 37) - t0);
		for (const form of forms(Date.UTC(2049, 0, 1))) {
			expect([form, serverQuota(answer(429, { 'retry-after': form }), t0)]).toEqual([form, { remaining: 0, resetMs: Date.UTC(2049, 0, 1) - t0 }]);
		}
	});
});
