/**
 * Defect hunt, thirty-third round (work bound to who started it, the outbox's dependent writes): the removals a client
 * notes (src/core/world.ts `Worlds`) were bounded at 256; past that the oldest became "every id of its part removed"
 * for the work started before it. Discarding the dead letters of a full outbox (one `discard(id)` each) while a write's
 * first attempt was in flight made that write count as discarded: its answer's values were not kept, and the write
 * that depends on it (`outbox.ref()`) became a `'parent'` dead letter, never sent.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { Worlds } from '../../src/core/world.js';
import { queued } from './outbox-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

describe('removals noted while work is in flight: as many as an outbox holds entries are kept one by one', () => {
	it.each([10, 300])('%i dead letters discarded while a write is in flight: its dependent write is still sent, with its server id', async (count) => {
		const store = memoryStore(`world-outbox-${count}`);
		let offline = true;
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			const { pathname } = new URL(input.url);
			if (pathname.startsWith('/dead/')) {
				if (offline) {
					throw new TypeError('Failed to fetch');
				}

				return new Response('no', { status: 422 });
			}

			sent.push(`${input.method} ${pathname}`);
			if (input.method === 'POST') {
				await held;
				return Response.json({ id: 5 }, { status: 201 });
			}

			return new Response(null, { status: 204 });
		};

		const api = createClient({ name: `world-outbox-${count}`, store: () => store, fetch, retry: 0, staleCache: false, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 50 }) });
		try {
			for (let index = 0; index < count; index++) {
				await queued(api.post(`dead/${index}`, { json: { index } }));
			}

			offline = false;
			expect(await api.outbox.flush()).toMatchObject({ dead: count });
			const dead = (await api.outbox.deadLetters()).map((entry) => entry.id);
			expect(dead).toHaveLength(count);
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const child = await queued(api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }));
			await Promise.all(dead.map(async (id) => api.outbox.discard(id)));
			release();
			await waitFor(async () => (await api.outbox.size()) === 0 || sent.includes('PATCH /todos/5'), 'the outbox empty or the dependent write sent', 20_000);
			await api.outbox.flush();
			// Before, with 300 or 1,000: ['POST /todos'] and the child a dead letter ('parent').
			expect(sent).toEqual(['POST /todos', 'PATCH /todos/5']);
			expect([await api.outbox.size(), (await api.outbox.deadLetters()).map((entry) => [entry.id === child, entry.deadReason])]).toEqual([0, []]);
		} finally {
			api.close();
		}
	});

	it('Worlds: removals past the bound an outbox asked for (keep) still collapse, as of when each was noted', () => {
		const worlds = new Worlds();
		worlds.keep(1000);
		const old = worlds.open('alice', () => 'alice');
		for (let index = 0; index < 1000; index++) {
			worlds.removed('outbox', `e${index}`);
		}

		expect([old.current('outbox', 'other'), old.current('outbox', 'e1')]).toEqual([true, false]);
		for (let index = 0; index < 300; index++) {
			worlds.removed('cache', `https://api.test/${index}`);
		}

		// 1,300 notes past 1,256: the oldest removals stand for every id of their part, for work started before them.
		expect(old.current('outbox', 'other')).toBe(false);
		expect(worlds.open('bob', () => 'bob').current('outbox', 'e1')).toBe(true);
	});
});
