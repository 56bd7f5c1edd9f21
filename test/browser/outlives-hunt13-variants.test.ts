/**
 * Defect hunt, thirteenth round (work that outlives its caller), in real Chromium (IndexedDB, Web Locks,
 * BroadcastChannel: clients of one name made apart in a page hear each other as tabs do): what another
 * tab's clear ends here.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { holdGate } from '../helpers/hold-gate.js';
import { noteHeard } from '../helpers/other-tabs.js';

describe('outbox.retry(id) here while another tab\'s clear() removes the dead letter (Chromium, IndexedDB)', () => {
	it('retry rejects OUTBOX_NOT_FOUND; nothing pending, nothing dead, nothing counted pending for its URL', async () => {
		const name = `h13-retry-${Math.random().toString(36).slice(2)}`;
		let mode: 'refuse' | 'reject' | 'up' = 'up';
		const transport = async (input: RequestInfo | URL): Promise<Response> => {
			if (mode === 'refuse') {
				throw new TypeError('Failed to fetch');
			}

			return mode === 'reject' && (input as Request).method !== 'GET' ? new Response('no', { status: 422 }) : Response.json({ title: 'milk' });
		};
		// This tab's IndexedDB writes of pending records wait, while held, for `release()`.
		const { held, holding, hold, release } = holdGate();
		const heldStore = (namespace: string): KeyValueStore => {
			const inner = indexedDbStore(namespace);
			return {
				get: async (key) => inner.get(key),
				async set(key, value) {
					const gate = key.startsWith('p|') ? held() : undefined;
					if (gate) {
						await gate;
					}

					return inner.set(key, value);
				},
				delete: async (key) => inner.delete(key),
				keys: async () => inner.keys(),
				clear: async () => inner.clear(),
			};
		};

		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const };
		const here = createClient({ ...options, store: heldStore, outbox: outbox({ resumeJitterMs: 0 }) });
		mode = 'refuse';
		const queued = await here.put('todos/1', { json: { title: 'milk' } }).then(() => undefined, (error: { entryId?: string }) => error.entryId);
		mode = 'reject';
		await here.outbox.flush();
		await expect.poll(async () => (await here.outbox.deadLetters()).length).toBe(1);
		mode = 'refuse';
		const there = createClient({ ...options, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) }); // Another tab.
		hold();
		const retried = here.outbox.retry(queued!).then(() => 'resolved', (error: { code?: string }) => error.code);
		await expect.poll(holding).toBe(true);
		const heard = noteHeard(name);
		// The logout, in another tab. Its removal may wait for the outbox's lock, which a pass here can hold
		// while it waits for the entry the store is taking: not awaited before release().
		const cleared = there.clear();
		await heard;
		release();
		await cleared;
		// Before: 'resolved', and a stale answer of its URL afterwards said pending-writes=1.
		expect(await retried).toBe('OUTBOX_NOT_FOUND');
		expect({ pending: await here.outbox.size(), dead: (await here.outbox.deadLetters()).length }).toEqual({ pending: 0, dead: 0 });
		mode = 'up';
		const stored: string[] = [];
		here.on('cache:stored', (event) => stored.push(event.url));
		await here.get('todos/1').json();
		await expect.poll(() => stored.length).toBe(1);
		mode = 'refuse';
		expect((await here.get('todos/1')).headers.get('cache-status')).not.toContain('pending-writes');
		here.close();
		there.close();
	});
});
