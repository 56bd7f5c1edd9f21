/**
 * Defect hunt, twenty-fifth round (the open pipeline: an app's own policies). Neighbours of the known defect classes:
 * a wrapper that ran ky at once and then waits (for ever) holds the call past the caller's abort; a wrapper that holds a
 * call of a request context outlives the request's deadline when it is sooner than `totalTimeout`; a run a wrapper started
 * beside another that never reaches an attempt makes the other's retry count as a restart.
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

/** A transport that answers 200 'net' and notes each request's method and URL (`seen`). */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(`${request.method} ${request.url}`);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

describe('the caller\'s abort ends a call whose wrapper ran ky at once and then waits (for ever)', () => {
	it('recovering from the aborted run by waiting for what never comes: rejected with the caller\'s reason, counted ABORTED once, told once', async () => {
		const { fetch, sent } = hanging();
		const told: unknown[] = [];
		const stuck = mine('audit', {
			wrap: (_call, next) => next().catch(() => new Promise<Response>(() => undefined)),
			settled: (_call, response, error) => void told.push(response?.status ?? error),
		});
		const api = createClient({ fetch, retry: 0, audit: stuck } as never);
		const controller = new AbortController();
		const outcome = watch(api.get('https://a.test/', { signal: controller.signal }));
		await until(() => sent() === 1);
		const reason = new Error('the user left');
		controller.abort(reason);
		// Before: 'pending' (for ever).
		expect(await settledWithin(outcome, 1_000)).toBe(reason);
		expect([told, api.stats()['https://a.test']?.failures, sent()]).toEqual([[reason], { ABORTED: 1 }, 1]);
		api.close();
	});

	it('a wrapper that ran ky, got its answer and then waits before it gives it: the abort meanwhile rejects with the reason, the late answer is nobody\'s', async () => {
		const { fetch, seen } = noting();
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let ran = 0;
		const told: unknown[] = [];
		const late = mine('audit', {
			wrap: (_call, next) => next().then(async (response) => {
				ran++;
				await held;
				return response;
			}),
			settled: (_call, response, error) => void told.push(response?.status ?? error),
		});
		const api = createClient({ fetch, retry: 0, audit: late } as never);
		const controller = new AbortController();
		const outcome = watch(api.get('https://a.test/', { signal: controller.signal }));
		await until(() => ran === 1);
		const reason = new Error('the user left');
		controller.abort(reason);
		// Before: 'pending' until the wrapper gave its answer.
		expect(await settledWithin(outcome, 1_000)).toBe(reason);
		release();
		await held;
		expect([seen, told, api.stats()['https://a.test']?.successes, api.stats()['https://a.test']?.failures]).toEqual([['GET https://a.test/'], [reason], 0, { ABORTED: 1 }]);
		api.close();
	});

	it('aborted before its first attempt, the wrapper then waiting for ever: rejected with the reason, counted ABORTED as a plain call is', async () => {
		const { fetch, sent } = hanging();
		const stuck = mine('audit', { wrap: (_call, next) => next().catch(() => new Promise<Response>(() => undefined)) });
		const api = createClient({ fetch, retry: 0, audit: stuck } as never);
		const plain = createClient({ fetch, retry: 0 });
		const reason = new Error('the user left');
		const outcomes = [];
		for (const client of [api, plain]) {
			const controller = new AbortController();
			const outcome = watch(client.get('https://a.test/', { signal: controller.signal }));
			controller.abort(reason);
			// Before: 'pending' (for ever) for the wrapped call.
			outcomes.push(await settledWithin(outcome, 1_000), client.stats()['https://a.test']?.failures);
		}

		expect([outcomes, sent()]).toEqual([[reason, { ABORTED: 1 }, reason, { ABORTED: 1 }], 0]);
		api.close();
		plain.close();
	});

	it('without a signal nothing is armed: the wrapper\'s answer is the call\'s', async () => {
		const { fetch } = noting();
		const api = createClient({ fetch, retry: 0, audit: mine('audit', { wrap: (_call, next) => next() }) } as never);
		expect(await api.get('https://a.test/').text()).toBe('net');
		api.close();
	});
});

describe('a wrapper that holds a call of a request context is bounded by the request\'s deadline when it is sooner than totalTimeout', () => {
	const incoming = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });

	for (const totalTimeout of [5_000, false] as const) {
		it(`totalTimeout ${totalTimeout}: a wrapper that never calls next() ends at the deadline with ky's TimeoutError (marked spent), nothing sent`, async () => {
			const { fetch, seen } = noting();
			const never = mine('audit', { wrap: () => new Promise<Response>(() => undefined) });
			const api = createClient({ fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, totalTimeout, audit: never } as never);
			const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('150') });
			const started = performance.now();
			const outcome = watch(here.get('x'));
			// Before: 'pending' until totalTimeout (5 000 ms), or for ever with `false`.
			const error = await settledWithin(outcome, 1_500) as Error;
			const took = performance.now() - started;
			expect([classify(error).code, (error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent, took >= 140, took < 1_000, seen]).toEqual(['TIMEOUT', true, true, true, []]);
			api.close();
		});
	}

	it('a wrapper that waits past the deadline and then runs ky: the call ended at the deadline, its late run sends nothing', async () => {
		const { fetch, seen } = noting();
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		let ranOut = 0;
		const gated = mine('audit', { wrap: async (_call, next) => {
			await gate;
			return next().finally(() => void ranOut++);
		} });
		const api = createClient({ fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, totalTimeout: 5_000, audit: gated } as never);
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('100') });
		// Before: 'pending' until the gate opened, then resolved 200.
		expect(classify(await settledWithin(watch(here.get('x')), 1_000)).code).toBe('TIMEOUT');
		open();
		await until(() => ranOut === 1);
		expect(seen).toEqual([]);
		api.close();
	});
});

describe('a wrapper that runs ky twice at once, one run never reaching an attempt: the other\'s retry is still a retry', () => {
	it('the first run answered by a beforeRequest hook (no attempt), the second\'s retry after a 503: told, counted and paid once', async () => {
		let sent = 0;
		const fetch = (async () => (++sent === 1 ? new Response('busy', { status: 503 }) : new Response('net'))) as typeof globalThis.fetch;
		const twice = mine('audit', { wrap: (_call, next) => Promise.all([next({ headers: { 'x-hook': 'answers' } }), next()]).then(([, second]) => second) });
		const answering = ({ request }: { request: Request }) => (request.headers.has('x-hook') ? new Response('from the hook') : undefined);
		const api = createClient({ fetch, retry: { limit: 2, delay: () => 1 }, audit: twice, hooks: { beforeRequest: [answering] } } as never);
		const retries: number[] = [];
		api.on('retry', (event) => retries.push(event.retryCount));
		expect(await api.get('https://a.test/').text()).toBe('net');
		// Before: [2, [], 0] (the retry was counted as the first attempt of a run started beside another: a restart).
		expect([sent, retries, api.stats()['https://a.test']?.retries]).toEqual([2, [1], 1]);
		api.close();
	});
});
