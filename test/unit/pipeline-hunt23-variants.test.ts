/**
 * Defect hunt, twenty-third round (the open pipeline: an app's own policies). Neighbours of the known defect classes:
 * a slot named as one of ky's (or the call's own) options, a `checkCall` whose throw has no string form, a wrapper
 * whose wait before its first run was not part of the call's `totalTimeout`, and a caller's abort while a wrapper waits.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';
import { until } from './outbox-helpers.js';

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

/** What `make()` did: the client's type, or the error it threw (class and message). */
const made = (make: () => unknown): string => {
	try {
		return typeof make();
	} catch (error) {
		return `${(error as Error).constructor.name}: ${(error as Error).message}`;
	}
};

/** Settles with its status and body, or with its error's class and code; a synchronous throw says so. */
const settled = async (call: () => Promise<Response>): Promise<string> => {
	let promise: Promise<Response>;
	try {
		promise = call();
	} catch (error) {
		return `threw ${(error as Error)?.constructor?.name}`;
	}

	return promise.then(async (response) => `${response.status} ${await response.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code}`);
};

/** A transport that answers 200 'net' and notes each request's method, `x-a` header and body (`seen`). */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(`${request.method} ${request.headers.get('x-a')} ${await request.text()}`);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

describe('a slot is never one of ky\'s options, nor the call\'s own', () => {
	it('a policy under a key ky reads (`headers`, `json`, `body`, `searchParams`, `context`, `referrer`, `integrity`, `keepalive`, `duplex`, `dispatcher`) or a call reads (`idempotencyKey`) is a TypeError naming the key at createClient, the parts made closed', () => {
		for (const key of ['headers', 'json', 'body', 'searchParams', 'context', 'referrer', 'integrity', 'keepalive', 'duplex', 'dispatcher', 'idempotencyKey']) {
			let closed = 0;
			const shown = made(() => createClient({ fetch: noting().fetch, audit: mine('audit', { close: () => void closed++ }), [key]: mine(key) } as never));
			// Before: 'function' for each (a client): a `json` slot sent every POST's JSON body as '' (a `headers` slot dropped the call's headers).
			expect([key, shown, closed]).toEqual([key, `TypeError: \`${key}\` is the client's own option, not a slot`, 1]);
		}
	});

	it('an app\'s slot of another name keeps the call\'s JSON body and headers', async () => {
		const { fetch, seen } = noting();
		const api = createClient({ fetch, jsonish: mine('jsonish') } as never);
		expect(await settled(() => api.post('https://a.test/', { json: { a: 1 }, headers: { 'x-a': 'h' } }))).toBe('200 net');
		expect(seen).toEqual(['POST h {"a":1}']);
		api.close();
	});
});

describe('a checkCall\'s refusal of any form is the call\'s InvalidRequestError, before any I/O', () => {
	/** A value with no string form: no prototype, a message that is no string, an Error whose message throws as it is read. */
	const formless = (): unknown[] => [Object.create(null), { message: 42 }, Object.defineProperty(new Error(), 'message', { get: () => {
		throw new Error('no message');
	} })];

	/** What a call of a client whose `audit` policy's checkCall does `check` settles with: its error's class, code, message and whether `value` is its cause. */
	const refusedBy = async (check: () => unknown, value: unknown) => {
		const { fetch, seen } = noting();
		const api = createClient({ fetch, audit: mine('audit', { checkCall: check as () => void }) } as never);
		let refused: Error | undefined;
		try {
			refused = await api.get('https://a.test/', { audit: 1 } as never).then(() => undefined, (error: unknown) => error as Error);
		} catch (error) {
			// Thrown synchronously by the client's method (never its way: a bad input is a rejected promise).
			return ['threw', (error as Error).message];
		} finally {
			api.close();
		}

		return [refused?.constructor.name, classify(refused).code, refused?.message, refused?.cause === value, seen.length];
	};

	it('a checkCall that throws a value with no string form refuses the call with InvalidRequestError (its message the value\'s type, the value its cause), nothing sent', async () => {
		for (const [index, value] of formless().entries()) {
			// Before: api.get() threw synchronously: ['threw', 'Cannot convert object to primitive value'], ['threw', 'text.replace is not a function'], ['threw', 'no message'].
			expect([index, ...await refusedBy(() => {
				throw value;
			}, value)]).toEqual([index, 'InvalidRequestError', 'INVALID_REQUEST', 'object', true, 0]);
		}
	});

	it('one that gives back such an Error (a forgotten `throw`) refuses it the same way', async () => {
		const value = formless()[2];
		// Before: ['threw', 'no message'].
		expect(await refusedBy(() => value, value)).toEqual(['InvalidRequestError', 'INVALID_REQUEST', 'object', true, 0]);
	});

	it('its neighbours of the core: an identity() or a ky `init` hook that throws such a value rejects the call with InvalidRequestError, nothing sent', async () => {
		for (const [index, value] of formless().entries()) {
			const thrower = () => {
				throw value;
			};
			for (const options of [{ identity: thrower }, { hooks: { init: [thrower] } }]) {
				const { fetch, seen } = noting();
				const api = createClient({ fetch, ...options } as never);
				// Before: api.get() threw synchronously ('Cannot convert object to primitive value', 'text.replace is not a function', 'no message').
				expect([index, Object.keys(options)[0], await settled(() => api.get('https://a.test/')), seen]).toEqual([index, Object.keys(options)[0], 'InvalidRequestError INVALID_REQUEST', []]);
				api.close();
			}
		}
	});

	it('one that throws a string or an Error is said as before', async () => {
		expect(await refusedBy(() => {
			throw 'audit: no';
		}, 'audit: no')).toEqual(['InvalidRequestError', 'INVALID_REQUEST', 'audit: no', true, 0]);
		const error = new RangeError('audit: 1 is no mode');
		expect(await refusedBy(() => {
			throw error;
		}, error)).toEqual(['InvalidRequestError', 'INVALID_REQUEST', 'audit: 1 is no mode', true, 0]);
	});
});

describe('a wrapper\'s wait is part of the call: its totalTimeout runs from the call\'s start', () => {
	/** A transport that never answers, rejecting with its signal's reason when aborted; `sent()` counts what it was sent. */
	const hanging = () => {
		let sent = 0;
		const fetch = ((request: Request, init?: RequestInit) => new Promise((_resolve, reject) => {
			sent++;
			const signal = init?.signal ?? request.signal;
			signal.addEventListener('abort', () => reject(signal.reason));
		})) as typeof globalThis.fetch;
		return { fetch, sent: () => sent };
	};

	/** A wrapper that waits `ms` (a token, a lock, a queue of the app's) before it runs ky. */
	const waiting = (ms: number) => mine('audit', { wrap: async (_call, next) => {
		await new Promise((resolve) => {
			setTimeout(resolve, ms);
		});
		return next();
	} });

	it('a wrapper that waits 800 ms before its first run leaves ky what is left of a totalTimeout of 1 000 ms', async () => {
		const { fetch, sent } = hanging();
		const api = createClient({ fetch, retry: 0, timeout: false, totalTimeout: 1_000, audit: waiting(800) } as never);
		const started = performance.now();
		const outcome = await settled(() => api.get('https://a.test/'));
		const took = performance.now() - started;
		// Before: the run had a fresh 1 000 ms: the call ended after about 1 800 ms.
		expect([outcome, sent(), took < 1_500]).toEqual(['TimeoutError TIMEOUT', 1, true]);
		api.close();
	});

	it('one that waits past the whole totalTimeout ends the call with TIMEOUT, nothing sent; one that waits a little is answered', async () => {
		const { fetch, sent } = hanging();
		const late = createClient({ fetch, retry: 0, timeout: false, totalTimeout: 300, audit: waiting(400) } as never);
		// Before: the run had a fresh 300 ms: the request went out ('TimeoutError TIMEOUT', 1) 700 ms after the call's start.
		expect([await settled(() => late.get('https://a.test/')), sent()]).toEqual(['TimeoutError TIMEOUT', 0]);
		late.close();
		const { fetch: answering, seen } = noting();
		const soon = createClient({ fetch: answering, retry: 0, totalTimeout: 1_000, audit: waiting(20) } as never);
		expect([await settled(() => soon.get('https://a.test/')), seen]).toEqual(['200 net', ['GET null ']]);
		soon.close();
	});
});

describe('a wrapper that answers before its run\'s first attempt (its run goes on in the background)', () => {
	it('leaves no scope held: the client still forgets idle scopes past 1 000, and no request is counted without its outcome', async () => {
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('net');
		}) as typeof globalThis.fetch;
		// Stale-while-revalidate, an app's way: the copy at once, the network's answer for later.
		const refreshing = mine('refreshing', { wrap: (_call, next) => {
			void next().catch(() => undefined);
			return Promise.resolve(new Response('copy'));
		} });
		const api = createClient({ fetch, refreshing } as never);
		for (let index = 0; index < 1_100; index++) {
			expect(await api.get(`https://h${index}.test/`).text()).toBe('copy');
		}

		await until(() => sent === 1_100);
		await api.get('https://last.test/').text();
		await until(() => sent === 1_101);
		// Before: 1 101 scopes, each held for good by a call counted in flight ({ requests: 1, successes: 0 } in each).
		expect(Object.keys(api.stats()).length).toBeLessThanOrEqual(1_000);
		expect(Object.values(api.stats()).filter(({ requests, successes, failures }) => requests > successes + Object.keys(failures).length)).toEqual([]);
		api.close();
	});
});

