/**
 * Defect hunt, twenty-second round (traffic: dedupe, bulkhead, rateLimit, adaptiveThrottle): times kept across a clock
 * that steps back (an injected clock: a device's clock set back), bounded by the options as a forward clock bounds them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const t0 = 1_700_000_000_000;
const hour = 3_600_000;
let named = 0;

afterEach(() => {
	vi.unstubAllGlobals();
});

/** What a call ended with: 'OK', else its error's code, with the `retryAfterMs` a `RateLimitedError` carries. */
const outcome = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => {
	const { retryAfterMs } = error as { retryAfterMs?: number };
	return retryAfterMs === undefined ? classify(error).code : `${classify(error).code} ${retryAfterMs}`;
});

describe('adaptiveThrottle: the tabs still hear this tab\'s counts after the clock stepped back', () => {
	it('an hour\'s step back: the next count is told within a second (not an hour later)', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {}); // a worker: a context with tabs to share with
		const name = `h22-throttle-tabs-${++named}`;
		const heard: number[] = [];
		const listener = new BroadcastChannel(`steadfetch:${name}:throttle`);
		listener.onmessage = (event: MessageEvent) => heard.push((event.data as { requests: number }).requests);
		const clock = new ManualClock(t0);
		const api = createClient({ name, clock, retry: 0, random: () => 0.5, fetch: (async () => new Response('ok')) as typeof fetch, adaptiveThrottle: adaptiveThrottle() });
		expect(await outcome(api.get('https://api.test/a'))).toBe('OK');
		await waitFor(() => heard.length === 1, 'the first count');
		clock.set(t0 - hour);
		expect(await outcome(api.get('https://api.test/a'))).toBe('OK');
		// Before: the message waited for told + 1 s on the stepped clock, a timer of 3,601 s: heard stayed [1].
		await waitFor(() => heard.length === 2, 'the count after the step back', 4_000);
		expect(heard).toEqual([1, 1]);
		listener.close();
		api.close();
	});
});

describe('adaptiveThrottle: a message that waited to go as the tabs\' channel closed does not hold the scope\'s later ones', () => {
	it('closed with a message waiting: a client extend() makes later (the same family) tells its counts', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {});
		const name = `h22-throttle-reopen-${++named}`;
		const heard: number[] = [];
		const listener = new BroadcastChannel(`steadfetch:${name}:throttle`);
		listener.onmessage = (event: MessageEvent) => heard.push((event.data as { requests: number }).requests);
		const api = createClient({ name, clock: new ManualClock(t0), retry: 0, random: () => 0.5, fetch: (async () => new Response('ok')) as typeof fetch, adaptiveThrottle: adaptiveThrottle() });
		expect(await outcome(api.get('https://api.test/a'))).toBe('OK');
		await waitFor(() => heard.length === 1, 'the first count');
		expect(await outcome(api.get('https://api.test/a'))).toBe('OK'); // its message waits a second to go
		api.close();
		const child = api.extend({});
		expect(await outcome(child.get('https://api.test/a'))).toBe('OK');
		// Before: the cleared timer stayed the scope's, as a message waiting to go: nothing more was ever told (heard [1]).
		await waitFor(() => heard.length === 2, 'the child\'s count', 4_000);
		expect(heard).toEqual([1, 2]);
		listener.close();
		child.close();
	});
});

describe('rateLimit: a clock that stepped back never makes a wait longer than the options allow', () => {
	const make = (status: number, headers: Record<string, string>, options: Parameters<typeof rateLimit>[0] = {}, totalTimeout = 5_000) => {
		const clock = new ManualClock(t0);
		const sent: string[] = [];
		const api = createClient({
			name: `h22-rl-${++named}`, clock, retry: 0, random: () => 0.5, timeout: false, totalTimeout, rateLimit: rateLimit({ share: false, ...options }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return sent.length === 1 ? new Response('', { status, headers }) : new Response('ok');
			}) as typeof fetch,
		});
		return { api, clock, sent };
	};

	it('a 429\'s Retry-After: 30 s, then the clock steps back an hour: the block ends within maxResetMs of the new now', async () => {
		const { api, clock, sent } = make(429, { 'retry-after': '30' }, { maxResetMs: 60_000 });
		expect(await outcome(api.get('https://api.test/first'))).toBe('HTTP_429');
		clock.set(t0 - hour);
		// Before: 'RATE_LIMITED 3630000' (the block an hour and 30 s ahead, past maxResetMs: 60 s).
		expect(await outcome(api.get('https://api.test/next'))).toBe('RATE_LIMITED 30000');
		clock.advance(30_000);
		expect(await outcome(api.get('https://api.test/later'))).toBe('OK');
		expect(sent).toEqual(['/first', '/later']);
		api.close();
	});

	it('perSecond: 1, then the clock steps back an hour: the next token is as far away as it was (a second), not an hour', async () => {
		const { api, clock, sent } = make(200, {}, { perSecond: 1 }, 500);
		expect(await outcome(api.get('https://api.test/first'))).toBe('OK');
		clock.set(t0 - hour);
		// Before: 'RATE_LIMITED 3601000': every call refused for the hour the clock stepped back.
		expect(await outcome(api.get('https://api.test/next'))).toBe('RATE_LIMITED 1000');
		clock.advance(1_000);
		expect(await outcome(api.get('https://api.test/later'))).toBe('OK');
		expect(sent).toEqual(['/first', '/later']);
		api.close();
	});
});

/** A gate the test opens: `wait` resolves once `open()` was called. */
const gate = () => {
	let open: () => void = () => undefined;
	const wait = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { wait, open };
};

describe('bulkhead: an attempt that comes to wait for a slot after the client\'s close() is refused, never sent later', () => {
	it('a retry that comes after close() behind a full lane: CLIENT_CLOSED, not sent once the slot frees', async () => {
		const first = gate();
		const hold = gate();
		const sent: string[] = [];
		const api = createClient({
			name: `h22-bulkhead-${++named}`, breaker: false, retry: { limit: 1, delay: () => 200, jitter: false }, bulkhead: bulkhead({ maxConcurrent: 1 }),
			fetch: (async (request: Request) => {
				const path = new URL(request.url).pathname;
				sent.push(path);
				if (path === '/x') {
					await hold.wait;
					return new Response('ok');
				}

				await first.wait;
				return new Response('busy', { status: 503 });
			}) as typeof fetch,
		} as never);
		let settled = false;
		const b = outcome(api.get('https://api.test/b')).finally(() => {
			settled = true;
		});
		await waitFor(() => sent.length === 1, '/b sent');
		const x = outcome(api.get('https://api.test/x')); // waits for /b's slot
		first.open(); // /b's 503: its slot goes to /x, its retry comes 200 ms later
		await waitFor(() => sent.length === 2, '/x sent');
		api.close();
		// The retry came to the lane: refused (the call settled), or waiting behind /x.
		await waitFor(() => settled || (api.stats()['https://api.test']?.['bulkhead'] as { queued: number } | undefined)?.queued === 1, 'the retry at the lane');
		hold.open();
		// Before: 'HTTP_5XX' and ['/b', '/x', '/b']: the retry waited past close() and was sent once /x's slot came back.
		expect([await b, await x, sent]).toEqual(['CLIENT_CLOSED', 'OK', ['/b', '/x']]);
	});
});
