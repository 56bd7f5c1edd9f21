/**
 * Defect hunt, thirty-sixth round (offline writes for real apps): `onConflict` answers that name a rebase's keys but
 * give nothing (`{ json: undefined }`, `{ headers: undefined }`: a merge that produced nothing) — as `{}`, no rebased
 * write (OutboxOptions.onConflict): a 'conflict' dead letter, never the stored write replayed without its precondition;
 * and a dependent (`outbox.ref()`) taken back by `retry(id)` after its parent was delivered, counted pending (API.md "Read
 * your own writes") under the URL it goes to, as at its parent's delivery, while its scope is offline; so is one counted
 * again after a clear the store refused, as a reload counts it.
 */
import { describe, expect, it } from 'vitest';
import { outbox, type Outbox, type OutboxOptions } from '../../src/entries/index.js';
import { fetchAndStore, staleStatus, useCacheKit } from './cache-kit.js';
import { harnessEachTest, queued, queueOffline, spyStore } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const doc = (id: string) => h.state.docs?.get(id) ?? { version: 1, body: '', writes: [], conflicts: 0 };

describe('an onConflict answer of a rebase\'s keys, each undefined', () => {
	const conflicted = async (onConflict: NonNullable<OutboxOptions['onConflict']>, id: string) => {
		const api = h.make({ outbox: { onConflict } });
		const entry = await queueOffline(win, api, async () => api.put(`doc?id=${id}`, { json: { v: 'mine' }, headers: { 'If-Match': '"v1"' } }));
		expect((await fetch(`${h.api.url}/doc?id=${id}`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		return { api, entry, result: await api.outbox.flush() };
	};

	const answers: Array<[string, () => unknown]> = [
		['{ json: undefined }', () => ({ json: undefined })],
		['{ body: undefined }', () => ({ body: undefined })],
		['{ headers: undefined }', () => ({ headers: undefined })],
		['{ json: undefined, body: undefined, headers: undefined }', () => ({ json: undefined, body: undefined, headers: undefined })],
	];
	for (const [index, [name, answer]] of answers.entries()) {
		it(`${name}: a 'conflict' dead letter, the other device's change kept`, async () => {
			const { api, entry, result } = await conflicted(answer as never, `h36u${index}`);
			// Before: { sent: 1, dead: 0 }, and the document's body '{"v":"mine"}' (replayed without its If-Match).
			expect(result).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).filter(({ id }) => id === entry.id)).toMatchObject([{ deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
			expect(doc(`h36u${index}`).body).toBe('theirs');
		});
	}
});

describe('read your own writes: a dependent taken back by retry() after its parent was delivered', () => {
	const kit = useCacheKit();
	it('is counted on the stale answers of the URL it goes to (its placeholder replaced), while its scope is offline', async () => {
		let otherDown = false;
		const other = kit.url.replace('127.0.0.1', 'localhost');
		const transport = async (input: unknown, init?: RequestInit): Promise<Response> => {
			const request = input as Request;
			if (kit.mode === 'refuse' || (otherDown && request.url.startsWith(other))) {
				throw new TypeError('fetch failed');
			}

			return globalThis.fetch(request, init);
		};
		const api = kit.make({ outbox: outbox({ retentionMs: 60_000, baseBackoffMs: 1_000, resumeJitterMs: 0 }), fetch: transport as typeof fetch });
		const { outbox: queue } = api as unknown as { outbox: Outbox };
		await fetchAndStore(api, `${other}/pw36/c/1`);
		kit.mode = 'refuse';
		await queued(api.post(`${other}/pw36/h`, { json: {} })); // The head of the other scope, in the way.
		const parent = await queued(api.post('pw36/p', { json: {} }));
		const child = await queued(api.patch(`${other}/pw36/c/${queue.ref(parent, '/n')}`, { json: {} }));
		kit.mode = 'up';
		otherDown = true;
		await queue.flush(); // The parent is delivered (its answer's n: 1); the other scope stays down, its head first.
		const status = async (): Promise<string | null> => staleStatus(kit, api, `${other}/pw36/c/1`);
		expect(await status()).toMatch(/pending-writes=1$/); // Counted under the URL it goes to, at the parent's delivery.
		kit.clock.advance(61_000);
		await queue.flush(); // Both of the other scope's entries expired before a pass reached the dependent.
		expect((await queue.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toContainEqual([child, 'expired']);
		expect(await status()).toMatch(/detail=network$/);
		await queue.retry(child);
		// Before: none (counted under its stored URL, the placeholder's).
		expect(await status()).toMatch(/pending-writes=1$/);
	});
});

describe('read your own writes: a clear the store refused', () => {
	const kit = useCacheKit();
	it('counts again a dependent whose parent was delivered under the URL it goes to, as a reload counts it', async () => {
		let otherDown = false;
		let refuseDeletes = false;
		const other = kit.url.replace('127.0.0.1', 'localhost');
		const transport = async (input: unknown, init?: RequestInit): Promise<Response> => {
			const request = input as Request;
			if (kit.mode === 'refuse' || (otherDown && request.url.startsWith(other))) {
				throw new TypeError('fetch failed');
			}

			return globalThis.fetch(request, init);
		};
		const inner = kit.store;
		const store = spyStore(inner, { delete: async (_key, run) => (refuseDeletes ? Promise.reject(new Error('refused')) : run()) });
		const api = kit.make({ store: () => store, outbox: outbox({ baseBackoffMs: 600_000, resumeJitterMs: 0 }), fetch: transport as typeof fetch });
		const { outbox: queue } = api as unknown as { outbox: Outbox };
		await fetchAndStore(api, `${other}/pw36/k/1`);
		kit.mode = 'refuse';
		await queued(api.post(`${other}/pw36/g`, { json: {} })); // The head of the other scope, in the way (its backoff: 10 min).
		const parent = await queued(api.post('pw36/q', { json: {} }));
		await queued(api.patch(`${other}/pw36/k/${queue.ref(parent, '/n')}`, { json: {} }));
		kit.mode = 'up';
		otherDown = true;
		await queue.flush(); // The parent is delivered (its answer's n: 1); the dependent's scope is down, its head first.
		const status = async (): Promise<string | null> => staleStatus(kit, api, `${other}/pw36/k/1`);
		expect(await status()).toMatch(/pending-writes=1$/);
		refuseDeletes = true;
		await expect(queue.clear()).rejects.toThrow('refused');
		refuseDeletes = false;
		expect(await queue.size()).toBe(2);
		// Before: none (counted again under its stored URL, the placeholder's).
		expect(await status()).toMatch(/pending-writes=1$/);
	});
});
