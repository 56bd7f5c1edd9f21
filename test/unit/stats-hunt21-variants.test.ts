/**
 * Defect hunt, twenty-first round: `stats()`, events and the trace slot around work the caller does not see (API.md
 * "Events", `stats()`, "Slow networks"): a write's replay, a write answered `202` for its queued entry, a call that
 * settles while another of its scope is in flight.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';

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
