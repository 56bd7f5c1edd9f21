/** Variants of API.md "Reachability and recovery" for work that goes on behind its caller (thirteenth round, second pass). */
import { describe, expect, it } from 'vitest';
import { type Harness, harnessEachTest, throwIfOffline, type FakeWindow } from './outbox-helpers.js';

let h: Harness;
let win: FakeWindow;
harnessEachTest((started, fake) => {
	h = started;
	win = fake;
});

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
