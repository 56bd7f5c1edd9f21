/**
 * Defect hunt, thirty-fifth round (the outbox under crashes and identity changes): variants of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { gate, queued, spyStore } from './outbox-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

describe('a dependent queued while its parent is discarded: the discarded parent never comes back', () => {
	it('discard(parent) while the dependent\'s link key is written: the parent stays removed, never sent', async () => {
		const name = 'hunt35b-mark-discard';
		const inner = memoryStore(name);
		let failRead = false;
		let holdLink = false;
		let linking = false;
		const link = gate();
		const store = spyStore(inner, {
			async get(key, read) {
				if (failRead && key.startsWith('p|')) {
					failRead = false;
					throw new Error('The store is down');
				}

				return read();
			},
			async set(key, _value, write) {
				if (holdLink && key.startsWith('l|')) {
					holdLink = false;
					linking = true;
					await link.wait;
				}

				return write();
			},
		});
		let offline = true;
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			if (offline) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${input.method} ${new URL(input.url).pathname}`);
			return input.method === 'POST' ? Response.json({ id: 5 }, { status: 201 }) : new Response(null, { status: 204 });
		};

		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			// The pointer `ref()` asks is not recorded (the store did not answer its read): the dependent's queueing records it.
			failRead = true;
			const placeholder = api.outbox.ref(parent, '/id');
			await waitFor(() => !failRead, 'the ask\'s read failed');
			holdLink = true;
			const child = api.patch(`todos/${placeholder}`, { json: { done: true } }).then(() => 'sent', (error: { code?: string; name: string }) => error.code ?? error.name);
			await waitFor(() => linking, 'the dependent\'s link key being written');
			await api.outbox.discard(parent);
			link.open();
			const outcome = await child;
			offline = false;
			await api.outbox.flush();
			const parents = (await inner.keys()).filter((key) => key.startsWith('p|') && key.includes(parent));
			// Before: 'QUEUED', and the discarded parent's record written again, then sent (['POST /todos', …]).
			expect([outcome, parents, sent]).toEqual(['INVALID_REQUEST', [], []]);
		} finally {
			api.close();
		}
	}, 30_000);
});
