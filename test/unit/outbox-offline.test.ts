/**
 * The outbox while a scope is `offline` (API.md "Reachability and recovery"): it holds writes, but
 * one attempt per scope per 10 s still goes out (the app's write, or a replay) to find out; once one
 * gets an HTTP answer the scope is reachable and writes go out again. A wrong `navigator.onLine`
 * never blocks a working origin for long.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { throwIfOffline, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const applied = (id: string) => h.state.applied.get(id)?.length ?? 0;

/** A client whose transport counts every attempt that leaves the client (reaching the API or failing offline). */
const counted = () => {
	let attempts = 0;
	const api = h.make({
		outbox: true,
		fetch: async (input, init) => {
			attempts++;
			throwIfOffline();
			return fetch(input as Request, init);
		},
	});
	return { api, attempts: () => attempts };
};

describe('the outbox while a scope is offline', () => {
	it('navigator.onLine wrongly false: the scope\'s first write goes out and is delivered; the scope is reachable then, and the next writes go out too', async () => {
		const { api, attempts } = counted();
		win.setOnline(false, true, true); // navigator.onLine says offline; the network works
		expect(api.reachability(h.api.url)).toBe('offline');
		expect((await api.post('mutate?id=lie', { json: { n: 1 } })).status).toBe(201); // before: OutboxQueuedError, nothing sent
		expect(api.reachability(h.api.url)).toBe('reachable');
		expect((await api.post('mutate?id=lie', { json: { n: 2 } })).status).toBe(201);
		expect([attempts(), applied('lie'), await api.outbox.size()]).toEqual([2, 2, 0]);
	});

	it('really offline: the scope\'s first write goes out; the writes after it are held before any I/O (OFFLINE), leaving the scope\'s attempt of each 10 s to the head\'s replay', async () => {
		const { api, attempts } = counted();
		win.setOnline(false);
		const codes: string[] = [];
		api.on('outbox:queued', ({ code }) => codes.push(code!));
		for (const after of [0, 0, 5_000, 5_000, 0]) {
			h.clock.advance(after);
			await expect(api.post('mutate?id=held', { json: { after } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		expect(attempts()).toBe(1);
		expect(codes).toEqual(['NETWORK', 'OFFLINE', 'OFFLINE', 'OFFLINE', 'OFFLINE']);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1, remaining: 5 }); // 10 s on: the head's replay
		expect(attempts()).toBe(2);
		expect(api.reachability(h.api.url)).toBe('offline');
	});

	it('a drain while offline replays one entry per scope per 10 s (the head); when that replay gets an answer, the scope drains', async () => {
		const { api, attempts } = counted();
		win.setOnline(false, false);
		for (const n of [1, 2, 3]) {
			await api.post('mutate?id=drain', { json: { n } }).catch(() => undefined);
		}

		expect(attempts()).toBe(1);
		h.clock.advance(10_000);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 1, dead: 0, remaining: 3 }); // the head only
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 3 }); // within 10 s: none
		expect(attempts()).toBe(2);
		h.clock.advance(10_000);
		win.setOnline(false, false, true); // the network is back, navigator.onLine has not noticed
		expect(await api.outbox.flush()).toEqual({ sent: 3, failed: 0, dead: 0, remaining: 0 });
		expect(attempts()).toBe(5);
		expect(h.state.applied.get('drain')!.map((write) => JSON.parse(write.body).n)).toEqual([1, 2, 3]);
	});
});
