/**
 * Defect hunt, forty-second round (the open pipeline, one owner per call). An app's per-attempt layer that ends its own
 * attempt (its own AbortController, its own reason) is no timeout of ky's: the attempt fails with what its `fetch` failed
 * with (an `AbortError`: `ABORTED`; the layer's own reason: that error), never retried as a timeout, never counted by the
 * breaker or reachability as the origin's. ky's own timeouts stay `TIMEOUT` whatever Request a layer sends in their place.
 */
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { classify, createClient } from '../../src/entries/index.js';
import type { Policy, PolicyParts } from '../../src/entries/policy.js';
import type { Layer } from '../../src/core/types.js';

/** An origin that never answers: each request fails with its signal's reason once that signal aborts. */
const silent = () => {
	const sent: string[] = [];
	const fetch = ((request: Request) => {
		sent.push(request.url);
		return new Promise<Response>((_resolve, reject) => {
			request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
		});
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

/** An app policy with a per-attempt layer only. */
const layered = (layer: Layer): Policy<'audit'> => ({
	slot: 'audit',
	create: (): PolicyParts => ({ layer }),
}) as Policy<'audit'>;

/** A layer that sends the attempt with a signal of its own and aborts it (with `reason`, if any) once the attempt went out. */
const abandoning = (reason?: unknown): Layer => (next) => (request, init) => {
	const own = new AbortController();
	const sent = next(new Request(request, { signal: own.signal }), init);
	reason === undefined ? own.abort() : own.abort(reason);
	return sent;
};

const seen = (call: Promise<Response>): Promise<unknown> => call.then((response) => response.status, (error: unknown) => error);

describe('a layer that aborts its own attempt', () => {
	it('without a reason: ABORTED, sent once, not retried, the scope not taken for unreachable', async () => {
		const { sent, fetch } = silent();
		const retries: string[] = [];
		const api = createCore({ fetch, retry: { limit: 2, delay: () => 0 }, audit: layered(abandoning()) });
		api.on('retry', (event) => retries.push(event.code));
		const error = await seen(api.get('https://api.test/a'));
		// Before: 'TIMEOUT TimeoutError 3 ["TIMEOUT","TIMEOUT"] unreachable' (the layer's abort taken for ky's timer).
		expect(`${classify(error).code} ${(error as Error).name} ${sent.length} ${JSON.stringify(retries)} ${api.reachability('https://api.test')}`)
			.toBe('ABORTED AbortError 1 [] unknown');
		api.close();
	});

	it('with a reason of its own: the call fails with that error', async () => {
		const { sent, fetch } = silent();
		const mine = new Error('the layer gave up');
		const api = createCore({ fetch, retry: { limit: 2, delay: () => 0 }, audit: layered(abandoning(mine)) });
		const error = await seen(api.get('https://api.test/a'));
		// Before: 'false TIMEOUT 3' (a TimeoutError in its place, retried twice).
		expect(`${error === mine} ${classify(error).code} ${sent.length}`).toBe('true UNKNOWN 1');
		api.close();
	});

	it('counts no failure of the origin: the breaker stays closed', async () => {
		const { fetch } = silent();
		const api = createClient({ fetch, retry: 0, breaker: { consecutiveFailures: 1 }, audit: layered(abandoning()) });
		const error = await seen(api.get('https://api.test/a'));
		const after = await seen(api.get('https://api.test/b'));
		// Before: 'TIMEOUT open CIRCUIT_OPEN' (one abort of the app's layer opened the origin's breaker).
		expect(`${classify(error).code} ${api.breaker('https://api.test').state} ${classify(after).code}`).toBe('ABORTED closed ABORTED');
		expect(api.stats()['https://api.test']?.failures['TIMEOUT']).toBeUndefined();
		api.close();
	});

	it('ky\'s own timeout stays TIMEOUT, retried, through a Request a layer made whose signal follows ky\'s', async () => {
		for (const way of ['follows', 'copied'] as const) {
			const { sent, fetch } = silent();
			const layer: Layer = (next) => (request, init) => {
				const own = new AbortController();
				const signal = AbortSignal.any([request.signal, own.signal]);
				return next(way === 'follows' ? new Request(request, { signal }) : new Request(request), init);
			};

			const api = createCore({ fetch, timeout: 50, retry: { limit: 1, delay: () => 0 }, audit: layered(layer) });
			const error = await seen(api.get('https://api.test/a'));
			expect(`${way} ${classify(error).code} ${sent.length} ${api.reachability('https://api.test')}`).toBe(`${way} TIMEOUT 2 unreachable`);
			api.close();
		}
	});
});
