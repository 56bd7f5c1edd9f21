/**
 * Defect hunt, thirty-ninth round (the stale cache). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { noteHeard } from '../helpers/other-tabs.js';
import { answering, copiedUrl, next, outcome, settle } from './cache-kit.js';
import { fakeWindow } from './outbox-helpers.js';

/**
 * Two clients of one name over one store (`b` made by `make`, on `a`'s clock): `a` stores a copy of `copiedUrl` without a
 * validator (`max-age=60`, body `v1`), `remove` takes it away through `b` (or `a`), 500 ms on (within the one-copy-a-second
 * rule) `a` reads `v2`; 1 s on, with the origin down, what `a` answers.
 */
const afterRemoval = async (name: string, remove: (a: ReturnType<typeof answering>, b: ReturnType<typeof answering>) => Promise<unknown>, make = (records: Map<string, unknown>, a: ReturnType<typeof answering>) => answering(name, records, a.clock)): Promise<string> => {
	const records = new Map<string, unknown>();
	const a = answering(name, records);
	const b = make(records, a);
	a.state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
	const stored = next(a.api, 'cache:stored');
	await a.api.get(copiedUrl).text();
	await stored;
	await remove(a, b);
	await expect.poll(() => [...records.keys()].some((key) => key.endsWith(copiedUrl))).toBe(false);
	a.clock.advance(500);
	a.state.answer = { body: 'v2', headers: { 'cache-control': 'max-age=60' } };
	await a.api.get(copiedUrl).text();
	await settle();
	a.clock.advance(1000);
	a.state.down = true;
	const seen = await outcome(a.api);
	a.api.close();
	b.api.close();
	return seen;
};

describe('an answer within 1 s of a copy another client of the name removed (no validator: the one-copy-a-second rule)', () => {
	it('cache.delete() through another createClient on the same store: the answer is stored, and a failure then is answered with it', async () => {
		expect(await afterRemoval('h39-recent-delete', async (_, b) => b.api.cache.delete(copiedUrl))).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.clear() through the other client', async () => {
		expect(await afterRemoval('h39-recent-clear', async (_, b) => b.api.cache.clear())).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: client.clear() through the other client', async () => {
		expect(await afterRemoval('h39-recent-client-clear', async (_, b) => b.api.clear())).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: a write to the URL delivered through the other client', async () => {
		expect(await afterRemoval('h39-recent-write', async (_, b) => {
			b.state.answer = { body: 'ok' };
			return b.api.put(copiedUrl).text();
		})).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.delete() through an extend() sibling (one view)', async () => {
		expect(await afterRemoval('h39-recent-extend', async (_, b) => b.api.cache.delete(copiedUrl), (_, a) => ({ ...a, api: a.api.extend({}) }))).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.delete() in another tab (the removal heard over the channel)', async () => {
		const win = fakeWindow();
		try {
			expect(await afterRemoval('h39-recent-tab', async (_, b) => {
				const heard = noteHeard('h39-recent-tab');
				await b.api.cache.delete(copiedUrl);
				await heard;
			})).toBe('steadfetch; hit; ttl=59; detail=network v2');
		} finally {
			win.restore();
		}
	});
});
