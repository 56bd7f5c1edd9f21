/**
 * Defect hunt, twenty-fifth round (the open pipeline: an app's own policies). Neighbours of the known defect classes:
 * a wrapper that holds a call of a request context outlives the request's deadline when it is sooner than `totalTimeout`; a run a wrapper started
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
