/**
 * Defect hunt, thirty-fourth round (the outbox core; src/core/world.ts `Worlds`): variants of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { Worlds } from '../../src/core/world.js';
import { queued } from './outbox-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

describe('removals noted while a write is in flight: never taken for its own', () => {
	it('more than 256 + maxEntries discards while an early write\'s first attempt is in flight: its dependent write is still sent, with its server id', async () => {
		const name = 'hunt34-world-many';
		const store = memoryStore(name);
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			const { pathname } = new URL(input.url);
			if (pathname.startsWith('/other/')) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${input.method} ${pathname}`);
			if (input.method === 'POST') {
				await held;
				return Response.json({ id: 5 }, { status: 201 });
			}

			return new Response(null, { status: 204 });
		};

		const api = createClient({ name, store: () => store, fetch, retry: 0, staleCache: false, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 50, maxEntries: 10 }) });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const child = await queued(api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }));
			// 300 writes queued and discarded one at a time (the outbox never holds more than 3): 300 removals noted.
			for (let index = 0; index < 300; index++) {
				const id = await queued(api.post(`other/${index}`, { json: { index } }));
				await api.outbox.discard(id);
			}

			release();
			await waitFor(async () => (await api.outbox.size()) === 0 || sent.includes('PATCH /todos/5'), 'the outbox empty or the dependent write sent', 20_000);
			await api.outbox.flush();
			expect(sent).toEqual(['POST /todos', 'PATCH /todos/5']);
			expect([await api.outbox.size(), (await api.outbox.deadLetters()).map((entry) => [entry.id === child, entry.deadReason])]).toEqual([0, []]);
		} finally {
			api.close();
		}
	});
});

describe('Worlds.holding: notes made since held work started are never collapsed while it lasts', () => {
	it('a held world stays current for the ids no removal touched, past any bound; once let go, the bound holds again', () => {
		const worlds = new Worlds();
		const unheld = worlds.open('alice', () => 'alice');
		worlds.removed('outbox', 'x');
		const world = worlds.open('alice', () => 'alice');
		// As the outbox's work holds it (`Queue.hold`).
		worlds.holding.push((world as unknown as { start: number }).start);
		for (let index = 0; index < 2000; index++) {
			worlds.removed(index % 2 ? 'outbox' : 'cache', `e${index}`);
		}

		expect([world.current('outbox', 'other'), world.current('outbox', 'e1'), world.current('outbox', 'x'), unheld.current('outbox', 'x')]).toEqual([true, false, true, false]);
		worlds.holding.length = 0;
		worlds.removed('outbox', 'last');
		expect([world.current('outbox', 'other'), worlds.open('alice', () => 'alice').current('outbox', 'e1')]).toEqual([false, true]);
	});
});

/**
 * A fetch whose first attempt is held until `release()` and then answers `first()`; every later one a 201 with `{ id: 5 }`.
 * `sending` resolves as the first attempt reaches it; `sent` lists each attempt's method and path.
 */
const heldFirstAttempt = (first: () => Response) => {
	let release!: () => void;
	const held = new Promise<void>((resolve) => {
		release = resolve;
	});
	let reached!: () => void;
	const sending = new Promise<void>((resolve) => {
		reached = resolve;
	});
	const sent: string[] = [];
	const fetch = async (given: string | URL | Request): Promise<Response> => {
		const input = given as Request;
		sent.push(`${input.method} ${new URL(input.url).pathname}`);
		if (sent.length === 1) {
			reached();
			await held;
			return first();
		}

		return Response.json({ id: 5 }, { status: 201 });
	};

	return { fetch, sent, sending, release };
};

describe('removals noted before a write is told "queued" at its deadline', () => {
	it('a discard of another id, then 1,300 cached URLs deleted, before the deadline: its attempt\'s failure is written back (outbox:retry) and it is replayed', async () => {
		const name = 'hunt34-world-window';
		const store = memoryStore(name);
		const { fetch, sent, sending, release } = heldFirstAttempt(() => new Response('busy', { status: 503 }));

		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 1000, baseBackoffMs: 10, resumeJitterMs: 0 }) });
		const retried: unknown[] = [];
		api.on('outbox:retry', (event) => retried.push(event.entryId));
		try {
			const write = queued(api.post('todos', { json: { title: 'a' } }));
			await sending;
			// One entry id removed since it started, then 1,300 cached URLs: past 256 + maxEntries notes, with no work of the outbox under way.
			await api.outbox.discard('gone');
			await Promise.all(Array.from({ length: 1300 }, async (_, index) => api.cache.delete(`other/${index}`)));
			const id = await write;
			release();
			await waitFor(() => retried.length > 0 || sent.length > 1, 'the failure written back, or the write replayed', 20_000);
			await waitFor(async () => (await api.outbox.size()) === 0, 'the write replayed', 20_000);
			// Before: [] and the entry kept its lease (replayed only once its call's deadline passed, 20 s on).
			expect([retried, sent]).toEqual([[id], ['POST /todos', 'POST /todos']]);
		} finally {
			api.close();
		}
	}, 30_000);

	it('a discard of another id, then 1,300 cached URLs deleted, before the deadline: its call\'s retry still goes out (admitted), and delivers it', async () => {
		const name = 'hunt34-world-window-retry';
		const store = memoryStore(name);
		const { fetch, sent, sending, release } = heldFirstAttempt(() => new Response('busy', { status: 503, headers: { 'retry-after': '0' } }));

		const api = createClient({ name, store: () => store, fetch, retry: { limit: 1, backoffLimit: 10 }, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 1000, resumeJitterMs: 0 }) });
		const early: unknown[] = [];
		api.on('outbox:sent', (event) => early.push(event.early));
		try {
			const write = queued(api.post('todos', { json: { title: 'a' } }));
			await sending;
			await api.outbox.discard('gone');
			await Promise.all(Array.from({ length: 1300 }, async (_, index) => api.cache.delete(`other/${index}`)));
			await write;
			release();
			await waitFor(() => early.length > 0, 'the write delivered', 20_000);
			// Before: the retry refused ('Not sent: its entry was removed'), the entry replayed only once its lease ended, 20 s on.
			expect([early, sent, await api.outbox.size()]).toEqual([[true], ['POST /todos', 'POST /todos'], 0]);
		} finally {
			api.close();
		}
	}, 30_000);
});
