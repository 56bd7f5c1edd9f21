/** Variants of API.md "Reachability and recovery" for work that goes on behind its caller (thirteenth round, second pass). */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { refusedUrl } from '../helpers/node-server.js';
import { startOrigin } from '../helpers/origin.js';
import { gate, harnessEachTest, throwIfOffline, until } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('an offline scope\'s replay refused before it is sent', () => {
	it('refused by an open breaker: it does not use up the scope\'s 10-second slot, the next replay goes out once the breaker closed', async () => {
		let attempts = 0;
		const api = h.make({
			outbox: true,
			breaker: {},
			fetch: async (input, init) => {
				attempts++;
				throwIfOffline();
				return fetch(input as Request, init);
			},
		});
		win.setOnline(false);
		await api.post('mutate?id=refused', { json: { n: 1 } }).catch(() => undefined);
		expect(attempts).toBe(1);
		h.clock.advance(10_000);
		await api.breaker.isolate(h.api.url);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 }); // the head's replay: CIRCUIT_OPEN, nothing sent
		expect(attempts).toBe(1);
		await api.breaker.reset(h.api.url);
		h.clock.advance(1_000);
		win.setOnline(false, false, true); // the network is back, navigator.onLine has not noticed
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 }); // before: { sent: 0, remaining: 1 } (the refused replay took the slot)
		expect(attempts).toBe(2);
	});
});

describe('close() or clear() while onConflict decides the conflict of a write\'s first attempt (queued at its deadline)', () => {
	it.each(['close()', 'clear()'])('the wait ends at %s, not at onConflict\'s 10-second limit; nothing is written', async (how) => {
		const deciding = gate();
		let answer: ((response: Response) => void) | undefined;
		const api = h.make({
			outbox: { networkTimeoutMs: 40, onConflict: async () => {
				deciding.open();
				return new Promise<never>(() => undefined); // never answers
			} },
			fetch: async () => new Promise<Response>((resolve) => {
				answer = resolve;
			}),
		});
		const events = h.record(api, 'outbox:dead', 'outbox:retry', 'outbox:discarded');
		const work: Array<Promise<unknown>> = [];
		const queued = await api.put('doc?id=early-close-conflict', { body: 'mine', headers: { 'If-Match': '"v0"' }, waitUntil: (promise) => work.push(promise) }).then(() => undefined, (error: unknown) => error as { entryId: string });
		expect(queued?.entryId).toBeTypeOf('string');
		await until(() => answer !== undefined);
		answer!(new Response('', { status: 412 }));
		await deciding.wait;
		let settled = false;
		void Promise.allSettled(work).finally(() => {
			settled = true;
		});
		if (how === 'close()') {
			api.close();
		} else {
			await api.clear();
		}

		await until(() => settled, 3000); // before: after onConflict's 10 s limit
		expect(events).toEqual([]);
		const next = h.make({ outbox: true });
		// After close() the entry stays as it was, pending (for the next client of the name); a clear removed it.
		expect((await next.outbox.list()).map(({ id }) => id)).toEqual(how === 'close()' ? [queued!.entryId] : []);
		expect(await next.outbox.deadLetters()).toEqual([]);
	});
});

describe('an offline mirror\'s attempt refused before it is sent (failover)', () => {
	it('refused by the mirror\'s open breaker: it does not use up the mirror\'s 10-second slot, the next call\'s failover goes to it once the breaker closed', async () => {
		const [mirror, dead] = await Promise.all([startOrigin(), refusedUrl()]);
		const clock = new ManualClock();
		const api = createCore({ clock, retry: 0, retryBudget: false, breaker: breaker(), failover: failover({ mirrors: { [dead]: [mirror.server.url] } }) });
		try {
			win.setOnline(false, true, true); // navigator.onLine says offline; the network works
			await api.breaker.isolate(mirror.server.url);
			await expect(api.get(`${dead}/json?id=refused-mirror`)).rejects.toBeInstanceOf(Error); // the mirror's attempt: CIRCUIT_OPEN, nothing sent
			expect(mirror.seen).toHaveLength(0);
			await api.breaker.reset(mirror.server.url);
			clock.advance(1_000);
			const response = await api.get(`${dead}/json?id=refused-mirror-2`);
			expect(response.url).toBe(`${mirror.server.url}/json?id=refused-mirror-2`); // before: the primary's failure (the mirror skipped as offline)
		} finally {
			api.close();
			await mirror.server.close();
		}
	});
});
