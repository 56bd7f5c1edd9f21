/**
 * Defect hunt, twenty-first round (failover and hedge). API.md: failover moves a call to a mirror only
 * when it "failed transiently" (`classify()`'s vocabulary); bad options are a `RangeError` naming the
 * option at creation, before any I/O.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { waitFor } from '../helpers/wait-for.js';

/** A `fetch` answering by origin (`answers`, a status or a body), recording each URL it was sent. */
const byOrigin = (answers: Record<string, number>) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		const status = answers[new URL(request.url).origin] ?? 200;
		// As fetch's own answers: its URL the request's.
		return Object.defineProperty(new Response(`${new URL(request.url).host} ${status}`, { status }), 'url', { value: request.url });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('failover({ mirrors }): bad mirrors are a RangeError at creation', () => {
	it('two keys naming the same origin (a trailing slash, another case, the default port) are refused, naming the option', () => {
		for (const twin of ['https://api.example/', 'https://API.example', 'https://api.example:443', 'HTTPS://api.example']) {
			// Before: no error; the later key's list silently replaced the earlier one's.
			expect(() => failover({ mirrors: { 'https://api.example': ['https://eu.example'], [twin]: ['https://us.example'] } }), twin)
				.toThrow(RangeError);
			expect(() => failover({ mirrors: { 'https://api.example': ['https://eu.example'], [twin]: ['https://us.example'] } }), twin)
				.toThrow(/failover\.mirrors/);
		}
	});

	it('an http:// mirror of an https:// primary (a downgrade) is refused; an https mirror of an http primary is not', () => {
		// Before: accepted; a failed call went to http://eu.example in the clear.
		expect(() => failover({ mirrors: { 'https://api.example': ['http://eu.example'] } })).toThrow(RangeError);
		expect(() => failover({ mirrors: { 'https://api.example': ['https://us.example', 'HTTP://eu.example/api'] } })).toThrow(/failover\.mirrors\['https:\/\/api\.example'\]\[1\]/);
		expect(() => failover({ mirrors: { 'http://api.example': ['https://eu.example', 'http://us.example'] } })).not.toThrow();
	});

	it('a hole, a non-string or an empty entry in a mirror list is refused', () => {
		// A hole at index 0 (an array literal with an empty slot).
		const holed: string[] = [];
		holed[1] = 'https://eu.example';
		const lists: Array<[string, unknown[]]> = [
			['a hole', holed],
			['undefined', [undefined, 'https://eu.example']],
			['null', ['https://eu.example', null]],
			['a URL object', [new URL('https://eu.example')]],
			['an object with toString', [{ toString: () => 'https://eu.example' }]],
			['an empty string', ['']],
			['a blank string', ['  ']],
		];
		for (const [name, list] of lists) {
			// Before (a hole, a URL object, an object with toString): accepted; a hole became the mirror "undefined".
			expect(() => failover({ mirrors: { 'https://api.example': list as string[] } }), name).toThrow(RangeError);
		}
	});

	it('a hole in a list does not reach a call: no attempt is sent to a URL built from undefined', async () => {
		const { sent, fetch } = byOrigin({ 'https://api.example': 503, 'https://eu.example': 503 });
		// A hole at index 1.
		const holed = ['https://eu.example'];
		holed.length = 2;
		let error: unknown;
		try {
			const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://api.example': holed } }) });
			await api.get('https://api.example/x', { throwHttpErrors: false });
			api.close();
		} catch (caught) {
			error = caught;
		}

		// Before: [false, ['https://api.example/x', 'https://eu.example/x']]: accepted, the hole read as a mirror "undefined" (its attempt a TypeError, swallowed).
		expect([error instanceof RangeError, sent]).toEqual([true, []]);
	});
});
describe('failover: a keyed write a mirror refused is that mirror\'s decision', () => {
	it('a keyed write a mirror refused (409) is not sent on to the next mirror', async () => {
		const { sent, fetch } = byOrigin({ 'https://api.example': 503, 'https://eu.example': 409 });
		const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://api.example': ['https://eu.example', 'https://us.example'] } }) });
		// Before: the write went on to us.example too: sent to two mirrors (resolved 200 there).
		await expect(api.post('https://api.example/w', { json: { a: 1 }, idempotencyKey: 'k-1' })).rejects.toMatchObject({ response: { status: 409 } });
		expect(sent).toEqual(['https://api.example/w', 'https://eu.example/w']);
		api.close();
	});

	it.each([true, false])('throwHttpErrors %s: a keyed write\'s 422 from a mirror is the answer; its 401, 503, 429 or 408 moves it on; a read\'s 404 moves on', async (throws) => {
		for (const [status, next] of [[422, false], [401, true], [503, true], [429, true], [408, true]] as const) {
			const { sent, fetch } = byOrigin({ 'https://api.example': 503, 'https://eu.example': status });
			const api = createClient({ retry: 0, retryBudget: false, breaker: false, fetch, failover: failover({ mirrors: { 'https://api.example': ['https://eu.example', 'https://us.example'] } }) } as never);
			const answer = await api.post('https://api.example/w', { json: { a: 1 }, idempotencyKey: 'k-2', throwHttpErrors: throws })
				.then((response) => response.status, (error: { response?: Response }) => error.response?.status);
			expect([answer, sent], String(status)).toEqual(next
				? [200, ['https://api.example/w', 'https://eu.example/w', 'https://us.example/w']]
				: [422, ['https://api.example/w', 'https://eu.example/w']]);
			api.close();
		}

		const { sent, fetch } = byOrigin({ 'https://api.example': 503, 'https://eu.example': 404 });
		const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://api.example': ['https://eu.example', 'https://us.example'] } }) });
		const read = await api.get('https://api.example/x', { throwHttpErrors: throws }).then((response) => response.status);
		expect([read, sent]).toEqual([200, ['https://api.example/x', 'https://eu.example/x', 'https://us.example/x']]);
		api.close();
	});
});

describe('failover: the caller\'s abort during a mirror attempt ends the call there', () => {
	/** A `fetch` whose eu.example attempts wait: released by hand, or rejected by their signal when `follows`. */
	const holding = (follows: boolean) => {
		const sent: string[] = [];
		const held: Array<(response: Response) => void> = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			const { origin } = new URL(request.url);
			if (origin !== 'https://eu.example') {
				return new Response(origin, { status: origin === 'https://api.example' ? 503 : 200 });
			}

			return new Promise<Response>((resolve, reject) => {
				held.push(resolve);
				if (follows) {
					request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
				}
			});
		}) as typeof globalThis.fetch;
		return { sent, held, fetch };
	};

	it.each([true, false])('the mirror\'s fetch follows the signal: %s — the call rejects with the abort, no other mirror is sent it, no failover event', async (follows) => {
		const { sent, held, fetch } = holding(follows);
		const api = createClient({ retry: 0, retryBudget: false, timeout: false, fetch, failover: failover({ mirrors: { 'https://api.example': ['https://eu.example', 'https://us.example'] } }) } as never);
		const events: string[] = [];
		api.on('failover', ({ mirror }) => events.push(mirror));
		const controller = new AbortController();
		const call = api.get('https://api.example/x', { signal: controller.signal, throwHttpErrors: false }).then(() => 'resolved', (error: unknown) => (error as Error).name);
		await waitFor(() => held.length === 1, 'the mirror attempt');
		controller.abort();
		// A fetch that does not follow the signal answers 503 after the abort.
		held[0]!(new Response('late', { status: 503 }));
		expect([await call, sent, events]).toEqual(['AbortError', ['https://api.example/x', 'https://eu.example/x'], []]);
		api.close();
	});
});

describe('failover with hedge: a mirror\'s run is hedged in the mirror\'s scope', () => {
	it('the mirror\'s slow first attempt is hedged (its scope\'s hedge); a hedge\'s 404 is no good answer of that mirror: the next mirror\'s is the call\'s', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			const { origin } = new URL(request.url);
			if (origin === 'https://api.example') {
				return new Response('down', { status: 503 });
			}

			// eu.example's first attempt never answers (until its abort); its hedge answers 404.
			if (sent.filter((url) => url.startsWith('https://eu.example')).length === 1) {
				return new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true }));
			}

			return Object.defineProperty(new Response(origin, { status: origin === 'https://eu.example' ? 404 : 200 }), 'url', { value: request.url });
		}) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, timeout: false, fetch, hedge: hedge({ delayMs: 20 }), failover: failover({ mirrors: { 'https://api.example': ['https://eu.example', 'https://us.example'] } }) } as never);
		const events: string[] = [];
		api.on('hedge', ({ scope }) => events.push(`hedge ${scope}`));
		api.on('failover', ({ mirror }) => events.push(`failover ${mirror}`));
		const status = await api.get('https://api.example/x', { throwHttpErrors: false }).then((response) => response.status);
		expect([status, sent, events]).toEqual([200, ['https://api.example/x', 'https://eu.example/x', 'https://eu.example/x', 'https://us.example/x'], ['hedge https://eu.example', 'failover https://us.example/x']]);
		api.close();
	});
});
