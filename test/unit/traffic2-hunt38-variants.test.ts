/**
 * Defect hunt, thirty-eighth round (traffic: the per-scope policies' state held across an await, forgotten meanwhile;
 * the adaptive throttle's wait for its fleet; the bulkhead's refusals in Workers).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { emptyState, sync, type SyncAnswer, type SyncMessage } from '../../src/breaker/sync.js';
import { breaker } from '../../src/entries/breaker.js';
import type { ThrottleAnswer } from '../../src/coordinator/throttle.js';
import { classify, createClient, memoryStore } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { waitFor } from '../helpers/wait-for.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { switchableStore } from '../helpers/switchable-store.js';

const origin = 'https://api.test';
const answering = (async () => new Response('ok')) as typeof fetch;
/** What a call ended with: 'OK', else `classify()`'s code. */
const outcome = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);
/** Let the microtasks and the I/O callbacks due now run (`setImmediate` is real: only the timers are faked here). */
const turns = async (count = 20): Promise<void> => {
	for (let index = 0; index < count; index++) {
		await new Promise((resolve) => setImmediate(resolve));
	}
};

/** A coordinator that answers the fleet's window at once for every scope but `origin`, whose syncs the test answers. */
const holding = () => {
	const held: Array<(answer: ThrottleAnswer) => void> = [];
	const coordinator = sharedCoordinator(async (scope) => scope === origin
		? new Promise<ThrottleAnswer>((resolve) => held.push(resolve))
		: { throttle: { requests: 0, accepts: 0 } });
	return { coordinator, held };
};

afterEach(() => {
	vi.useRealTimers();
	vi.unstubAllGlobals();
});

describe('adaptiveThrottle({ shared }): an attempt that waited for its fleet after its scope was forgotten', () => {
	it('its refusal is counted in the scope\'s stats (rejected 1), not on the forgotten counts', async () => {
		// Only the timers: the first sync's wait (100 ms at most) holds while 1 000 other scopes are met.
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const { coordinator, held } = holding();
		const api = createClient({ clock: new ManualClock(), random: () => 0, retry: 0, timeout: false, totalTimeout: false, breaker: false, retryBudget: false, fetch: answering, adaptiveThrottle: adaptiveThrottle({ shared: coordinator }) });
		const first = outcome(api.get(`${origin}/first`));
		await vi.waitUntil(() => held.length === 1);
		// While it waits for the fleet's window, its scope (idle: nothing counted yet) is forgotten with 1 000 other scopes met.
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		// The fleet's window: 100 attempts, none accepted (p = 0.9; `random` 0 refuses).
		held[0]!({ throttle: { requests: 100, accepts: 0 } });
		expect(await first).toBe('THROTTLED');
		const { throttle } = api.stats()[origin] as { throttle?: { rejected: number } };
		api.close();
		// Before: 0 (the refusal counted on the forgotten scope's counts).
		expect(throttle?.rejected).toBe(1);
	}, 60_000);
});

describe('adaptiveThrottle({ shared }): an attempt aborted while it waits for the fleet\'s first window', () => {
	it('is rejected at its abort (ABORTED), not when the wait ends (up to 100 ms later), and never sent', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const { coordinator, held } = holding();
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ clock: new ManualClock(), retry: 0, timeout: false, totalTimeout: false, breaker: false, retryBudget: false, fetch, adaptiveThrottle: adaptiveThrottle({ shared: coordinator }) });
		const controller = new AbortController();
		let ended: string | undefined;
		void outcome(api.get(`${origin}/a`, { signal: controller.signal })).then((code) => {
			ended = code;
		});
		await vi.waitUntil(() => held.length === 1);
		controller.abort();
		// No timer runs (the wait's 100 ms never pass): only the abort can end the call.
		await turns();
		const atAbort = ended;
		await vi.advanceTimersByTimeAsync(100);
		api.close();
		// Before: [undefined, 'ABORTED'] (rejected only when the 100 ms wait for the fleet ended).
		expect([atAbort, ended, sent]).toEqual(['ABORTED', 'ABORTED', 0]);
	});
});

describe('bulkhead in Workers: a request dedupe shares, dropped from the queue at its first caller\'s deadline', () => {
	it('its refusal (BULKHEAD_FULL) is counted in stats().bulkhead.rejected and emitted as bulkhead:rejected', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // I/O ends with its request: calls share within one request context.
		const { sent, fetch, release } = holdingFetch('/long', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const told: string[] = [];
		api.on('bulkhead:rejected', ({ scope, url }) => told.push(`${scope} ${new URL(url).pathname}`));
		const here = api.withContext({ waitUntil: () => undefined });
		const long = here.get(`${origin}/long`).text();
		await waitFor(() => sent.length === 1, 'the long call to take the slot');
		const lane = () => (api.stats()[origin] as { bulkhead?: { queued: number; rejected: number } } | undefined)?.bulkhead;
		const first = outcome(here.get(`${origin}/shared`, { timeout: 300 }));
		await waitFor(() => lane()?.queued === 1, 'the first call to wait for the slot');
		const joiner = outcome(here.get(`${origin}/shared`, { timeout: 4_000 }));
		expect(await first).toBe('TIMEOUT');
		expect(await joiner).toBe('BULKHEAD_FULL');
		const { rejected } = lane()!;
		release();
		expect(await long).toBe('ok');
		api.close();
		// Before: [0, []] (refused, yet neither counted nor told).
		expect([rejected, told]).toEqual([1, [`${origin} /shared`]]);
	});
});

describe('rateLimit: the first call after a block with no limit said, unanswered after its scope was forgotten', () => {
	it('its failure still makes the next call the first (it goes alone, the other waits), not every call at once', async () => {
		const clock = new ManualClock();
		const open: Array<{ path: string; fail: () => void; answer: () => void }> = [];
		const fetch = (async (request: Request) => {
			const { hostname, pathname } = new URL(request.url);
			if (hostname.endsWith('.many.test')) {
				return new Response('ok');
			}

			if (pathname === '/a') {
				return new Response('busy', { status: 429, headers: { 'retry-after': '1' } });
			}

			return new Promise<Response>((resolve, reject) => {
				open.push({ path: pathname, fail: () => reject(new TypeError('fetch failed')), answer: () => resolve(new Response('ok')) });
			});
		}) as typeof globalThis.fetch;
		const api = createClient({ clock, retry: 0, timeout: false, totalTimeout: false, breaker: false, retryBudget: false, fetch, rateLimit: rateLimit({ maxResetMs: 5_000 }) });
		const waits: string[] = [];
		api.on('ratelimit:wait', ({ url }) => waits.push(new URL(url).pathname));
		expect(await outcome(api.get(`${origin}/a`))).toBe('HTTP_429');
		// 10 ms before the block's end: '/b' waits for it, then goes alone (the first call after it), its answer held.
		clock.advance(990);
		const b = outcome(api.get(`${origin}/b`));
		await waitFor(() => open.length === 1, 'the first call after the block');
		// It outlives its lead (5 s), and meanwhile its scope (nothing more to keep) is forgotten with 1 000 other scopes met.
		clock.advance(10_000);
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		open[0]!.fail();
		expect(await b).toBe('NETWORK');
		// Given no answer, the next call is the first: it goes alone, the other waits for its answer.
		const c = outcome(api.get(`${origin}/c`));
		const d = outcome(api.get(`${origin}/d`));
		await waitFor(() => open.length === 3 || (open.length === 2 && waits.includes('/d')), 'the next calls');
		const gone = open.slice(1).map(({ path }) => path);
		for (const each of open.slice(1)) {
			each.answer();
		}

		await waitFor(() => open.length === 3, 'the other call, once the first one is answered');
		open[2]!.answer();
		expect([await c, await d]).toEqual(['OK', 'OK']);
		api.close();
		// Before: [['/c', '/d'], ['/b']] (the failure held the forgotten bucket: both went at once).
		expect([gone, waits]).toEqual([['/c'], ['/b', '/d']]);
	});
});

describe('breaker({ shared }): an attempt that waited for its scope\'s sync while the scope was forgotten', () => {
	it('its failure counts in the scope\'s breaker (open at consecutiveFailures: 1), not on the forgotten circuit', async () => {
		// Only the timers: the sync's wait (its answer, at most 2 000 ms) holds while 1 000 other scopes are met.
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const clock = new ManualClock();
		const held: Array<() => void> = [];
		const shared = sharedCoordinator(async (scope, message) => {
			const answer = (): SyncAnswer => sync(emptyState(scope, clock.now()), message as SyncMessage, clock.now());
			return scope === origin && !held.length ? new Promise<SyncAnswer>((resolve) => held.push(() => resolve(answer()))) : answer();
		});
		const fetch = (async (request: Request) => new URL(request.url).hostname.endsWith('.many.test') ? new Response('ok') : new Response('down', { status: 503 })) as typeof globalThis.fetch;
		const api = createClient({ clock, retry: 0, timeout: false, totalTimeout: false, retryBudget: false, fetch, breaker: breaker({ shared, share: false, consecutiveFailures: 1 }) });
		const first = outcome(api.get(`${origin}/first`));
		await vi.waitUntil(() => held.length === 1);
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		held[0]!();
		expect(await first).toBe('HTTP_5XX');
		const { state } = (api as unknown as { breaker(url: string): { state: string } }).breaker(origin);
		api.close();
		// Before: 'closed' (the failure opened the forgotten circuit; the scope's own, made again, knew nothing of it).
		expect(state).toBe('open');
	}, 60_000);
});

describe('breaker: an attempt aborted while it waits for its scope\'s stored state', () => {
	it('is rejected at its abort (ABORTED), not when the store\'s read is given up (storageTimeoutMs), and never sent', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const store = switchableStore(memoryStore(`h38-traffic2-${Math.random()}`));
		store.mode = 'hang';
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ store: () => store, retry: 0, timeout: false, totalTimeout: false, retryBudget: false, fetch, breaker: breaker() });
		const controller = new AbortController();
		let ended: string | undefined;
		void outcome(api.get(`${origin}/a`, { signal: controller.signal })).then((code) => {
			ended = code;
		});
		await turns();
		controller.abort();
		// No timer runs (the read's 500 ms never pass): only the abort can end the call.
		await turns();
		const atAbort = ended;
		await vi.advanceTimersByTimeAsync(1_000);
		api.close();
		// Before: [undefined, 'ABORTED', 0] (rejected only once the read was given up).
		expect([atAbort, ended, sent]).toEqual(['ABORTED', 'ABORTED', 0]);
	});
});
