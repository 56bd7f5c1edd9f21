/**
 * Defect hunt, twenty-second round (failover, hedge, breaker, retry budget). API.md: work is bound to who
 * started it ("No hedge goes out after the client's close()"); outside input (other tabs' breaker
 * messages, server headers) is bounded by the options; bad options are typed errors before any I/O.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { createClient as createPreset, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { breaker } from '../../src/entries/breaker.js';
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

describe('hedge: a hedge refused as it was to go out is no attempt: the call fails with its first attempt\'s error', () => {
	/**
	 * The first attempt fails (a network failure) while its hedge is held below by an app's layer; then the hedge is let
	 * go and refused as it goes: by `refusal` ('budget': no retry budget; 'breaker': the scope the first failure opened).
	 */
	const whenRefused = async (refusal: 'budget' | 'breaker'): Promise<string> => {
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		let passes = 0;
		let firstFailed = false;
		// An app's layer between the hedge and the breaker (band 650) that holds the hedge, and notes the first attempt's failure as it goes up.
		const gated: Policy<'hold22'> = { slot: 'hold22', at: { layer: 650 }, create: () => ({ layer: (next) => async (request, init) => {
			if (++passes === 2) {
				await gate;
				return next(request, init);
			}

			return next(request, init).catch((error: unknown) => {
				firstFailed = true;
				throw error;
			});
		} }) };
		let fail!: () => void;
		const fetch = (async (request: Request) => new Promise<Response>((_, reject) => {
			fail = () => reject(new TypeError('fetch failed'));
			request.signal.addEventListener('abort', () => reject(request.signal.reason));
		})) as typeof globalThis.fetch;
		const api = createClient({
			fetch, retry: 0, timeout: false, hedge: hedge({ delayMs: 20 }), hold22: gated,
			...(refusal === 'budget' ? { retryBudget: { minRetries: 0, ratio: 0 } } : { retryBudget: false, breaker: breaker({ consecutiveFailures: 1, share: false }) }),
		});
		const call = api.get('https://api.test/x').then(() => 'answered', (error: unknown) => classify(error).code);
		await waitFor(() => passes === 2, 'the hedge held below');
		fail();
		await waitFor(() => firstFailed, 'the first attempt failed');
		open();
		const code = await call;
		api.close();
		return code;
	};

	it('no retry budget for the hedge, or the breaker its first attempt\'s failure opened: NETWORK, not the hedge\'s refusal', async () => {
		// Before: ['ABORTED', 'CIRCUIT_OPEN'] — the call failed with the hedge's refusal (Superseded "No hedge now", as if the
		// caller had aborted: no stale answer, no retry; or the open breaker's), not with its attempt's network failure.
		expect([await whenRefused('budget'), await whenRefused('breaker')]).toEqual(['NETWORK', 'NETWORK']);
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
		// and a record of each was stored; the tab that failed stores its own. Since the twenty-sixth hunt a failure heard
		// without the counts a tab's own message carries (these have none) is not counted (recovery-hunt26-variants): none opens.
		expect([opened.filter((scope) => scope.startsWith('https://x')).length, stored.length]).toEqual([0, 0]);
		api.close();
	});
});

describe('breaker: one half-open probe for a client and its extend() children with `share: true` in Node (a channel, no Web Lock)', () => {
	it('while the parent\'s probe is in flight, the child\'s concurrent call fails fast: one request to the origin', async () => {
		const clock = new ManualClock(t0);
		const held: Array<(response: Response) => void> = [];
		let status = 200;
		let hold = false;
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return hold ? new Promise<Response>((resolve) => held.push(resolve)) : new Response('', { status });
		}) as typeof globalThis.fetch;
		const outcome = async (call: Promise<Response>): Promise<string> => call.then((response) => String(response.status), (error: { code?: string; response?: Response }) => error.code ?? String(error.response?.status));
		const api = createPreset({ clock, random: () => 0.5, retry: 0, fetch, store: memoryStore, name: 'hunt22-share-probe', staleCache: false, breaker: { share: true, consecutiveFailures: 1, openMs: 1_000 } });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		expect(await outcome(child.get('https://api.test/a'))).toBe('200'); // the child has read the scope's stored state
		status = 503;
		expect(await outcome(api.get('https://api.test/a'))).toBe('503');
		await waitFor(() => child.breaker('https://api.test').state === 'open', 'the child told the opening');
		clock.advance(1_000);
		hold = true;
		const before = sent;
		const probe = outcome(api.get('https://api.test/a'));
		await waitFor(() => sent === before + 1, 'the parent\'s probe sent');
		const second = outcome(child.get('https://api.test/a'));
		// Before: 'held' — the child's call went out as a second probe (its answer held too).
		const raced = await Promise.race([second, waitFor(() => sent > before + 1, 'a second probe', 2_000).then(() => 'held', () => 'none')]);
		expect([raced, sent - before]).toEqual(['CIRCUIT_OPEN', 1]);
		hold = false;
		for (const resolve of held.splice(0)) {
			resolve(new Response('', { status: 200 }));
		}

		expect(await probe).toBe('200');
		api.close();
		child.close();
	});
});

describe('hedge: a client extend() made that closes stops only its own hedges', () => {
	it('after the child\'s close(), the parent\'s slow call is still hedged', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 30 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		child.close();
		const call = api.get('https://api.test/x').text();
		await waitFor(() => pending.length === 2, 'the parent\'s hedge');
		pending[1]!.release(new Response('hedged'));
		expect(await call).toBe('hedged');
		api.close();
	});
});

describe('breaker: close() gives back the half-open probe\'s Web Lock and stops its timer', () => {
	it('a probe that hangs (timeout false) when the client closes: the lock is free at once, and nothing is counted nor stored at its limit', async () => {
		// Web Locks as a page has them (Node 20 has none): one holder per name, `ifAvailable` answered null when held.
		const held = new Set<string>();
		const locks = {
			request: async (name: string, _options: unknown, callback: (lock: unknown) => Promise<unknown>) => {
				if (held.has(name)) {
					return callback(null);
				}

				held.add(name);
				try {
					return await callback({ name });
				} finally {
					held.delete(name);
				}
			},
		};
		const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
		Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
		try {
			const clock = new ManualClock(t0);
			const store = memoryStore('hunt22-lock');
			let status = 503;
			let sent = 0;
			const fetch = (async () => {
				sent++;
				return status ? new Response('', { status }) : new Promise<Response>(() => undefined);
			}) as typeof globalThis.fetch;
			const api = createPreset({ clock, random: () => 0.5, retry: 0, fetch, name: 'hunt22-lock', store: () => store, staleCache: false, breaker: { share: true, consecutiveFailures: 1, openMs: 100, maxOpenMs: 300 } });
			await api.get('https://api.test/x').catch(() => undefined);
			clock.advance(100);
			status = 0; // the probe hangs: its limit is maxOpenMs (300 ms of real time: its call has no timeout)
			void api.get('https://api.test/x', { timeout: false, totalTimeout: false }).catch(() => undefined);
			await waitFor(() => sent === 2 && held.size === 1, 'the probe sent under its lock');
			const before = await store.get('https://api.test');
			api.close();
			await waitFor(() => held.size === 0, 'the lock given back');
			// Before: the lock was held until the probe's limit, 300 ms after close(); then the probe counted as failed
			// (probe-timeout) and a new open record (opens 2, unanswered) was stored after the close.
			expect(await store.get('https://api.test')).toEqual(before);
		} finally {
			if (saved) {
				Object.defineProperty(globalThis, 'navigator', saved);
			} else {
				delete (globalThis as { navigator?: unknown }).navigator;
			}
		}
	});
});
