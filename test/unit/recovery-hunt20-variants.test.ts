/** Variants of recovery, the breaker and the tabs (API.md "Reachability and recovery"), twentieth round. */
import { describe, expect, it } from 'vitest';
import { BulkheadFullError, SteadfetchError } from '../../src/entries/index.js';
import type { FetchLike } from '../../src/core/types.js';
import type { Policy } from '../../src/core/policy.js';
import { flush, origin, setup, times } from './breaker-kit.js';

/** An app's own policy without a band (at 1 000: inside the breaker, between it and the transport) that refuses while `refusing()`, with `refusal()`. */
const gate = (refusing: () => boolean, refusal: () => unknown, refused: string[]): Policy<'gate'> => ({
	slot: 'gate',
	create: () => ({
		layer: (next: FetchLike) => (async (request, init) => {
			if (refusing()) {
				refused.push(new URL(request.url).pathname);
				throw refusal();
			}

			return next(request, init);
		}) as FetchLike,
	}),
} as never);

describe('breaker.probe refused below the breaker, or failing in the app\'s own code (API.md: "the client\'s own refusals (… a bulkhead or rate-limit refusal) are not attempts"; "One vocabulary of failure": classify())', () => {
	const refusals: Array<[string, () => unknown]> = [
		['an app policy\'s own refusal (a BulkheadFullError)', () => new BulkheadFullError(origin, 1, 0)],
		['an app policy\'s own SteadfetchError', () => new SteadfetchError('not now', 'RATE_LIMITED', true)],
		['an error of the app\'s own code below the breaker (not a network failure: UNKNOWN)', () => new Error('no session yet')],
	];
	for (const [what, refusal] of refusals) {
		it(`${what}: counts as no probe (no re-opening, no doubling); the next probe that gets through closes the scope`, async () => {
			let refusing = false;
			const refused: string[] = [];
			const { api, clock, server, events, call, snapshot } = setup({ breaker: { consecutiveFailures: 2, probe: '/health' }, gate: gate(() => refusing, refusal, refused) } as never);
			server.down();
			expect(await times(2, async () => call())).toEqual(['NetworkError', 'NetworkError']);
			expect(snapshot()).toMatchObject({ state: 'open', reopensAt: clock.now() + 30_000 });
			clock.advance(30_000);
			server.up();
			refusing = true;
			const sent = server.requests.length;
			expect(await call()).toBe('CIRCUIT_OPEN'); // the caller fails fast while breaker.probe goes, refused below the breaker
			await expect.poll(() => refused).toEqual(['/health']);
			await flush(); // the probe's outcome counted (or not)
			// Nothing went out; the refusal is the client's (or the app's code's), not the origin's: the scope stays half-open.
			// Before: the probe counted as failed: open again (probe-failed), for a doubled period (60 000 ms).
			expect([server.requests.length - sent, snapshot().state, events.map(({ reason }) => reason)]).toEqual([0, 'half-open', ['consecutive-failures', 'open-elapsed']]);
			refusing = false;
			expect(await call()).toBe('CIRCUIT_OPEN'); // this call's breaker.probe gets through
			await expect.poll(() => snapshot().state).toBe('closed');
			expect(await call()).toBe('200');
			api.close();
		});
	}
});
