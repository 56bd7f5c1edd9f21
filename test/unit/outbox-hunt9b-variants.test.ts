/**
 * Defect hunt, ninth round, second pass (J): the outbox's bounds and counts across the clients of one
 * name and store in a realm — a client and the clients `extend()` made of it (`api.extend({ headers })`
 * per feature): API.md `extend(options): Client; // shares nothing persisted unless same name`, so they
 * share one outbox (one queue of one store). README/OutboxOptions.maxEntries: "Most pending entries;
 * beyond it, a write that must be stored ... is refused with `OutboxFullError`"; API.md "Read your own
 * writes": "While a write to a URL is pending in the outbox, a stale answer for that URL says so".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { useCacheKit } from './cache-kit.js';
import { fakeWindow, startHarness, type FakeWindow, type Harness } from './outbox-helpers.js';

const nameOf = (outcome: unknown): string => outcome instanceof OutboxQueuedError ? 'queued' : outcome instanceof OutboxFullError ? `full ${outcome.reason}` : String(outcome);

describe('maxEntries bounds the one outbox a client and its extend()ed clients share', () => {
	let h: Harness;
	let win: FakeWindow;
	beforeEach(async () => {
		h = await startHarness();
		win = fakeWindow();
	});
	afterEach(async () => {
		win.restore();
		await h.close();
	});

	it('the parent and a client extend() made (same name and store) writing at once while offline: as many stored as maxEntries allows, in all', async () => {
		const api = h.make({ outbox: { maxEntries: 2 } });
		const feature = api.extend({ headers: { 'x-feature': 'cart' } });
		win.setOnline(false, false);
		const outcomes = await Promise.all([api, feature, api, feature].map(async (client, n) => client.post(`mutate?id=realm-${n}`, { json: { n } }).then(() => 'sent', (error: unknown) => error)));
		expect({ names: outcomes.map(nameOf).sort(), parent: await api.outbox.size(), child: await feature.outbox.size(), listed: (await api.outbox.list()).length })
			.toEqual({ names: ['full entries', 'full entries', 'queued', 'queued'], parent: 2, child: 2, listed: 2 });
	});
});

describe('pending-writes of a client extend() made, on its parent\'s stale answers (no tabs: Node, Deno, Workers)', () => {
	const kit = useCacheKit();
	const staleStatus = async (api: { get(path: string): Promise<Response> }, path: string): Promise<string | null> => {
		kit.mode = 'refuse';
		try {
			return (await api.get(path)).headers.get('cache-status');
		} finally {
			kit.mode = 'up';
		}
	};

	it('a write the child queued is counted on the parent\'s stale answer of its URL, and the parent\'s on the child\'s', async () => {
		const api = kit.make({ outbox: outbox() });
		const feature = api.extend({ headers: { 'x-feature': 'cart' } });
		await api.get('pw9b/todos/1').text();
		await expect.poll(async () => staleStatus(api, 'pw9b/todos/1')).toMatch(/detail=network$/);
		kit.mode = 'refuse';
		await expect(feature.patch('pw9b/todos/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.patch('pw9b/todos/1', { json: { a: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect({ parent: await staleStatus(api, 'pw9b/todos/1'), child: await staleStatus(feature, 'pw9b/todos/1') })
			.toEqual({ parent: expect.stringMatching(/; pending-writes=2$/), child: expect.stringMatching(/; pending-writes=2$/) });
	});
});
