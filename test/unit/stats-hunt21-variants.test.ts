/**
 * Defect hunt, twenty-first round: `stats()`, events and the trace slot around work the caller does not see (API.md
 * "Events", `stats()`, "Slow networks"): a write's replay, a write answered `202` for its queued entry, a call that
 * settles while another of its scope is in flight.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { waitFor } from '../helpers/wait-for.js';

/** A transport that fails every request as a dropped connection while `state.down`, else answers 200 `ok`; what it sent in `state.sent`. */
const switchable = () => {
	const state = { down: true, sent: [] as string[] };
	const fetch = (async (request: Request) => {
		state.sent.push(`${request.method} ${new URL(request.url).pathname}`);
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

let named = 0;

describe('a write\'s replay is the outbox\'s, never answered by the client\'s `fallback`', () => {
	it.each([
		['a value', { saved: false }],
		['a function', () => ({ saved: false })],
		['null', null],
	])('client-level fallback %s: a replay that fails stays pending, and is sent once the network is back', async (_, fallback) => {
		const { state, fetch } = switchable();
		const api = createClient({ fetch, retry: 0, breaker: false, store: memoryStore, name: `h21-fallback-${++named}`, fallback, outbox: outbox() } as never);
		await expect(api.post('https://api.test/todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		// Before: { sent: 1, failed: 0, remaining: 0 } and size() 0: the fallback's 200 taken for the server's, the write lost.
		expect([await api.outbox.flush(), await api.outbox.size()]).toEqual([{ sent: 0, failed: 1, dead: 0, remaining: 1 }, 1]);
		state.down = false;
		expect([await api.outbox.flush(), await api.outbox.size()]).toEqual([{ sent: 1, failed: 0, dead: 0, remaining: 0 }, 0]);
		expect(state.sent).toEqual(['POST /todos', 'POST /todos', 'POST /todos']);
		// The app's own calls still get it.
		state.down = true;
		expect((await api.get('https://api.test/todos')).status).toBe(200);
		api.close();
	});
});

/**
 * Whether `api` still has `scope`'s counters after calls to 1 000 other scopes (past `maxScopes`, an idle scope's
 * counters are forgotten; one with a call in flight, or one a policy holds, never is). `get` makes those calls.
 */
const keptThroughChurn = async (api: { stats(): Record<string, unknown> }, scope: string, get: (url: string) => Promise<unknown>): Promise<boolean> => {
	for (let each = 0; each < 1000; each++) {
		await get(`https://churn-${each}.test/`);
	}

	return scope in api.stats();
};

/** A transport: `/hold` answers once `release()`; `/down` fails while `state.down` (a dropped connection); anything else 200 `ok`. */
const holding = () => {
	let release = (): void => undefined;
	const held = new Promise<void>((resolve) => {
		release = resolve;
	});
	const state = { down: true };
	const fetch = (async (request: Request) => {
		const { pathname } = new URL(request.url);
		if (pathname === '/hold') {
			await held;
			return new Response('late');
		}

		if (pathname === '/down' && state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { fetch, state, release: () => release() };
};

describe('a scope with a call in flight keeps its counters, whatever its other calls ended in (a 202 for a queued write counts once toward settled)', () => {
	it.each([
		['a 202 for a write queued on failure', {}],
		['a 202 for a write queued early, at networkTimeoutMs', { networkTimeoutMs: 20 }],
	])('%s, since delivered', async (_, more) => {
		const { fetch, state, release } = holding();
		const api = createClient({ fetch, retry: 0, breaker: false, store: memoryStore, name: `h21-inflight-${++named}`, outbox: outbox({ queuedResponse: 'accepted', ...more }) } as never);
		const scope = 'https://api.test';
		const slow = api.get(`${scope}/hold`);
		if ('networkTimeoutMs' in more) {
			// Its attempt hangs past the deadline, then fails: the entry stays, delivered by the flush below.
			let fail = (): void => undefined;
			const failing = new Promise<Response>((_resolve, reject) => {
				fail = () => reject(new TypeError('fetch failed'));
			});
			const early = await api.post(`${scope}/down`, { json: { a: 1 }, fetch: () => failing } as never);
			expect(early.status).toBe(202);
			fail();
		} else {
			expect((await api.post(`${scope}/down`, { json: { a: 1 } })).status).toBe(202);
		}

		state.down = false;
		await waitFor(async () => (await api.outbox.flush()).remaining === 0 && await api.outbox.size() === 0, 'the write delivered');
		// Before: false — its 202 counted in successes and in queued, the call to /hold was no longer seen in flight.
		expect(await keptThroughChurn(api, scope, async (url) => api.get(url))).toBe(true);
		release();
		expect(await (await slow).text()).toBe('late');
		// Before: { requests: 0, successes: 1 }: the counters of a scope made fresh while its call was in flight.
		expect(api.stats()[scope]).toMatchObject({ requests: 2, successes: 2, queued: 1, failures: {} });
		// Once idle it is forgotten as any other scope.
		expect(await keptThroughChurn(api, scope, async (url) => api.get(url))).toBe(false);
		api.close();
	}, 30_000);
});

describe('every call that settled is out of flight: its scope is forgotten once idle, as any other', () => {
	it('an early stale answer (its attempt since ended), a hedge\'s loser, a dedupe follower (one whose caller aborts too, or whose first caller does), an abort while reading the body, a write queued then delivered, an abort while waiting for a bulkhead slot', async () => {
		const release: Record<string, () => void> = {};
		const gate = (name: string) => new Promise<void>((resolve) => {
			release[name] = resolve;
		});
		const gates = { stale: gate('stale'), dedupe: gate('dedupe'), slot: gate('slot'), joined: gate('joined'), left: gate('left') };
		let hedged = 0;
		let down = true;
		let staleSlow = false;
		const fetch = (async (request: Request) => {
			const { host, pathname } = new URL(request.url);
			const aborted = new Promise<never>((_resolve, reject) => {
				request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
			});
			aborted.catch(() => undefined); // Awaited only by the requests below that wait.
			if (pathname === '/slow' && (host !== 'stale.test' || staleSlow)) {
				await Promise.race([gates[host.split('.')[0] as keyof typeof gates], aborted]);
			} else if (host === 'hedge.test' && hedged++ === 0) {
				await aborted; // The first attempt never answers: the hedge wins, this one is aborted.
			} else if (host === 'body.test') {
				return new Response(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('part')) }));
			} else if (host === 'queued.test' && down) {
				throw new TypeError('fetch failed');
			}

			return new Response('ok', { headers: { 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const api = createClient({
			fetch, retry: 0, breaker: false, store: memoryStore, name: `h21-settled-${++named}`, staleCache: { networkTimeoutMs: 20 },
			hedge: hedge({ delayMs: 10 }), dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }), outbox: outbox(),
		} as never);
		// A stale answer at networkTimeoutMs; its attempt goes on, then ends.
		expect(await api.get('https://stale.test/slow', { hedge: false } as never).text()).toBe('ok');
		await waitFor(async () => (await api.cache.list()).length === 1, 'the copy stored');
		staleSlow = true;
		const staleAnswer = await api.get('https://stale.test/slow', { hedge: false } as never);
		expect(staleAnswer.headers.get('cache-status')).toMatch(/^steadfetch; hit/);
		// A hedge's loser, aborted.
		expect(await api.get('https://hedge.test/', { bulkhead: false } as never).text()).toBe('ok');
		// A follower of a request dedupe shares.
		const [first, follower] = [api.get('https://dedupe.test/slow', { hedge: false } as never), api.get('https://dedupe.test/slow', { hedge: false } as never)];
		release.dedupe!();
		expect([await first.text(), await follower.text()]).toEqual(['ok', 'ok']);
		// A follower whose caller aborts while the request goes on; a first caller who aborts while a follower waits.
		for (const [host, quits] of [['joined', 1], ['left', 0]] as const) {
			const quitting = new AbortController();
			const calls = [0, 1].map((each) => api.get(`https://${host}.test/slow`, { hedge: false, ...each === quits && { signal: quitting.signal } } as never));
			quitting.abort();
			release[host]!();
			expect(await Promise.all(calls.map(async (call) => call.text().catch((error: Error) => error.name)))).toEqual(quits ? ['ok', 'AbortError'] : ['AbortError', 'ok']);
		}

		// The caller aborts while reading the body.
		const reading = new AbortController();
		const body = await api.get('https://body.test/', { signal: reading.signal, hedge: false } as never);
		const read = body.text();
		reading.abort();
		await expect(read).rejects.toBeDefined();
		// A write queued, then delivered.
		await expect(api.post('https://queued.test/w', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		down = false;
		await api.outbox.flush();
		// A call aborted while it waits for the bulkhead's one slot.
		const holder = api.get('https://slot.test/slow', { hedge: false } as never);
		const waiting = new AbortController();
		const waiter = api.get('https://slot.test/next', { signal: waiting.signal, hedge: false } as never);
		waiting.abort();
		await expect(waiter).rejects.toBeDefined();
		release.slot!();
		release.stale!();
		expect(await holder.text()).toBe('ok');
		await waitFor(async () => (await api.outbox.size()) === 0, 'the outbox empty');
		const scopes = ['https://stale.test', 'https://hedge.test', 'https://dedupe.test', 'https://joined.test', 'https://left.test', 'https://body.test', 'https://queued.test', 'https://slot.test'];
		expect(scopes.filter((scope) => !(scope in api.stats()))).toEqual([]);
		await keptThroughChurn(api, '', async (url) => api.get(url, { hedge: false } as never));
		expect(scopes.filter((scope) => scope in api.stats())).toEqual([]);
		api.close();
	}, 30_000);
});

describe('an outbox replay is no new call of the app\'s: stats() counts the write once, when it was made', () => {
	const row = (more: object) => ({ requests: 1, successes: 0, stale: 0, queued: 1, failures: {}, retries: 0, retriesRefused: 0, fallbacks: 0, ...more });
	it.each([
		['OutboxQueuedError', 'error', row({})],
		['a 202', 'accepted', row({ successes: 1 })],
	] as const)('queued with %s, replayed while down, then delivered; and after a reload', async (_, queuedResponse, counted) => {
		const { state, fetch } = switchable();
		const name = `h21-replay-${++named}`;
		const store = memoryStore(name);
		const make = () => createClient({ fetch, retry: 0, breaker: false, store: () => store, name, outbox: outbox({ queuedResponse }) } as never);
		const api = make();
		await api.post('https://api.test/todos', { json: { a: 1 } }).catch(() => undefined);
		expect(api.stats()['https://api.test']).toEqual(counted);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, failed: 1 });
		// Before: { requests: 2, failures: { NETWORK: 1 } }, then { requests: 3, successes: 1 (or 2) }: one write, three calls.
		expect(api.stats()['https://api.test']).toEqual(counted);
		api.close();
		const reload = make();
		state.down = false;
		const sentDown = state.sent.length; // The call, the first client's flush (and, on a busy machine, its own drain's replay after its backoff).
		expect(await reload.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		// Delivered once, by the reloaded client: no call of its own in its stats().
		expect([sentDown >= 2, state.sent.length - sentDown, reload.stats()['https://api.test'] ?? 'none']).toEqual([true, 1, 'none']);
		reload.close();
	});
});

describe('an event goes to the listeners there were when it happened (as EventTarget dispatches)', () => {
	/** A client whose first attempt is answered 503 and its retry 200: one `retry` event. */
	const retrying = () => {
		let sent = 0;
		const fetch = (async () => new Response('x', { status: sent++ === 0 ? 503 : 200 })) as typeof globalThis.fetch;
		return createClient({ fetch, retry: { limit: 1, delay: () => 0 }, breaker: false, staleCache: false } as never);
	};

	it('a listener that re-arms itself (unsubscribes, then subscribes anew) is called once per event, never in a loop', async () => {
		const api = retrying();
		let calls = 0;
		const arm = (): void => {
			const off = api.on('retry', () => {
				off();
				calls++;
				// A guard for the test only: before, without it, the call never returned (one event, a listener added and called forever).
				if (calls < 50) {
					arm();
				}
			});
		};
		arm();
		expect((await api.get('https://api.test/')).status).toBe(200);
		// Before: 50.
		expect(calls).toBe(1);
		api.close();
	});

	it('one added by a listener (of the type, or \'*\') waits for the next event; one removed by a listener before its turn is not called', async () => {
		const api = retrying();
		const called: string[] = [];
		const offLate = api.on('*', (event) => event.type === 'retry' && called.push('late'));
		api.on('retry', () => {
			called.push('first');
			offLate();
			api.on('retry', () => called.push('added'));
			api.on('*', (event) => event.type === 'retry' && called.push('added *'));
		});
		expect((await api.get('https://api.test/')).status).toBe(200);
		expect(called).toEqual(['first']);
		api.close();
	});
});
