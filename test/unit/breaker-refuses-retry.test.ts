/**
 * A retry the breaker would refuse when it goes is not waited for (API.md: "Retries are ky's decision: the retry budget
 * is spent exactly when ky is about to retry … never for a retry ky would not make"; the breaker's open period is "never
 * shorter than a `Retry-After` that opened it", while `retry.maxRetryAfter` caps ky's wait: "a server's Retry-After never
 * makes a call wait longer; the breaker still honours it"). Before, ky waited its delay and the retry was then refused by
 * the still-open breaker: the call ended with `CircuitOpenError` after a wait for nothing. Now the call ends at once with
 * the answer that opened it (as a spent retry budget ends it), and a retry ky waits for until the period's end is the probe.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent } from '../helpers/fetch-event.js';
import { origin, setup } from './breaker-kit.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** A call's outcome: its status, or its error's code; and what it cost. */
const outcome = async (kit: ReturnType<typeof setup>, options: Record<string, unknown> = {}) => {
	let retries = 0;
	const unsubscribe = kit.api.on('retry', () => retries++);
	const before = kit.server.requests.length;
	const got = await kit.api.get(`${origin}/x`, options).then((response) => String(response.status), (error: unknown) => classify(error).code);
	unsubscribe();
	return [got, kit.server.requests.length - before, retries];
};

/** The origin answers `first` once, then 200. */
const once = (kit: ReturnType<typeof setup>, first: () => Response) => {
	const answers = [first];
	kit.server.script = () => (answers.shift() ?? (() => new Response('ok')))();
};

describe('a retry the breaker would refuse when it goes ends the call at once', () => {
	it.each([
		['503, Retry-After: 10 (seconds)', 503, () => ({ 'retry-after': '10' }), 'HTTP_5XX'],
		['429, Retry-After: 10', 429, () => ({ 'retry-after': '10' }), 'HTTP_429'],
		['503, Retry-After as an HTTP-date 10 s ahead', 503, () => ({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() }), 'HTTP_5XX'],
	] as const)('%s past retry.maxRetryAfter (1 s): the answer\'s error at once, no retry; the breaker open for the Retry-After', async (_, status, headers, code) => {
		const kit = setup({ clock: { now: () => Date.now() }, retry: { limit: 2, maxRetryAfter: 1_000 } });
		once(kit, () => new Response('busy', { status, headers: headers() }));
		try {
			// Before: ['CIRCUIT_OPEN', 1, 1], about 1 s later (ky waited maxRetryAfter, the retry found the breaker open).
			expect(await outcome(kit)).toEqual([code, 1, 0]);
			expect(kit.snapshot().state).toBe('open');
		} finally {
			kit.api.close();
		}
	});

	it('a read with a stored copy: answered by it at once (`http-5xx`), not `circuit-open` after ky\'s wait', async () => {
		const kit = setup({ clock: { now: () => Date.now() }, retry: { limit: 2, maxRetryAfter: 1_000 }, staleCache: { networkTimeoutMs: false } as never });
		const stored = new Promise((resolve) => kit.api.on('cache:stored', resolve));
		try {
			await kit.api.get(`${origin}/x`).text();
			await stored;
			once(kit, () => new Response('busy', { status: 503, headers: { 'retry-after': '10' } }));
			const before = kit.server.requests.length;
			const response = await kit.api.get(`${origin}/x`);
			// Before: 'steadfetch; hit; …; detail=circuit-open', about 1 s later.
			expect([response.headers.get('cache-status')?.split('detail=')[1], kit.server.requests.length - before]).toEqual(['http-5xx', 1]);
		} finally {
			kit.api.close();
		}
	});

	it('through fetchHandler: the page gets the server\'s 503 and its Retry-After at once, not after ky\'s wait for a retry the breaker refuses', async () => {
		vi.stubGlobal('location', new URL(`${origin}/sw.js`));
		const kit = setup({ clock: { now: () => Date.now() }, retry: { limit: 2, maxRetryAfter: 1_000 } });
		once(kit, () => new Response('busy', { status: 503, headers: { 'retry-after': '10' } }));
		try {
			let retries = 0;
			kit.api.on('retry', () => retries++);
			const page = fetchEvent(`${origin}/x`);
			expect(fetchHandler(kit.api, { match: () => true })(page)).toBe(true);
			const answer = await page.answered.response!;
			// Before: the same answer (the server's last one, kept for the page), but after ky's 1 s wait for a retry the breaker refused (retries 1).
			expect([answer.status, answer.headers.get('steadfetch-error'), answer.headers.get('retry-after'), kit.server.requests.length, retries]).toEqual([503, null, '10', 1, 0]);
		} finally {
			kit.api.close();
		}
	});

	it('an opening on answers without Retry-After (consecutiveFailures 1, open 30 s) past ky\'s backoffLimit (100 ms): at once', async () => {
		const kit = setup({ retry: { limit: 2, backoffLimit: 100 }, breaker: { consecutiveFailures: 1 } as never });
		once(kit, () => new Response('down', { status: 500 }));
		try {
			// Before: ['CIRCUIT_OPEN', 1, 1] after ky's backoff.
			expect(await outcome(kit)).toEqual(['HTTP_5XX', 1, 0]);
		} finally {
			kit.api.close();
		}
	});

	it('a scope isolated by hand while the attempt was in flight: at once', async () => {
		const kit = setup({ retry: { limit: 2, backoffLimit: 100 } });
		kit.server.script = () => {
			void kit.api.breaker.isolate(origin);
			return new Response('down', { status: 503 });
		};
		try {
			expect(await outcome(kit)).toEqual(['HTTP_5XX', 1, 0]);
		} finally {
			kit.api.close();
		}
	});
});

describe('a retry the breaker lets through is still made', () => {
	it('Retry-After: 1 under maxRetryAfter: ky waits it out and its retry is the probe, which closes the breaker', async () => {
		const kit = setup({ clock: { now: () => Date.now() }, retry: { limit: 2 } });
		once(kit, () => new Response('busy', { status: 503, headers: { 'retry-after': '1' } }));
		try {
			expect(await outcome(kit)).toEqual(['200', 2, 1]);
			expect(kit.snapshot().state).toBe('closed');
		} finally {
			kit.api.close();
		}
	});

	it('a call with `breaker: false` while the scope is open: retried after ky\'s delay', async () => {
		const kit = setup({ retry: { limit: 2, maxRetryAfter: 100 } });
		once(kit, () => new Response('busy', { status: 503, headers: { 'retry-after': '10' } }));
		try {
			expect(await outcome(kit)).toEqual(['HTTP_5XX', 1, 0]);
			once(kit, () => new Response('busy', { status: 503, headers: { 'retry-after': '10' } }));
			expect(await outcome(kit, { breaker: false })).toEqual(['200', 2, 1]);
		} finally {
			kit.api.close();
		}
	});

	it('an opening the breaker may cut short (on network failures: `online`, a visible page) leaves ky\'s retry to the breaker, as before', async () => {
		const kit = setup({ retry: { limit: 2, backoffLimit: 50 }, breaker: { consecutiveFailures: 1 } as never });
		let sent = 0;
		kit.server.script = () => (++sent === 1 ? 'hang' : new TypeError('Failed to fetch'));
		try {
			const first = outcome(kit);
			// The second call's network failure opens the breaker (unanswered) while the first call's attempt is in flight.
			await outcome(kit);
			expect(kit.snapshot().state).toBe('open');
			kit.server.settleAll(new Response('down', { status: 500 }));
			// Its retry waits ky's backoff: the breaker decides when it goes, as before (refused at once: 'HTTP_5XX').
			expect((await first)[0]).toBe('CIRCUIT_OPEN');
		} finally {
			kit.api.close();
		}
	});
});
