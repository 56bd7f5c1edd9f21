/**
 * Defect hunt, nineteenth round (limits): calls that waited for a server's block whose limit it did not say (a
 * `Retry-After` alone) go one first, the others once it was answered — never all at the reset at once. The injected
 * clock stands still unless a test moves it (each wait is exact); the first call after the block is answered when the
 * test lets it.
 */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/**
 * A client with a server-only limiter whose origin answers /first with `first` (status, headers), and each later request
 * as `answer(index, path)` says (index 1 for the second request); `most`: the most requests that were in flight at once
 * after /first, `sent` the paths in order.
 */
const setup = (first: readonly [number, Readonly<Record<string, string>>], answer: (index: number, path: string) => Promise<Response>, timeout = 5_000) => {
	const clock = new ManualClock(t0);
	const seen = { sent: [] as string[], inFlight: 0, most: 0 };
	const api = createClient({
		clock, random: () => 0.5, timeout, retry: 0, rateLimit: rateLimit(),
		fetch: (async (request: Request) => {
			const path = new URL(request.url).pathname;
			seen.sent.push(path);
			if (path === '/first') {
				return new Response('', { status: first[0], headers: first[1] });
			}

			seen.most = Math.max(seen.most, ++seen.inFlight);
			try {
				return await answer(seen.sent.length - 1, path);
			} finally {
				seen.inFlight--;
			}
		}) as typeof fetch,
	});
	return { api, clock, seen };
};

/** A gate the test opens: `wait` resolves once `open()` was called. */
const gate = () => {
	let open: () => void = () => undefined;
	const wait = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { wait, open };
};

describe('rateLimit(): after a server\'s block with no limit said, one call goes first, the others once it is answered', () => {
	for (const [said, first] of [
		['a 429\'s Retry-After', [429, { 'retry-after': '1' }]],
		['X-RateLimit-Remaining: 0 and X-RateLimit-Reset, no limit', [200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' }]],
	] as const) {
		it(`${said}: three waiting calls, the first sent alone at the reset, the two others when its answer came`, async () => {
			const answered = gate();
			const { api, seen } = setup(first, async (index) => {
				if (index === 1) {
					await answered.wait;
				}

				return new Response('ok');
			});
			const waits: Array<[number, string]> = [];
			api.on('ratelimit:wait', ({ waitMs, reason }) => waits.push([waitMs, reason]));
			await code(api.get('https://api.test/first'));
			const calls = ['/1', '/2', '/3'].map(async (path) => code(api.get(`https://api.test${path}`)));
			await vi.waitFor(() => expect(seen.sent.length).toBeGreaterThan(1), { timeout: 5_000 });
			answered.open();
			expect(await Promise.all(calls)).toEqual(['OK', 'OK', 'OK']);
			// Before: 3 in flight at once (every waiting call sent at the reset), the first's answer not waited for.
			expect([seen.most, seen.sent.slice(0, 2), waits]).toEqual([1, ['/first', '/1'], [[1_000, 'server'], [1_000, 'server'], [1_000, 'server']]]);
			api.close();
		});
	}

	it('a limit said (limit=10): the waiting calls go at the reset together, as that window allows', async () => {
		const answered = gate();
		const { api, seen } = setup([200, { ratelimit: 'limit=10, remaining=0, reset=1' }], async (index) => {
			if (index <= 3) {
				await answered.wait;
			}

			return new Response('ok');
		});
		await code(api.get('https://api.test/first'));
		const calls = ['/1', '/2', '/3'].map(async (path) => code(api.get(`https://api.test${path}`)));
		await vi.waitFor(() => expect(seen.inFlight).toBe(3), { timeout: 5_000 });
		answered.open();
		expect(await Promise.all(calls)).toEqual(['OK', 'OK', 'OK']);
		api.close();
	});

	it('the first call answered 429 with a new Retry-After: the others wait for that reset, then one goes first again', async () => {
		const answers = [gate(), gate()];
		const { api, clock, seen } = setup([429, { 'retry-after': '1' }], async (index) => {
			if (index <= 2) {
				await answers[index - 1]!.wait;
			}

			// The first one after the first block is answered at its reset (t0 + 1 s): blocked 1 s more.
			return index === 1 ? new Response('', { status: 429, headers: { 'retry-after': '1' } }) : new Response('ok');
		});
		await code(api.get('https://api.test/first'));
		const calls = ['/1', '/2', '/3'].map(async (path) => code(api.get(`https://api.test${path}`)));
		await vi.waitFor(() => expect(seen.sent).toEqual(['/first', '/1']), { timeout: 5_000 });
		clock.set(t0 + 1_000);
		answers[0]!.open();
		await vi.waitFor(() => expect(seen.sent).toEqual(['/first', '/1', '/2']), { timeout: 5_000 });
		answers[1]!.open();
		// Before: ['HTTP_429', 'OK', 'OK'] with /2 and /3 sent with /1 at the first reset, 3 in flight.
		expect(await Promise.all(calls)).toEqual(['HTTP_429', 'OK', 'OK']);
		expect([seen.most, seen.sent]).toEqual([1, ['/first', '/1', '/2', '/3']]);
		api.close();
	});

	it('the first call gets no answer (a network failure): the next waiting call goes first, alone', async () => {
		const answered = gate();
		const { api, seen } = setup([429, { 'retry-after': '1' }], async (index) => {
			if (index === 1) {
				throw new TypeError('fetch failed');
			}

			if (index === 2) {
				await answered.wait;
			}

			return new Response('ok');
		});
		await code(api.get('https://api.test/first'));
		const calls = ['/1', '/2', '/3'].map(async (path) => code(api.get(`https://api.test${path}`)));
		await vi.waitFor(() => expect(seen.sent).toHaveLength(3), { timeout: 5_000 });
		answered.open();
		expect(await Promise.all(calls)).toEqual(['NETWORK', 'OK', 'OK']);
		// Before: 3 in flight at once.
		expect([seen.most, seen.sent]).toEqual([1, ['/first', '/1', '/2', '/3']]);
		api.close();
	});

	it('a call waiting for the first one\'s answer past its own budget: RateLimitedError, never sent', async () => {
		const answered = gate();
		const { api, clock, seen } = setup([429, { 'retry-after': '1' }], async (index) => {
			if (index === 1) {
				await answered.wait;
			}

			return new Response('ok');
		});
		await code(api.get('https://api.test/first'));
		// /2's timeout, 3 s, shorter than /1's (5 s, which bounds how long /1 goes first).
		const calls = [code(api.get('https://api.test/1')), code(api.get('https://api.test/2', { timeout: 3_000 }))];
		await vi.waitFor(() => expect(seen.sent).toEqual(['/first', '/1']), { timeout: 5_000 });
		// /2's timeout spent on the client's clock while /1 waits for its answer.
		clock.advance(3_000);
		const late = await calls[1];
		answered.open();
		// Before: 'OK' (sent at the reset with /1).
		expect([await calls[0], late, seen.sent]).toEqual(['OK', 'RATE_LIMITED', ['/first', '/1']]);
		api.close();
	});
});
