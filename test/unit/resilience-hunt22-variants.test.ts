/**
 * Defect hunt, twenty-second round (failover, hedge, breaker, retry budget). API.md: work is bound to who
 * started it ("No hedge goes out after the client's close()"); outside input (other tabs' breaker
 * messages, server headers) is bounded by the options; bad options are typed errors before any I/O.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import type { Policy } from '../../src/entries/policy.js';
import { held } from './counting-origin-kit.js';

declare module 'steadfetch/core' {
	interface Slots {
		hold22: Policy<'hold22'>;
	}
}

afterEach(() => {
	vi.useRealTimers();
});

describe('hedge: no hedge after close()', () => {
	it('a first attempt held below the hedge layer that goes out after close() arms no hedge', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const { pending, fetch } = held();
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		const gated: Policy<'hold22'> = { slot: 'hold22', create: () => ({ layer: (next) => async (request, init) => {
			await gate;
			return next(request, init);
		} }) };
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 50 }), hold22: gated });
		const hedges: unknown[] = [];
		api.on('hedge', (event) => hedges.push(event));
		const call = api.get('https://api.test/x').catch((error: unknown) => error);
		await vi.advanceTimersByTimeAsync(10);
		api.close();
		open();
		await vi.advanceTimersByTimeAsync(500);
		// Before: [2, 0]: the attempt's `sending` armed the hedge timer again after close() had cleared it, and the hedge went out.
		expect([pending.length, hedges.length]).toEqual([1, 0]);
		pending[0]?.release();
		await call;
	});

	it('a hedge held below the hedge layer when close() came is not sent when it gets through', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const { pending, fetch } = held();
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		let passes = 0;
		// Holds the second attempt through it (the hedge) until the test opens the gate.
		const gated: Policy<'hold22'> = { slot: 'hold22', create: () => ({ layer: (next) => async (request, init) => {
			if (++passes === 2) {
				await gate;
			}

			return next(request, init);
		} }) };
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 50 }), hold22: gated });
		const call = api.get('https://api.test/x').catch((error: unknown) => error);
		await vi.advanceTimersByTimeAsync(100);
		expect([passes, pending.length]).toEqual([2, 1]);
		api.close();
		open();
		await vi.advanceTimersByTimeAsync(500);
		// Before: 2: the hedge, admitted at the transport after close(), went out.
		expect(pending.length).toBe(1);
		pending[0]?.release();
		await call;
	});
});
