/**
 * Defect hunt, eighth round (area R): variants of bad input and the newcomer's messages that earlier
 * rounds missed.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient as createCore } from '../../src/entries/core.js';
import { createClient } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { thrown } from './thrown.js';

const ok = (async () => new Response('ok')) as typeof fetch;

/** What a call rejected with: its name, message and `classify()` code (or 'resolved'). */
const failure = async (promise: Promise<unknown>): Promise<unknown[]> => {
	try {
		await promise;
		return ['resolved'];
	} catch (error) {
		return [(error as Error).name, (error as Error).message, classify(error).code];
	}
};

describe('a list of the wrong items is shown as the list it is, never as "object"', () => {
	it('at createClient: an option that takes a list, given one of the wrong items, names what it got', () => {
		expect(thrown(() => createCore({ fetch: ok, retry: { statusCodes: ['500'] } } as never))).toBe('RangeError: `retry.statusCodes` must be an array of HTTP status codes (integers from 100 to 599); got ["500"]');
		expect(thrown(() => createCore({ fetch: ok, sensitiveParams: [5, null] } as never))).toBe('RangeError: `sensitiveParams` must be an array of strings; got [5,null]');
		expect(thrown(() => createCore({ fetch: ok, hooks: { beforeRequest: [[], {}] } } as never))).toBe('RangeError: `hooks.beforeRequest` must be an array of functions; got [[],object]');
	});

	it('per call: options given as a list reject with an InvalidRequestError that says a list was given', async () => {
		const api = createCore({ fetch: ok });
		expect(await failure(api.get('https://api.test/', [] as never))).toEqual(['InvalidRequestError', '`options` must be an object, not an array; got []', 'INVALID_REQUEST']);
		// Not a list: never said to be one (defect hunt, eleventh round: null was "an object, not an array; got null").
		for (const [given, shown] of [[null, 'null'], [5, '5'], ['retry', '"retry"'], [true, 'true']] as const) {
			for (const call of [() => api.get('https://api.test/', given as never), () => api('https://api.test/', given as never), () => api.post('https://api.test/', given as never)]) {
				expect(await failure(call())).toEqual(['InvalidRequestError', `\`options\` must be an object; got ${shown}`, 'INVALID_REQUEST']);
			}
		}

		expect(await failure(api.get('https://api.test/', { retry: { methods: ['get', 1] } } as never))).toEqual(['InvalidRequestError', '`retry.methods` must be an array of method names; got ["get",1]', 'INVALID_REQUEST']);
		api.close();
	});
});

describe('classify() of an app\'s own error named HTTPError (another library\'s, with no Response of fetch\'s)', () => {
	/** An error as many libraries and apps define their own `HTTPError`: no `response`, or one without a numeric `status`. */
	const appErrors = (): Error[] => [
		Object.assign(new Error('not found'), { name: 'HTTPError' }),
		Object.assign(new Error('not found'), { name: 'HTTPError', response: null }),
		Object.assign(new Error('not found'), { name: 'HTTPError', response: { statusCode: 404 } }),
	];

	it('is UNKNOWN (not transient), never a TypeError thrown by classify() itself', () => {
		for (const error of appErrors()) {
			let classified: unknown;
			try {
				classified = classify(error);
			} catch (thrown) {
				classified = `threw ${(thrown as Error).message}`;
			}

			expect(classified).toEqual({ code: 'UNKNOWN', transient: false });
		}
	});

	it('thrown by a custom `fetch`, it is what the call rejects with, counted as UNKNOWN (core and preset)', async () => {
		for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
			for (const error of appErrors()) {
				const api = make({ retry: 0, fetch: async () => {
					throw error;
				} });
				const caught = await api.get('https://api.test/a').catch((reason: unknown) => reason);
				expect(caught).toBe(error);
				expect(api.stats()['https://api.test']?.failures).toEqual({ UNKNOWN: 1 });
				api.close();
			}
		}
	});
});

describe('identity() that returns no identity: the message names what it got (its type, never a personal value)', () => {
	it('null, an empty string and a Promise (an async identity()) are named as such; a number by its type only', async () => {
		const cases: Array<[unknown, string]> = [
			[null, 'got null'],
			['', 'got ""'],
			[Promise.resolve('user-1'), 'got a Promise'],
			[42, 'got number'],
		];
		for (const [value, says] of cases) {
			const api = createCore({ fetch: ok, identity: () => value as string });
			const [name, message, code] = await failure(api.get('https://api.test/a'));
			expect([name, code, (message as string).endsWith(says), message]).toEqual(['InvalidRequestError', 'INVALID_REQUEST', true, message]);
			expect(message).not.toContain('42');
			api.close();
		}
	});
});

describe('a run of ky a wrapper starts again (auth\'s after a refresh) has what is left of the call\'s totalTimeout, not a new one', () => {
	it('a 401 late in the budget, a refresh, then a hanging origin: the call ends within its totalTimeout, not about twice it', async () => {
		let sent = 0;
		let token = 'old';
		const origin = ((request: Request) => {
			sent++;
			if (request.headers.get('authorization') === 'Bearer old') {
				// The first answer, a 401, comes late in the call's budget.
				return new Promise((resolve) => setTimeout(() => resolve(new Response('no', { status: 401 })), 700));
			}

			// After the refresh the origin hangs until the attempt is aborted.
			return new Promise((_resolve, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true }));
		}) as typeof fetch;
		const api = createCore({
			fetch: origin,
			retry: 0,
			timeout: false,
			totalTimeout: 1_000,
			auth: auth({ token: () => token, refresh: () => {
				token = 'new';
			}, origins: ['https://api.test'] }),
		});
		const started = performance.now();
		const [name, , code] = await failure(api.get('https://api.test/a'));
		const took = performance.now() - started;
		// Before: the second run of ky got a fresh 1 000 ms (the call took ~1 700 ms).
		expect([name, code, sent, took < 1_500]).toEqual(['TimeoutError', 'TIMEOUT', 2, true]);
		api.close();
	});
});
