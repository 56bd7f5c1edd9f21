/**
 * A retry that a layer of the client refuses without I/O (an open breaker, the adaptive throttle) is
 * not sent: it is neither counted in `stats().retries` ("Retries sent") nor paid from the retry budget
 * (README: "A retry pays only when it really goes out"; API.md, the throttle: "A refused attempt …
 * costs no retry budget").
 */
import { describe, expect, it } from 'vitest';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import type { Policy } from '../../src/core/policy.js';
import { origin, setup } from './breaker-kit.js';

describe('a retry refused without I/O is neither counted nor paid', () => {
	it('the breaker refuses a retry: stats().retries counts the retries sent, the budget keeps what was not spent', async () => {
		const kit = setup({ retry: { limit: 5, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 2 }, breaker: { consecutiveFailures: 2 } });
		const exhausted: unknown[] = [];
		kit.api.on('budget:exhausted', (event) => exhausted.push(event));
		kit.server.down();
		// Attempt 1 fails, retry 1 fails and opens the breaker, retry 2 is refused by it (no I/O).
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		expect(kit.server.requests).toHaveLength(2);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 1, retriesRefused: 0 });
		expect(exhausted).toEqual([]);
		// One retry of two was spent: the next call's first retry goes out, its second finds the budget spent.
		await kit.api.breaker.reset(origin);
		expect(await kit.call()).toBe('NetworkError');
		expect(kit.server.requests).toHaveLength(4);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 2, retriesRefused: 1 });
	});

	it('the adaptive throttle refuses a retry: it costs no retry budget', async () => {
		let draw = 0.99;
		const kit = setup({ retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 1 }, breaker: false, random: () => draw, adaptiveThrottle: adaptiveThrottle({ minRequests: 1, maxRejectRatio: 0.9 }) });
		// The first attempt passes (draw 0.99) and fails; its retry is refused (draw 0: p = 1/2).
		kit.server.script = () => {
			draw = 0;
			return new TypeError('Failed to fetch');
		};
		expect(await kit.call()).toBe('THROTTLED');
		expect(kit.server.requests).toHaveLength(1);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 0, retriesRefused: 0 });
		// The budget's one retry is still there.
		draw = 0.99;
		kit.server.down();
		expect(await kit.call()).toBe('NetworkError');
		expect(kit.server.requests).toHaveLength(3);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 1, retriesRefused: 0 });
	});

	it('a first attempt refused without I/O earns no retries: calls failed fast by an open breaker do not raise ratio × first attempts', async () => {
		const kit = setup({ retry: { limit: 3, delay: () => 0 }, retryBudget: { ratio: 0.5, minRetries: 0 }, breaker: { consecutiveFailures: 100 } });
		await kit.api.breaker.isolate(origin);
		for (let index = 0; index < 20; index++) {
			expect(await kit.call()).toBe('CIRCUIT_OPEN');
		}

		await kit.api.breaker.reset(origin);
		kit.server.down();
		// One first attempt went out: max(0, 0.5 × 1) = 0 retries, not 0.5 × 21 = 10.
		expect(await kit.call()).toBe('NetworkError');
		expect(kit.server.requests).toHaveLength(1);
		expect(kit.api.stats()[origin]).toMatchObject({ requests: 21, retries: 0, retriesRefused: 1 });
	});

	it('a retry that went out and that a layer then fails (after its answer came) is a retry sent: counted and paid', async () => {
		let sent = 0;
		// An app's layer over the transport that fails the second answer it sees, after it came.
		const failing: Policy = { slot: 'failing', create: () => ({ layer: (next) => async (request, init) => {
			const response = await next(request, init);
			if (++sent === 2) {
				throw new TypeError('Failed to fetch');
			}

			return response;
		} }) };
		const kit = setup({ retry: { limit: 1, delay: () => 0 }, breaker: false, failing } as never);
		kit.server.answer(503);
		expect(await kit.api.get(`${origin}/x`).then(() => 'ok', (error: Error) => error.name)).toBe('NetworkError');
		expect(kit.server.requests).toHaveLength(2);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 1 });
	});
});
