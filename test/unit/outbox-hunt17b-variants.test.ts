/**
 * Defect hunt, seventeenth round, second pass (area H): the outbox's read-your-writes count of a dependent taken back by
 * `retry(id)`. API.md "Read your own writes": "While a write to a URL is pending in the outbox, a stale answer for that
 * URL says so (`Cache-Status … detail=…; pending-writes=N`, N the pending writes to that exact URL …)".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('a dependent (`outbox.ref()`) that was sent, buried and taken back by retry(id) is counted under the URL it goes to', () => {
	it('offline, the stale answer of `items/7` (its placeholder\'s value) says pending-writes=1 at once, before any pass resolves it again', async () => {
		const store = memoryStore('h17b-pending');
		const clock = new ManualClock();
		const state = { down: false };
		const fetch = (async (request: Request) => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			const status = request.method === 'GET' ? 200 : request.method === 'PUT' ? 422 : 201;
			return new Response('{"id":7}', { status, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, clock, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h17b-pending', outbox: outbox({ resumeJitterMs: 0 }) });
		const seen = { stored: 0, dead: 0 };
		api.on('cache:stored', () => seen.stored++);
		api.on('outbox:dead', () => seen.dead++);
		try {
			await api.get('items/7').json();
			await waitFor(() => seen.stored === 1, 'the copy of items/7 stored');
			state.down = true;
			const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			const child = await api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			state.down = false;
			await api.outbox.flush(); // The parent delivered ({ id: 7 }), the dependent sent to items/7 and refused (422): a dead letter.
			await waitFor(() => seen.dead === 1, 'the dependent buried');
			vi.stubGlobal('navigator', { onLine: false });
			clock.advance(1); // No answer since the runtime went offline: no pass sends (nor resolves) it.
			state.down = true;
			await api.outbox.retry(child);
			expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/items/7']);
			expect((await api.get('items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline; pending-writes=1');
		} finally {
			api.close();
		}
	});
});

/**
 * A client of `name` over `store` whose origins a.example and b.example fail while in `down`; b.example's `items/7` stored.
 * Then a POST to a.example queued, a PUT to `b.example/items/<its /id>` queued behind it, the runtime offline, and one read
 * of `items/7` made (its attempt behind the copy is b.example's one per 10 s: no pass sends the dependent now), and
 * a.example back: `flush()` delivers the parent ({ id: 7 }). Its clients draw 0.5 (`random`): a failed write is due
 * again 500 ms later on the manual clock, so `clock.advance(1)` makes nothing due (a draw under 0.001 did).
 */
const parentDelivered = async (name: string, store = memoryStore(name)) => {
	const clock = new ManualClock();
	const down = new Set<string>();
	const fetch = (async (request: Request) => {
		if (down.has(new URL(request.url).host)) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":7}', { status: request.method === 'GET' ? 200 : 201, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
	}) as typeof globalThis.fetch;
	const made = (at = clock) => createClient({ fetch, clock: at, random: () => 0.5, retry: 0, breaker: false, store: () => store, name, outbox: outbox({ resumeJitterMs: 0 }) });
	const api = made();
	let stored = 0;
	api.on('cache:stored', () => stored++);
	await api.get('https://b.example/items/7').json();
	await waitFor(() => stored === 1, 'the copy of items/7 stored');
	down.add('a.example').add('b.example');
	const parent = await api.post('https://a.example/todos', { json: { a: 1 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
	await api.put(`https://b.example/items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }).catch(() => undefined);
	vi.stubGlobal('navigator', { onLine: false });
	clock.advance(1);
	expect((await api.get('https://b.example/items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline');
	down.delete('a.example');
	expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 1 });
	return { api, made, clock };
};

describe('a dependent whose parent was delivered is counted under the URL it goes to at once, not only when a pass sends it', () => {
	it('its own scope offline (no pass resolves it): the stale answer of `b.example/items/7` says pending-writes=1 once the parent on a.example answered { id: 7 }', async () => {
		const { api } = await parentDelivered('h17b-pending-scopes');
		try {
			// Before: 'steadfetch; hit; ttl=0; detail=offline' (counted under items/steadfetch-ref-…-0 until a pass sends it).
			expect((await api.get('https://b.example/items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline; pending-writes=1');
		} finally {
			api.close();
		}
	});

	it('after a reload (a new client of the name and store, still offline): the same', async () => {
		const store = memoryStore('h17b-pending-reload');
		const { api, made, clock } = await parentDelivered('h17b-pending-reload', store);
		api.close();
		const again = made();
		try {
			clock.advance(1);
			// Counted once the new client read the queue (just after its start): wait for it, then no more than the one.
			await waitFor(async () => (await again.get('https://b.example/items/7')).headers.get('cache-status')!.includes('pending-writes'), 'the reloaded count');
			// Before: 'steadfetch; hit; ttl=0; detail=offline' (counted under the placeholder's URL after the reload).
			expect((await again.get('https://b.example/items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline; pending-writes=1');
		} finally {
			again.close();
		}
	});

	it('a parent told "queued" at `networkTimeoutMs` whose own attempt then delivers it (no pass): the same', async () => {
		const store = memoryStore('h17b-pending-early');
		const clock = new ManualClock();
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const offline = new Set<string>();
		const fetch = (async (request: Request) => {
			const { host } = new URL(request.url);
			if (offline.has(host)) {
				throw new TypeError('fetch failed');
			}

			if (request.method === 'POST') {
				await held;
			}

			return new Response('{"id":7}', { status: request.method === 'GET' ? 200 : 201, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, clock, random: () => 0.5, retry: 0, breaker: false, store: () => store, name: 'h17b-pending-early', outbox: outbox({ resumeJitterMs: 0, networkTimeoutMs: 1 }) });
		let stored = 0;
		let sent = 0;
		api.on('cache:stored', () => stored++);
		api.on('outbox:sent', () => sent++);
		try {
			await api.get('https://b.example/items/7').json();
			await waitFor(() => stored === 1, 'the copy of items/7 stored');
			offline.add('b.example');
			// Told "queued" while its attempt goes on (held).
			const parent = await api.post('https://a.example/todos', { json: { a: 1 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			await api.put(`https://b.example/items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }).catch(() => undefined);
			vi.stubGlobal('navigator', { onLine: false });
			clock.advance(1);
			expect((await api.get('https://b.example/items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline');
			release();
			await waitFor(() => sent === 1, 'the parent delivered by its own attempt');
			await waitFor(async () => (await api.get('https://b.example/items/7')).headers.get('cache-status')!.includes('pending-writes'), 'the count');
			expect((await api.get('https://b.example/items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline; pending-writes=1');
			expect(await api.outbox.size()).toBe(1);
		} finally {
			api.close();
		}
	});
});
