/**
 * Defect hunt, twenty-fourth round (the open pipeline: an app's own policies). Neighbours of the known defect classes:
 * a wrapper that waits without reading the caller's signal (or for ever) holds the call past the caller's abort and its
 * `totalTimeout`; a wrapper that runs ky twice at once has its second run counted as a retry; `context.emit` shows a
 * `URL` object's sensitive query values.
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

/** A transport that answers 200 'net' and notes each request's method and URL (`seen`). */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(`${request.method} ${request.url}`);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

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

/** A wrapper that waits for the test's `open()` (a lock, a queue of the app's that reads no signal) before it runs ky; `settled` notes each outcome its policy is told. */
const gated = () => {
	let open!: () => void;
	const gate = new Promise<void>((resolve) => {
		open = resolve;
	});
	let ran = 0;
	let ranOut = 0;
	const told: unknown[] = [];
	const policy = mine('audit', {
		wrap: async (_call, next) => {
			await gate;
			ran++;
			return next().finally(() => void ranOut++);
		},
		settled: (_call, response, error) => void told.push(response?.status ?? error),
	});
	return { policy, open, ran: () => ran, ranOut: () => ranOut, told };
};

/** The call's outcome as it stands: 'pending' until it settles, then 'resolved <status>' or its error. */
const watch = (call: Promise<Response>) => {
	let outcome: unknown = 'pending';
	call.then((response) => {
		outcome = `resolved ${response.status}`;
	}, (error: unknown) => {
		outcome = error;
	});
	return () => outcome;
};

/** Wait up to `ms` for `outcome()` to settle; what it is then ('pending' if it never did). */
const settledWithin = async (outcome: () => unknown, ms: number): Promise<unknown> => {
	await until(() => outcome() !== 'pending', ms).catch(() => undefined);
	return outcome();
};

describe('the caller\'s abort ends a wrapped call at once, whatever a wrapper waits for', () => {
	it('a wrapper waiting before its run (reading no signal): the call rejects with the caller\'s reason, told once; the run it starts later sends nothing and counts nothing', async () => {
		for (const fallback of [undefined, { shown: 'fallback' }]) {
			const { fetch, seen } = noting();
			const { policy, open, ran, ranOut, told } = gated();
			const api = createClient({ fetch, retry: 0, audit: policy, ...fallback && { fallback } } as never);
			const controller = new AbortController();
			const outcome = watch(api.get('https://a.test/', { signal: controller.signal }));
			const reason = new Error('the user left');
			controller.abort(reason);
			// Before: 'pending' (for ever: the wrapper's wait reads no signal).
			expect([fallback, await settledWithin(outcome, 1_000)]).toEqual([fallback, reason]);
			expect(told).toEqual([reason]);
			open();
			await until(() => ran() === 1);
			// The wrapper's late run ends (rejected: the caller aborted) without sending anything.
			await until(() => ranOut() === 1);
			expect([seen, told, api.stats()['https://a.test']]).toEqual([[], [reason], undefined]);
			api.close();
		}
	});

	it('a call whose signal is already aborted rejects with its reason at once; the next call goes through', async () => {
		const { fetch, seen } = noting();
		const { policy, open } = gated();
		const api = createClient({ fetch, retry: 0, audit: policy } as never);
		const reason = new Error('gone before it began');
		// Before: 'pending'.
		expect(await settledWithin(watch(api.get('https://a.test/', { signal: AbortSignal.abort(reason) })), 1_000)).toBe(reason);
		open();
		expect(await api.get('https://a.test/b', { signal: new AbortController().signal }).text()).toBe('net');
		expect(seen).toEqual(['GET https://a.test/b']);
		api.close();
	});

	it('a wrapper that waited, then ran ky whose attempt the abort ends, then waits again (reading no signal): rejected with the reason, counted ABORTED once, told once', async () => {
		const { fetch, sent } = hanging();
		const told: unknown[] = [];
		const stuck = mine('audit', {
			wrap: async (_call, next) => {
				await Promise.resolve();
				// Recovers from the attempt's error by waiting for something that never comes (a queue of the app's).
				return next().catch(() => new Promise<Response>(() => undefined));
			},
			settled: (_call, response, error) => void told.push(response?.status ?? error),
		});
		const api = createClient({ fetch, retry: 0, audit: stuck } as never);
		const controller = new AbortController();
		const outcome = watch(api.get('https://a.test/', { signal: controller.signal }));
		await until(() => sent() === 1);
		const reason = new Error('the user left');
		controller.abort(reason);
		// Before: 'pending'.
		expect(await settledWithin(outcome, 1_000)).toBe(reason);
		expect([told, api.stats()['https://a.test']?.failures, sent()]).toEqual([[reason], { ABORTED: 1 }, 1]);
		api.close();
	});
});

describe('the client\'s close() refuses a call a wrapper holds, as a bulkhead\'s waiter is', () => {
	it('a wrapper waiting before its run: the call rejects CLIENT_CLOSED at once, told once; the run it starts later is refused, nothing sent', async () => {
		const { fetch, seen } = noting();
		const { policy, open, ran, ranOut, told } = gated();
		const api = createClient({ fetch, retry: 0, audit: policy, fallback: { shown: 'fallback' } } as never);
		const outcome = watch(api.get('https://a.test/'));
		api.close();
		const error = await settledWithin(outcome, 1_000);
		// Before: 'pending', then (the gate opened) the request went out and the call resolved 200.
		expect([(error as Error)?.name, classify(error).code]).toEqual(['SteadfetchError', 'CLIENT_CLOSED']);
		open();
		await until(() => ran() === 1 && ranOut() === 1);
		expect([seen, told.length, classify(told[0]).code]).toEqual([[], 1, 'CLIENT_CLOSED']);
	});
});

describe('a run the wrapper started before close() goes on as any call\'s run does', () => {
	it('the wrapper waited, then ran ky; the client closes while that run is in flight: the call ends as a plain call in flight ends', async () => {
		let answer!: () => void;
		const answered = new Promise<void>((resolve) => {
			answer = resolve;
		});
		let sent = 0;
		const fetch = (async () => {
			sent++;
			await answered;
			return new Response('net');
		}) as typeof globalThis.fetch;
		const { policy, open, ran } = gated();
		const api = createClient({ fetch, retry: 0, audit: policy } as never);
		const plain = createClient({ fetch, retry: 0 });
		const wrapped = watch(api.get('https://a.test/w'));
		const alone = watch(plain.get('https://a.test/p'));
		open();
		await until(() => ran() === 1 && sent === 2);
		api.close();
		plain.close();
		answer();
		const outcomes = [await settledWithin(wrapped, 2_000), await settledWithin(alone, 2_000)];
		// Before (the held call refused whatever it had started): ['CLIENT_CLOSED', 'resolved 200'].
		expect(outcomes.map((outcome) => typeof outcome === 'string' ? outcome : classify(outcome).code)).toEqual(['resolved 200', 'resolved 200']);
	});
});

describe('a wrapper that never settles is bounded by the call\'s totalTimeout', () => {
	it('one that never calls next(): the call rejects with ky\'s TimeoutError at the deadline (marked totalTimeoutSpent), nothing sent', async () => {
		const { fetch, seen } = noting();
		const never = mine('audit', { wrap: () => new Promise<Response>(() => undefined) });
		const api = createClient({ fetch, retry: 0, totalTimeout: 200, audit: never } as never);
		const started = performance.now();
		const outcome = watch(api.get('https://a.test/x'));
		// Before: 'pending' (for ever).
		const error = await settledWithin(outcome, 1_500) as Error;
		const took = performance.now() - started;
		expect([error?.name, classify(error).code, (error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent, (error as { request?: Request }).request?.url]).toEqual(['TimeoutError', 'TIMEOUT', true, 'https://a.test/x']);
		expect([took >= 190, took < 1_000, seen]).toEqual([true, true, []]);
		api.close();
	});

	it('one that runs ky once the call timed out: its run is ky\'s TimeoutError, nothing sent or counted, the call told once', async () => {
		const { fetch, seen } = noting();
		const { policy, open, ranOut, told } = gated();
		const api = createClient({ fetch, retry: 0, totalTimeout: 150, audit: policy } as never);
		expect(classify(await settledWithin(watch(api.get('https://a.test/')), 1_000)).code).toBe('TIMEOUT');
		open();
		await until(() => ranOut() === 1);
		expect([seen, told.length, api.stats()['https://a.test']]).toEqual([[], 1, undefined]);
		api.close();
	});

	it('the client\'s fallback answers it, as it answers ky\'s own timeout; a call\'s own totalTimeout bounds it, and `false` leaves it to the wrapper', async () => {
		const { fetch } = noting();
		let release!: (response: Response) => void;
		const held = mine('audit', { wrap: () => new Promise<Response>((resolve) => {
			release = resolve;
		}) });
		const api = createClient({ fetch, retry: 0, totalTimeout: 150, fallback: { shown: 'fallback' }, audit: held } as never);
		const response = await api.get('https://a.test/');
		// Before: the call never settled.
		expect([response.status, await response.json()]).toEqual([200, { shown: 'fallback' }]);
		const own = watch(api.get('https://a.test/', { totalTimeout: false }));
		await until(() => release !== undefined);
		release(new Response('the wrapper\'s'));
		await until(() => own() !== 'pending');
		expect(own()).toBe('resolved 200');
		api.close();
	});
});

describe('a wrapper that runs ky twice at once: each run\'s first attempt is no retry', () => {
	it('no retry told, counted or paid for the second run\'s first attempt; both sent', async () => {
		const { fetch, seen } = noting();
		const twice = mine('audit', { wrap: (_call, next) => Promise.all([next(), next()]).then(([first]) => first) });
		const api = createClient({ fetch, retry: 2, audit: twice } as never);
		const retries: number[] = [];
		api.on('retry', (event) => retries.push(event.retryCount));
		// Before: the second run's first attempt was a retry (told with retryCount 1, counted in `retries`).
		expect(await api.get('https://a.test/').text()).toBe('net');
		expect([seen.length, retries, api.stats()['https://a.test']?.retries]).toEqual([2, [], 0]);
		api.close();
	});

	it('a retry of either run is still one: told, counted and paid once', async () => {
		let sent = 0;
		const fetch = (async () => (++sent === 1 ? new Response('busy', { status: 503 }) : new Response('net'))) as typeof globalThis.fetch;
		const twice = mine('audit', { wrap: (_call, next) => Promise.all([next(), next()]).then(([first]) => first) });
		const api = createClient({ fetch, retry: { limit: 2, delay: () => 1 }, audit: twice } as never);
		const retries: number[] = [];
		api.on('retry', (event) => retries.push(event.retryCount));
		expect(await api.get('https://a.test/').text()).toBe('net');
		// Before: [1, 2] and 2 (the second run's first attempt counted as a retry too).
		expect([sent, retries, api.stats()['https://a.test']?.retries]).toEqual([3, [1], 1]);
		api.close();
	});
});

describe('context.emit removes sensitive values from every URL it is given', () => {
	it('a URL object\'s `url` and `mirror` are shown as redacted strings, the scope the URL\'s origin', async () => {
		const { fetch } = noting();
		let context!: PolicyContext;
		const api = createClient({ fetch, audit: mine('audit', (given) => {
			context = given;
			return {};
		}) } as never);
		const events: unknown[] = [];
		api.on('audit:sent' as never, (event: never) => void events.push(event));
		context.emit('audit:sent' as never, { url: new URL('https://a.test/p?token=s3cret&x=1'), mirror: new URL('https://b.test/?api_key=k3y') } as never);
		// Before: the URL objects as given, `token=s3cret` and `api_key=k3y` shown, the scope '*'.
		expect(JSON.stringify(events)).not.toMatch(/s3cret|k3y/);
		const [event] = events as Array<{ url: unknown; mirror: unknown; scope: string }>;
		expect([typeof event?.url, typeof event?.mirror, event?.scope]).toEqual(['string', 'string', 'https://a.test']);
		api.close();
	});

	it('a URL\'s password is not shown either (a string\'s or a URL object\'s), its user name kept to say which URL', async () => {
		const { fetch } = noting();
		let context!: PolicyContext;
		const api = createClient({ fetch, audit: mine('audit', (given) => {
			context = given;
			return {};
		}) } as never);
		const events: Array<{ url: string; mirror: string; scope: string }> = [];
		api.on('audit:sent' as never, (event: never) => void events.push(event));
		context.emit('audit:sent' as never, { url: 'https://me:pa55@a.test/p', mirror: new URL('https://me:pa55@b.test/') } as never);
		// Before: 'https://me:pa55@a.test/p' and 'https://me:pa55@b.test/'.
		expect(JSON.stringify(events)).not.toMatch(/pa55/);
		expect([events[0]?.url.startsWith('https://me:'), events[0]?.scope]).toEqual([true, 'https://a.test']);
		api.close();
	});
});
