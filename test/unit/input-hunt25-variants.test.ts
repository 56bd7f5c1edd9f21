/**
 * Option values and bad input (defect hunt, twenty-fifth round): API.md "Option values" ("a value of the wrong type or
 * out of range … per call an `InvalidRequestError` before any I/O"; the windows "accept any positive finite value"),
 * "createClient" (the per-call options `staleCache`, `outbox`, `breaker`) and "Your own policies" ("A policy checks its
 * own per-call option before any I/O"). No timing: a fake `fetch` counts what went out, the clock is injected.
 *
 * - A window of a tiny positive finite length (`retryBudget: { windowMs: 1e-300 }`, API.md: windows take "any positive
 *   finite value") counted nothing: each time divided by the bucket's length overflowed to Infinity, no bucket held a
 *   count, and the retry budget allowed every retry (3 attempts where 2 were allowed). A window now counts in buckets of
 *   at least 0.1 ms: one under 1 ms is a 1 ms window (the retry budget, the breaker's ratio, health, the throttle).
 * - `name: ''` was taken, a namespace of its own (channels `steadfetch::breaker`, store names `/cache`). Now a
 *   RangeError naming `name`: a non-empty string.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';

const prefix = 'https://api.test/';

/** A `fetch` that counts each request and answers `status`. */
const transport = (status = 200) => {
	const state = { sent: 0 };
	const fetch = (async () => {
		state.sent++;
		return Response.json({ ok: status < 400 }, { status });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

/** What a call ends with: its status, or its error's code and message. */
const outcome = (promise: Promise<Response>): Promise<string> =>
	promise.then((response) => `${response.status}`, (error: unknown) => `${classify(error).code}: ${(error as Error).message}`);

describe('a window of any positive finite length counts', () => {
	const now = 1_764_000_000_000;
	const clock = { now: () => now };

	it.each([1e-300, 1e-12, 0.5, 10_000])('retryBudget: { windowMs: %s } allows minRetries retries at one instant, not every retry', async (windowMs) => {
		const { state, fetch } = transport(503);
		const api = createClient({ prefix, fetch, store: memoryStore, name: `h25-window-${windowMs}`, clock, random: () => 0, breaker: false, staleCache: false, retry: { limit: 2 }, retryBudget: { windowMs, minRetries: 1, ratio: 0 } });
		const exhausted: unknown[] = [];
		api.on('budget:exhausted', (event) => exhausted.push(event));
		expect(await outcome(api.get('todos'))).toContain('HTTP_5XX');
		// Before (1e-300, 1e-12): 3 attempts, none told; the first retry spends the budget of the instant.
		expect(state.sent).toBe(2);
		expect(exhausted).toHaveLength(1);
		api.close();
	});

	it.each([1e-300, 1e-12])('breaker({ windowMs: %s }): failures at one instant open it by their ratio', async (windowMs) => {
		const { state, fetch } = transport(503);
		const api = createCore({ prefix, fetch, store: memoryStore, name: `h25-breaker-window-${windowMs}`, clock, random: () => 0, retry: 0, breaker: breaker({ windowMs, failureRatio: 0.5, minimumThroughput: 3, consecutiveFailures: 100 }) });
		for (let index = 0; index < 4; index++) {
			await outcome(api.get('todos'));
		}

		// Before: every call sent (4), the breaker closed.
		expect(api.breaker(prefix).state).toBe('open');
		expect(state.sent).toBe(3);
		api.close();
	});

	it('a huge window is taken too, and counts', async () => {
		const { state, fetch } = transport(503);
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-window-huge', clock, random: () => 0, breaker: false, staleCache: false, retry: { limit: 2 }, retryBudget: { windowMs: Number.MAX_VALUE, minRetries: 1, ratio: 0 } });
		await outcome(api.get('todos'));
		expect(state.sent).toBe(2);
		api.close();
	});
});

describe('name', () => {
	it('\'\' is a RangeError naming it, at createClient, the core\'s and extend()', () => {
		// Before: a client made, of a namespace of its own.
		expect(() => createClient({ name: '', store: memoryStore })).toThrow(RangeError);
		expect(() => createClient({ name: '', store: memoryStore })).toThrow('`name` must be a non-empty string');
		expect(() => createCore({ name: '' })).toThrow('`name` must be a non-empty string');
		const api = createCore({ name: 'h25-name', store: memoryStore });
		expect(() => api.extend({ name: '' })).toThrow('`name` must be a non-empty string');
		api.close();
	});

	it('any other string of whole characters is taken', () => {
		for (const name of [' ', 'a', 'app:v2/eu', 'ünïcødé 🙂']) {
			createCore({ name, store: memoryStore }).close();
		}
	});
});
