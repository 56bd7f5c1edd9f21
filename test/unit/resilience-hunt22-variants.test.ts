/**
 * Defect hunt, twenty-second round (failover, hedge, breaker, retry budget). API.md: work is bound to who
 * started it ("No hedge goes out after the client's close()"); outside input (other tabs' breaker
 * messages, server headers) is bounded by the options; bad options are typed errors before any I/O.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { createClient as createPreset, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { hedge } from '../../src/entries/hedge.js';
import type { Policy } from '../../src/entries/policy.js';
import { held } from './counting-origin-kit.js';

declare module 'steadfetch/core' {
	interface Slots {
		hold22: Policy<'hold22'>;
	}
}

const t0 = 1_700_000_000_000;

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

describe('breaker: other tabs\' outcomes naming scopes this tab never met write nothing', () => {
	it('a flood of failure outcomes naming 300 scopes this tab never called stores no record of them (the tab that failed stores its own)', async () => {
		const store = memoryStore('hunt22-flood');
		const name = 'hunt22-flood';
		const opened: string[] = [];
		const api = createPreset({ clock: new ManualClock(t0), random: () => 0.5, name, store: () => store, fetch: (async () => new Response('ok')) as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, consecutiveFailures: 5 } });
		api.on('breaker:open', ({ scope }) => opened.push(scope));
		const errors: string[] = [];
		api.on('storage:error', (event) => errors.push(event.operation));
		expect((await api.get('https://api.test/x')).status).toBe(200); // its own scope, met and read
		const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
		for (let index = 0; index < 300; index++) {
			for (let failure = 0; failure < 5; failure++) {
				channel.postMessage({ v: 2, scope: `https://x${index}.test`, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, outcome: 1 });
			}
		}

		channel.postMessage('a marker'); // malformed: reported once it is read, after the flood
		await waitFor(() => errors.length === 1, 'the marker read');
		channel.close();
		// A write of its own, asked for after the flood's: stored once the flood's writes were made.
		await api.breaker.isolate('https://api.test');
		expect(await store.get('https://api.test')).toMatchObject({ isolated: true });
		const stored = (await store.keys()).filter((key) => key.startsWith('https://x'));
		// Before: [300, 300]: each scope the flood named opened in this tab (counting the other tab's failures, as the tabs do)
		// and a record of each was stored; the tab that failed stores its own.
		expect([opened.filter((scope) => scope.startsWith('https://x')).length, stored.length]).toEqual([300, 0]);
		api.close();
	});
});
