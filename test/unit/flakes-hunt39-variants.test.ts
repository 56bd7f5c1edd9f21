/**
 * Defect hunt, thirty-ninth round (flakes seen under load, made deterministic): a write the outbox held
 * before any I/O (`OFFLINE`, `BEHIND`) and then did not store answers its caller with a public code; a dependent
 * write a hook makes one the outbox cannot store is refused as one that says so itself, and a write the outbox never
 * stores is never held; a hedge deferred past an origin's `Retry-After` goes once the family's clock is past it,
 * however far that clock lags the timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import { createClient, memoryStore, outbox, type Client as AnyClient, type OutboxPolicy } from '../../src/entries/index.js';
import { held } from './counting-origin-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { fakeWindow, gate, offlineFetch, queued, spyStore } from './outbox-helpers.js';

type Client = AnyClient<{ outbox: OutboxPolicy }>;

/** The code (or name) a call ends with, `'sent'` when it resolved. */
const outcomeOf = async (call: Promise<unknown>): Promise<string> => call.then(() => 'sent', (error: { code?: string; name: string }) => error.code ?? error.name);

describe('a held write cleared or discarded while the store takes its record: a public answer, never OFFLINE or BEHIND', () => {
	const removals: [string, (api: Client, own: string) => Promise<void>][] = [
		['clear()', async (api) => api.clear()],
		['clear({ identity })', async (api) => api.clear({ identity: 'alice' })],
		['discard(its id)', async (api, own) => api.outbox.discard(own)],
	];
	// The plain write is held behind the first (FIFO): `OFFLINE` while `navigator.onLine` says so, else `BEHIND`.
	it.each([
		...removals.map(([how, remove]) => ['a plain write held OFFLINE', how, remove, 'ABORTED'] as const),
		...removals.map(([how, remove]) => ['a plain write held BEHIND', how, remove, 'ABORTED'] as const),
		// Its parent cleared with it: its placeholder names an entry no longer known, as for a call made now.
		...removals.map(([how, remove]) => ['a dependent held BEHIND', how, remove, how === 'discard(its id)' ? 'ABORTED' : 'INVALID_REQUEST'] as const),
	])('%s, %s: %s, never the outbox\'s code; nothing stored, nothing sent', async (kind, how, remove, expected) => {
		const name = `hunt39-held-${kind}-${how}`;
		const inner = memoryStore(name);
		let parent = '';
		let holding = false;
		let writing = '';
		const write = gate();
		const store = spyStore(inner, {
			async set(key, _value, run) {
				// The held write's own record (not its parent's, whose pointers its queueing may write).
				if (holding && key.startsWith('p|') && !key.includes(parent)) {
					holding = false;
					writing = key.split('|')[3]!;
					await write.wait;
				}

				return run();
			},
		});
		const { fetch, sent, net } = offlineFetch();
		const win = fakeWindow();
		win.setOnline(kind !== 'a plain write held OFFLINE', false, true);
		const api = createClient({ name, clock: new ManualClock(), identity: () => 'alice', store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		const codes: string[] = [];
		api.on('outbox:queued', ({ code }) => codes.push(code!));
		try {
			parent = await queued(api.post('todos', { json: { title: 'a' } })); // Its attempt failed: the scope is offline.
			holding = true;
			const dependent = kind === 'a dependent held BEHIND';
			const call = outcomeOf(dependent ? api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }) : api.post('todos', { json: { title: 'b' } }));
			await waitFor(() => writing !== '', 'the held write\'s record being stored');
			const removed = remove(api, writing);
			write.open();
			await removed;
			const outcome = await call;
			net.offline = false;
			win.setOnline(true, false);
			await api.outbox.flush();
			const own = (await inner.keys()).filter((key) => key.startsWith('p|') && key.includes(writing));
			// Before: 'OFFLINE' (or 'BEHIND'), the outbox's internal deferral code, where a public one.
			expect([codes, outcome, own, sent]).toEqual([['NETWORK'], expected, [], how === 'discard(its id)' ? ['POST /todos'] : []]);
		} finally {
			api.close();
			win.restore();
		}
	}, 30_000);
});

describe('a dependent whose link key\'s write outlasts its storage budget after its parent was removed (outbox2-hunt35\'s flake under load)', () => {
	it.each([
		['clear()', async (api: Client) => api.clear()],
		['clear({ identity })', async (api: Client) => api.clear({ identity: 'alice' })],
		['discard(parent)', async (api: Client, parent: string) => api.outbox.discard(parent)],
	])('%s: INVALID_REQUEST, never BEHIND (nor queued behind a removed parent); nothing stored, nothing sent', async (how, remove) => {
		const name = `hunt39-link-budget-${how}`;
		const inner = memoryStore(name);
		let parent = '';
		let removed: Promise<void> | undefined;
		let removal = async (): Promise<void> => undefined;
		const link = gate();
		const store = spyStore(inner, {
			async set(key, _value, run) {
				if (!removed && key.startsWith('l|')) {
					// Removed as the link key's write starts (noted at once: src/core/world.ts), long before the write's budget is spent.
					removed = removal();
					await link.wait;
				}

				return run();
			},
		});
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, clock: new ManualClock(), identity: () => 'alice', store: () => store, storageTimeoutMs: 1000, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			parent = await queued(api.post('todos', { json: { title: 'a' } }));
			removal = async () => remove(api, parent);
			const call = outcomeOf(api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }));
			// The link key's write still held: the call settles once its storage budget is spent (what a loaded machine does).
			const outcome = await call;
			await removed;
			link.open();
			net.offline = false;
			await api.outbox.flush();
			// Before: 'BEHIND' after a clear, 'QUEUED' (then a dead letter) after the discard.
			expect([outcome, (await inner.keys()).filter((key) => /^[pl]\|/.test(key)), sent, await api.outbox.deadLetters()]).toEqual(['INVALID_REQUEST', [], [], []]);
		} finally {
			api.close();
		}
	}, 30_000);
});

describe('a write whose beforeRequest hook adds a sensitive query parameter (a presigned URL): never stored, as one that gives it', () => {
	const secret = ({ request }: { request: Request }): Request => {
		const url = new URL(request.url);
		url.searchParams.set('access_token', 'secret');
		return new Request(url, request);
	};
	const referer = ({ request }: { request: Request }): void => {
		request.headers.set('x-return-to', 'https://api.test/done?access_token=secret');
	};
	it.each([
		['a dependent, the call\'s hook adds ?access_token', 'call', secret],
		['a dependent, the call\'s hook adds a header naming a URL with ?access_token', 'call', referer],
		['a dependent, an extend() child\'s hook adds ?access_token', 'extend', secret],
		['a dependent giving ?access_token itself (searchParams)', 'given', undefined],
	] as const)('%s: INVALID_REQUEST before any I/O, nothing stored', async (_, where, hook) => {
		const name = `hunt39-secret-${where}-${hook?.name}`;
		const inner = memoryStore(name);
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, clock: new ManualClock(), store: () => inner, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		const client = where === 'extend' ? api.extend({ hooks: { beforeRequest: [hook!] } }) : api;
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const url = `todos/${api.outbox.ref(parent, '/id')}`;
			const options = where === 'call' ? { hooks: { beforeRequest: [hook!] } } : where === 'given' ? { searchParams: { access_token: 'secret' } } : {};
			const outcome = await outcomeOf(client.patch(url, { json: { done: true }, ...options }));
			net.offline = false;
			await api.outbox.flush();
			// Before: 'BEHIND' (the outbox's deferral code) where INVALID_REQUEST.
			expect([outcome, (await inner.keys()).filter((key) => key.startsWith('p|')), sent]).toEqual(['INVALID_REQUEST', [], ['POST /todos']]);
		} finally {
			api.close();
		}
	});

	it.each([['?access_token', secret], ['a header naming a URL with ?access_token', referer]] as const)('a plain write whose hook adds %s: sent as with outbox: false, never stored (its failure the caller\'s)', async (_, hook) => {
		const name = `hunt39-secret-plain-${hook.name}`;
		const inner = memoryStore(name);
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, clock: new ManualClock(), store: () => inner, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const outcome = await outcomeOf(api.patch('todos/1', { json: { done: true }, hooks: { beforeRequest: [hook] } }));
			net.offline = false;
			await api.outbox.flush();
			expect([outcome, await inner.keys(), sent]).toEqual(['NetworkError', [], []]);
		} finally {
			api.close();
		}
	});
});

describe('a write the outbox never stores whose beforeRequest hook removes its sensitive query parameter: never held', () => {
	const strip = ({ request }: { request: Request }): Request => {
		const url = new URL(request.url);
		url.searchParams.delete('access_token');
		return new Request(url, request);
	};

	it.each(['BEHIND', 'OFFLINE'])('behind a pending write (%s where it is one the outbox takes): sent as with outbox: false, its failure the caller\'s', async (held) => {
		const name = `hunt39-strip-${held}`;
		const inner = memoryStore(name);
		const { fetch, sent } = offlineFetch();
		const win = fakeWindow();
		win.setOnline(held === 'BEHIND', false, true);
		const api = createClient({ name, clock: new ManualClock(), store: () => inner, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		let attempts = 0;
		api.on('outbox:queued', () => attempts++);
		try {
			await queued(api.post('todos', { json: { title: 'a' } }));
			// Before: 'BEHIND' / 'OFFLINE' (the layer held it for a wrapper that never stores it), nothing sent, nothing stored.
			const outcome = await outcomeOf(api.post('todos', { json: { title: 'b' }, searchParams: { access_token: 'secret' }, hooks: { beforeRequest: [strip] } }));
			expect([outcome, (await inner.keys()).filter((key) => key.startsWith('p|')).length, attempts, sent]).toEqual(['NetworkError', 1, 1, []]);
		} finally {
			api.close();
			win.restore();
		}
	});

	it('a dependent of a delivered entry, the store not answering the layer\'s read of its kept values: INVALID_REQUEST, never BEHIND', async () => {
		const name = 'hunt39-strip-dependent';
		const inner = memoryStore(name);
		let fail = false;
		let reads = 0;
		const store = spyStore(inner, {
			async get(key, run) {
				// The wrapper's read of the kept values answers; the layer's (the second) does not.
				if (fail && key.startsWith('v|') && ++reads === 2) {
					throw new Error('The store is down');
				}

				return run();
			},
		});
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, clock: new ManualClock(), store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const placeholder = api.outbox.ref(parent, '/id');
			net.offline = false;
			await api.outbox.flush();
			fail = true;
			const outcome = await outcomeOf(api.patch(`todos/${placeholder}`, { json: { done: true }, searchParams: { access_token: 'secret' }, hooks: { beforeRequest: [strip] } }));
			// Before: 'BEHIND'.
			expect([outcome, reads, (await inner.keys()).filter((key) => key.startsWith('p|')), sent]).toEqual(['INVALID_REQUEST', 2, [], ['POST /todos']]);
		} finally {
			api.close();
		}
	});
});

describe('a hedge deferred past a Retry-After pause, its timer due before the family\'s clock reaches the pause\'s end', () => {
	afterEach(() => {
		vi.restoreAllMocks(); // The spy on the fake setTimeout first, then the real timers back.
		vi.useRealTimers();
	});

	it.each(['the client', 'an extend() child with a clock of its own'])('%s: re-armed for the rest of the pause, it goes once the clock is past it', async (who) => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const armed = vi.spyOn(globalThis, 'setTimeout');
		const pauses = (): number => armed.mock.calls.filter(([, ms]) => ms === 1000).length;
		const clock = new ManualClock(); // The family's (its first client's): it lags the timers, moved only by hand.
		const { pending, fetch } = held();
		const api = createCore({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 40, maxHedges: 2 }) });
		const client = who === 'the client' ? api : api.extend({ clock: new ManualClock(1_800_000_000_000) });
		const hedged: number[] = [];
		client.on('hedge', ({ hedge: which }) => hedged.push(which));
		const call = client.get('https://api.test/slow');
		await expect.poll(() => pending.length).toBe(1);
		await vi.advanceTimersByTimeAsync(40);
		await expect.poll(() => pending.length).toBe(2);
		pending[1]!.release(new Response('busy', { status: 503, headers: { 'retry-after': '1' } }));
		await expect.poll(pauses).toBe(1); // The second hedge deferred past the pause.
		// Its timer is due; the family's clock is still where the pause began: not yet, and re-armed for the rest of it.
		await vi.advanceTimersByTimeAsync(1000);
		// Before: never re-armed (the hedge refused as its timer fired, for good: the call waited for its first attempt alone).
		await expect.poll(pauses).toBe(2); // Re-armed for the rest of the pause.
		expect([pending.length, hedged]).toEqual([2, [1]]);
		clock.advance(1000);
		await vi.advanceTimersByTimeAsync(1000);
		await expect.poll(() => pending.length).toBe(3); // The second hedge.
		pending[2]!.release(new Response('ok'));
		expect([await call.text(), hedged]).toEqual(['ok', [1, 2]]);
		api.close();
	});
});
