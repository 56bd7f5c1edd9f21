/**
 * Defect hunt, thirty-seventh round (the open pipeline: app policies, failover, hedge, health). What an app's policy hands
 * the core is checked as the contract says a caller's own is: bad input is an `InvalidRequestError` before any I/O.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import type { Policy, PolicyCall, RunOptions } from '../../src/entries/policy.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

/** Settles with its status and body, or with its error's class, code and message. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response.status} ${await response.text()}`, (error: unknown) => `${(error as Error)?.constructor?.name} ${classify(error).code}`);

/** A transport that answers 200 'net' and counts what it was sent (`sent()`). */
const counting = () => {
	let sent = 0;
	const fetch = (async () => {
		sent++;
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, sent: () => sent };
};

/** A wrapper that runs ky once with `extra`. */
const running = (extra: unknown): Policy<'audit'> => ({
	slot: 'audit',
	create: () => ({ wrap: (_call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>) => next(extra as RunOptions) }),
}) as unknown as Policy<'audit'>;

describe('an app policy\'s wrap: next(extra) checks extra as a call\'s own options, before any I/O', () => {
	const outcome = async (extra: unknown): Promise<[string, number]> => {
		const { fetch, sent } = counting();
		const api = createClient({ fetch, retry: 0, audit: running(extra) } as never);
		const result = await settled(api.get('https://api.test/a'));
		api.close();
		return [result, sent()];
	};
	const refused: [string, number] = ['InvalidRequestError INVALID_REQUEST', 0];

	it('a value of the wrong type or out of range for one of ky\'s options (a call\'s own is refused so)', async () => {
		// Before: `timeout: 'x'` sent, with a timer of NaN ms (1 ms: a TIMEOUT, a slow origin's failure); `totalTimeout: -5` a
		// TimeoutError; `fetch: 5` a raw TypeError (UNKNOWN, "options.fetch is not a function"); the others sent as given.
		for (const extra of [{ timeout: 'x' }, { totalTimeout: -5 }, { fetch: 5 }, { throwHttpErrors: 'x' }, { hooks: 5 }, { method: 5 }, { retry: { methods: ['get '] } }, { cache: 'bogus' }]) {
			expect([extra, await outcome(extra)]).toEqual([extra, refused]);
		}
	});

	it('an extra that is no options object (a number, a string, null, an array), as a call\'s own options would be', async () => {
		// Before: ['200 net', 1] for each (ignored, or a string's characters spread as options).
		for (const extra of [5, 'x', null, [1]]) {
			expect([extra, await outcome(extra)]).toEqual([extra, refused]);
		}
	});

	it('good extras still reach ky: headers merged, a body sent, a retry limit read', async () => {
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			seen.push(`${request.method} ${request.headers.get('x-audit')} ${await request.text()}`);
			return new Response('net', { status: seen.length < 2 ? 503 : 200 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, breaker: false, retryBudget: false, audit: running({ headers: { 'x-audit': '1' }, body: 'b', retry: { limit: 1, jitter: false, delay: () => 0 } }) } as never);
		expect(await settled(api.put('https://api.test/a'))).toBe('200 net');
		expect(seen).toEqual(['PUT 1 b', 'PUT 1 b']);
		api.close();
	});
});

describe('hedge(): a pause an origin asks for while its scope was forgotten is kept', () => {
	it('a 429\'s Retry-After: 20 answered after calls to 1 000 other origins still holds the origin\'s hedges', async () => {
		const clock = new ManualClock();
		const { pending, fetch: slow } = held();
		const fetch = (async (request: Request) => new URL(request.url).hostname.endsWith('.many.test') ? new Response('ok') : slow(request)) as typeof globalThis.fetch;
		const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }) } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		const first = api.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		// While its race is out, the origin's idle latency (no pause yet) is forgotten with 1 000 other scopes met.
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		pending[1]!.release(new Response('busy', { status: 429, headers: { 'retry-after': '20' } }));
		pending[0]!.release(new Response('ok'));
		expect(await first.text()).toBe('ok');
		clock.advance(10);
		const calls = [api.get('https://api.test/same'), api.get('https://other.test/other')];
		await waitFor(() => hedged.includes('/other'), 'the other origin\'s hedge');
		for (const attempt of pending.slice(2)) {
			attempt.release(new Response('ok'));
		}

		expect(await Promise.all(calls.map(async (call) => call.text()))).toEqual(['ok', 'ok']);
		api.close();
		// Before: ['/first', '/same', '/other'] (the pause set on the race's forgotten latency, none on the scope's new one).
		expect(hedged).toEqual(['/first', '/other']);
	});
});

describe('adaptiveThrottle(): an attempt that ends after its scope was forgotten counts in the scope', () => {
	it('a 503 answered after calls to 1 000 other origins is in the origin\'s throttle counts', async () => {
		const { pending, fetch: slow } = held();
		const fetch = (async (request: Request) => new URL(request.url).hostname.endsWith('.many.test') ? new Response('ok') : slow(request)) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, adaptiveThrottle: adaptiveThrottle() } as never);
		const first = api.get('https://api.test/first').then(() => 'answered', (error: unknown) => classify(error).code);
		await waitFor(() => pending.length === 1, 'the attempt');
		// While it is out, the origin's counts (idle: nothing counted yet) are forgotten with 1 000 other scopes met.
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		pending[0]!.release(new Response('busy', { status: 503 }));
		expect(await first).toBe('HTTP_5XX');
		const { throttle, failures } = api.stats()['https://api.test'] as { throttle?: { requests: number; accepts: number }; failures: object };
		api.close();
		// Before: [undefined, { HTTP_5XX: 1 }] (counted on the forgotten scope's counts: the client's own counters have it).
		expect([throttle && [throttle.requests, throttle.accepts], failures]).toEqual([[1, 0], { HTTP_5XX: 1 }]);
	});
});

describe('failover(): a call whose identity changed (or whose client was cleared) while its primary failed ends as a retry refused so', () => {
	it('with the refusal (ABORTED), not the primary\'s 503: no mirror, no stale answer of it, as with retry: 1', async () => {
		const ended: string[] = [];
		for (const change of ['identity', 'clear'] as const) {
			for (const way of ['retry', 'failover'] as const) {
				const { pending, fetch } = held();
				let user = 'alice';
				const api = createClient({
					fetch, timeout: false, retryBudget: false, breaker: false, identity: () => user,
					...way === 'retry' ? { retry: { limit: 1, delay: () => 0, jitter: false } } : { retry: 0, failover: failover({ mirrors: { 'https://api.test': ['https://eu.test'] } }) },
				} as never);
				const call = settled(api.get('https://api.test/x'));
				await waitFor(() => pending.length === 1, 'the first attempt');
				user = 'bob';
				if (change === 'clear') {
					await api.clear();
				}

				pending[0]!.release(new Response('down', { status: 503 }));
				ended.push(`${change} ${way} ${await call} ${pending.length}`);
				api.close();
			}
		}

		// Before: failover's ended 'HTTPError HTTP_5XX' (the primary's, as if every mirror had failed too).
		expect(ended).toEqual(['identity retry SteadfetchError ABORTED 1', 'identity failover SteadfetchError ABORTED 1', 'clear retry SteadfetchError ABORTED 1', 'clear failover SteadfetchError ABORTED 1']);
	});
});
