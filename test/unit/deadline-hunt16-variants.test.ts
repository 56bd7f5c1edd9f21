/**
 * Defect hunt, sixteenth round: the core's deadlines, hooks and rate limits — variants of what earlier
 * rounds fixed, each against the line of API.md, the README or the TSDoc it breaks.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { auth } from '../../src/entries/auth.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { hedge } from '../../src/entries/hedge.js';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/**
 * A `fetch` whose attempts to `/slow` answer 503 after `slowMs`, to `/deaf` never settle and ignore their signal (an
 * app's `fetch` without abort support, or a Worker's request that ended with the attempt in flight), and answer at once
 * elsewhere; `sent` lists the paths in the order they went out.
 */
const deafFetch = (slowMs: number) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).pathname;
		sent.push(path);
		if (path === '/slow' && sent.filter((one) => one === '/slow').length === 1) {
			await new Promise((resolve) => setTimeout(resolve, slowMs));
			return new Response('down', { status: 503 });
		}

		if (path === '/slow') {
			return new Promise<Response>(() => undefined);
		}

		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('bulkhead(): a retry\'s slot ends with what is left of the call\'s totalTimeout', () => {
	for (const where of ['the call', 'the client'] as const) {
		it(`totalTimeout given on ${where}: the slot of a retry that never ends is free at the call's end, not a whole totalTimeout after the retry asked`, async () => {
			const { sent, fetch } = deafFetch(1_000);
			const total = { totalTimeout: 1_200 };
			const api = createClient({ fetch, retry: { limit: 1, delay: () => 0, jitter: false }, retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 1 }), ...(where === 'the client' ? total : {}) });
			// The first attempt fails at ~1 000 ms, its retry asks for the slot then and never ends; the call ends at 1 200 ms.
			expect(await code(api.get('https://api.test/slow', where === 'the call' ? total : {}))).toBe('TIMEOUT');
			expect(sent).toEqual(['/slow', '/slow']);
			const started = performance.now();
			expect(await code(api.get('https://api.test/next'))).toBe('OK');
			// Before: the retry's slot was held to ~2 200 ms (a whole totalTimeout from its ask): the next call waited ~1 000 ms.
			expect(performance.now() - started).toBeLessThan(500);
			api.close();
		}, 15_000);
	}

	it('a hedge: its slot is free at the call\'s end, not a whole totalTimeout after the hedge asked', async () => {
		const sent: string[] = [];
		let open: () => void = () => undefined;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			if (request.url.endsWith('/held')) {
				await gate;
				return new Response('ok');
			}

			return new Promise<Response>(() => undefined);
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, totalTimeout: 1_200, bulkhead: bulkhead({ maxConcurrent: 2 }), hedge: hedge({ delayMs: 1_000 }) });
		// The first attempt asks at 0, the hedge at ~1 000 ms; neither ends, and the call ends at 1 200 ms.
		expect(await code(api.get('https://api.test/deaf'))).toBe('TIMEOUT');
		expect(sent).toEqual(['/deaf', '/deaf']);
		// Two calls that hold their slots: both go at once. Before: the hedge's slot was held to ~2 200 ms, the second waited.
		const both = Promise.all([code(api.get('https://api.test/held', { hedge: false })), code(api.get('https://api.test/held', { hedge: false }))]);
		await waitFor(() => sent.length === 4, 'both calls to go out', 500);
		open();
		expect(await both).toEqual(['OK', 'OK']);
		api.close();
	}, 15_000);

	it('a wrapper\'s new run (auth\'s, after a refresh): its slot is free at the call\'s end', async () => {
		const sent: string[] = [];
		let token = 'old';
		const fetch = (async (request: Request) => {
			sent.push(`${new URL(request.url).pathname} ${request.headers.get('authorization')}`);
			if (request.url.endsWith('/deaf') && request.headers.get('authorization') === 'Bearer old') {
				return new Response(null, { status: 401 });
			}

			return request.url.endsWith('/deaf') ? new Promise<Response>(() => undefined) : new Response('ok');
		}) as typeof globalThis.fetch;
		const refresh = async (): Promise<void> => {
			await new Promise((resolve) => setTimeout(resolve, 1_000));
			token = 'new';
		};
		const api = createClient({ fetch, retry: 0, totalTimeout: 1_500, bulkhead: bulkhead({ maxConcurrent: 1 }), auth: auth({ token: () => token, refresh, origins: ['https://api.test'] }) });
		// The 401 at once, the refresh until ~1 000 ms, the new run then (it never ends); the call ends at 1 500 ms.
		expect(await code(api.get('https://api.test/deaf'))).toBe('TIMEOUT');
		expect(sent).toEqual(['/deaf Bearer old', '/deaf Bearer new']);
		const started = performance.now();
		expect(await code(api.get('https://api.test/next'))).toBe('OK');
		// Before: the new run's slot was held to ~2 500 ms: the next call waited ~1 000 ms.
		expect(performance.now() - started).toBeLessThan(500);
		api.close();
	}, 15_000);
});

describe('auth(): the wait for a refresh ends with the call\'s totalTimeout, the default 20 000 ms too', () => {
	for (const [name, options] of [
		['timeout: false, no totalTimeout (the default 20 000 ms)', { timeout: false }],
		['timeout: 60 000 ms, no totalTimeout (the default 20 000 ms is the sooner)', { timeout: 60_000 }],
		['timeout: false, totalTimeout: undefined (not given)', { timeout: false, totalTimeout: undefined }],
	] as const) {
		it(name, async () => {
			const clock = new ManualClock();
			const sent: string[] = [];
			let token = 'old';
			const fetch = (async (request: Request) => {
				sent.push(request.headers.get('authorization')!);
				// 19 900 ms of the call pass before its 401: 100 ms are left of its 20 000 ms.
				clock.advance(19_900);
				return token === 'old' ? new Response(null, { status: 401 }) : new Response('ok');
			}) as typeof globalThis.fetch;
			const refresh = async (): Promise<void> => {
				await new Promise((resolve) => setTimeout(resolve, 3_000));
				token = 'new';
			};
			const api = createClient({ clock, fetch, retry: 0, ...(options as { timeout?: number | false; totalTimeout?: number }), auth: auth({ token: () => token, refresh, refreshTimeoutMs: 60_000, origins: ['https://api.test'] }) });
			const started = performance.now();
			// Before: the call waited the whole 3 s refresh, went again and answered 'OK', ~40 s of its clock after it started.
			expect(await code(api.get('https://api.test/me'))).toBe('AUTH_FAILED');
			expect(performance.now() - started).toBeLessThan(2_000);
			expect(sent).toEqual(['Bearer old']);
			api.close();
		}, 15_000);
	}
});

describe('deadlineHeader: an attempt at its request\'s deadline (the client\'s clock) is not sent: TIMEOUT, no I/O', () => {
	/** A `fetch` that records what went out (path and the deadline header), answering `answer(path)`. */
	const recording = (answer: (path: string) => Response = () => new Response('ok')) => {
		const sent: Array<[string, string | null]> = [];
		const fetch = (async (request: Request) => {
			const url = new URL(request.url);
			sent.push([url.host + url.pathname, request.headers.get('request-timeout-ms')]);
			return answer(url.pathname);
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};
	const incoming = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });

	for (const [name, url] of [['to the client\'s own origin', 'https://api.test/own'], ['to another origin', 'https://elsewhere.test/other']] as const) {
		it(`the clock passed the deadline while the attempt waited in a hook (${name})`, async () => {
			const clock = new ManualClock();
			const { sent, fetch } = recording();
			const api = createClient({ clock, fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, hooks: { beforeRequest: [() => clock.advance(400)] } });
			const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('300') });
			// Before: sent ('0' to its own origin) and answered 'OK', 100 ms past the deadline.
			expect(await code(here.get(url))).toBe('TIMEOUT');
			expect(sent).toEqual([]);
			api.close();
		});
	}

	it('less than a whole ms left as the call starts (a clock with fractions): not sent with \'0\'', async () => {
		const clock = new ManualClock();
		const { sent, fetch } = recording();
		const api = createClient({ clock, fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('800') });
		clock.advance(799.5);
		// Before: [['api.test/own', '0']] and 'OK' (as ky's real clock had it: sent whenever ky's own check came within the ms).
		expect(await code(here.get('own'))).toBe('TIMEOUT');
		expect(sent).toEqual([]);
		// A whole ms left: sent, carrying it.
		const later = api.withContext({ waitUntil: () => undefined }, { request: incoming('800') });
		clock.advance(799);
		expect(await code(later.get('own'))).toBe('OK');
		expect(sent).toEqual([['api.test/own', '1']]);
		api.close();
	});

	it('a redirect hop steadfetch follows once the clock passed the deadline: not followed, TIMEOUT', async () => {
		const clock = new ManualClock();
		const { sent, fetch } = recording((path) => {
			if (path === '/hop') {
				clock.advance(400);
				return new Response(null, { status: 302, headers: { location: '/landed' } });
			}

			return new Response('ok');
		});
		const api = createClient({ clock, fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('300') });
		// Before: the hop went with '0' and the call answered 'OK' from /landed.
		expect(await code(here.get('hop'))).toBe('TIMEOUT');
		expect(sent).toEqual([['api.test/hop', '300']]);
		api.close();
	});
});
