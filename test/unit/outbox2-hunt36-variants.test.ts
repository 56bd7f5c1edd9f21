/**
 * Defect hunt, thirty-sixth round (the outbox's app callbacks and leftovers): variants of defects already found.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { harnessEachTest, offlineFetch, queued, queueOffline } from './outbox-helpers.js';
import type { OutboxOptions } from '../../src/entries/index.js';

const { h, win } = harnessEachTest();
const doc = (id: string) => h.state.docs?.get(id) ?? { version: 1, body: '', writes: [], conflicts: 0 };

afterEach(() => {
	vi.useRealTimers();
});

describe('a migrate that never settles is bounded as onConflict is (10 000 ms)', () => {
	it('counts as the app\'s error: a migrate dead letter, and the flush resolves', async () => {
		const name = 'hunt36-outbox2-migrate-hangs';
		const store = memoryStore(name);
		const { fetch, sent, net } = offlineFetch();
		const first = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		const id = await queued(first.put('todos/1', { json: { a: 1 } }));
		first.close();
		net.offline = false;
		let called!: () => void;
		const asked = new Promise<void>((resolve) => {
			called = resolve;
		});
		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox({ version: 2, migrate: () => {
			called();
			return new Promise(() => undefined);
		} }) });
		const dead: string[] = [];
		api.on('outbox:dead', (event) => dead.push(event.entryId));
		try {
			vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
			const flushed = api.outbox.flush();
			await asked;
			await vi.advanceTimersByTimeAsync(9_999);
			expect(dead).toEqual([]);
			await vi.advanceTimersByTimeAsync(1);
			// Before: `[]` where `[id]`, and the flush never resolved (the pass held the drain's lock until close()).
			await vi.waitFor(() => expect(dead).toEqual([id]), { timeout: 2000 });
			expect(await flushed).toMatchObject({ dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason, entry.lastError?.code])).toEqual([[id, 'migrate', 'INVALID_REQUEST']]);
			expect(sent).toEqual([]);
		} finally {
			api.close();
		}
	});
});

describe('an onConflict answer whose only keys are a null body or null headers is no rebase', () => {
	const answers: Array<[string, () => unknown]> = [
		['{ body: null }', () => ({ body: null })],
		['{ headers: null }', () => ({ headers: null })],
		['{ body: null, headers: null }', () => ({ body: null, headers: null })],
	];
	for (const [index, [name, answer]] of answers.entries()) {
		it(`${name}: a 'conflict' dead letter, never the stored write replayed without its precondition`, async () => {
			const id = `h36n${index}`;
			const api = h.make({ outbox: { onConflict: answer as NonNullable<OutboxOptions['onConflict']> } });
			const entry = await queueOffline(win, api, async () => api.put(`doc?id=${id}`, { json: { v: 'mine' }, headers: { 'If-Match': '"v1"' } }));
			expect((await fetch(`${h.api.url}/doc?id=${id}`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
			// Before: { sent: 1, dead: 0 }, the document's body '{"v":"mine"}' (the stored write replayed without its If-Match).
			expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).filter((each) => each.id === entry.id)).toMatchObject([{ deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
			expect(doc(id).body).toBe('theirs');
		});
	}
});

describe('a placeholder in a Request input\'s body of a call the outbox does not queue (outbox: false)', () => {
	it.each(['POST', 'PUT'])('a %s: an InvalidRequestError before any I/O, as for its json, never sent with the placeholder as written', async (method) => {
		const name = `hunt36-outbox2-request-body-${method}`;
		const store = memoryStore(name);
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { a: 1 } }));
			const placeholder = api.outbox.ref(parent, '/id');
			net.offline = false;
			const options = { outbox: false as const };
			const outcome = (call: Promise<Response>) => call.then(() => 'sent', (error: { code?: string; name: string }) => error.code ?? error.name);
			const viaJson = await outcome(api(new URL('https://api.test/items'), { method, json: { parent: placeholder }, ...options }));
			const viaRequest = await outcome(api(new Request('https://api.test/items', { method, body: JSON.stringify({ parent: placeholder }), headers: { 'content-type': 'application/json' } }), options));
			// A body with no placeholder still goes.
			const plain = await outcome(api(new Request('https://api.test/items', { method, body: '{"parent":5}', headers: { 'content-type': 'application/json' } }), options));
			// Before: [.., 'sent', ..] and `POST /items` sent with `steadfetch-ref-…` as written.
			expect([viaJson, viaRequest, plain, sent]).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST', 'sent', [`${method} /items`]]);
		} finally {
			api.close();
		}
	});
});
