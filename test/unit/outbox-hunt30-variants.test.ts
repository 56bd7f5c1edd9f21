/**
 * Defect hunt, thirtieth round (the outbox at scale, dependent writes and link keys): what a pass costs per entry as the
 * outbox grows, on a store with and without `span()` (the Cache API store has none), and the neighbours of link keys.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const queued = async (promise: Promise<unknown>): Promise<string> => {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	return (error as OutboxQueuedError).entryId;
};

type Ops = Record<'get' | 'set' | 'delete' | 'keys' | 'span', number>;

/** A store around `inner` that counts its operations by kind; without `span` when `spans` is false (as the Cache API store). */
const countingStore = (inner: KeyValueStore, spans = true): { store: KeyValueStore; ops: Ops } => {
	const ops = { get: 0, set: 0, delete: 0, keys: 0, span: 0 };
	const store: KeyValueStore = {
		get: async (key) => (ops.get++, inner.get(key)),
		set: async (key, value) => (ops.set++, inner.set(key, value)),
		delete: async (key) => (ops.delete++, inner.delete(key)),
		clear: async () => inner.clear(),
		keys: async () => (ops.keys++, inner.keys()),
		...spans && { span: async (prefix: string) => (ops.span++, inner.span!(prefix)) },
	};
	return { store, ops };
};

/** The key and record of the entry `id` as stored (pending or dead). */
const recordOf = async (id: string): Promise<[string, Record<string, unknown>]> => {
	const key = (await h.store.keys()).find((each) => /^[pd]\|/.test(each) && each.split('|')[3] === id)!;
	return [key, await h.store.get(key) as Record<string, unknown>];
};

/** `count` more copies of pending entry `id` planted in the store as this build writes them (each a new id, key and place). */
const plant = async (id: string, count: number): Promise<string[]> => {
	const [key, record] = await recordOf(id);
	const parts = key.split('|');
	const ids: string[] = [];
	for (let n = 1; n <= count; n++) {
		const copy = `${id.slice(0, -8)}${n.toString(16).padStart(8, '0')}`;
		ids.push(copy);
		await h.store.set([parts[0], parts[1], String(Number(parts[2]) + n).padStart(6, '0'), copy, parts[4]].join('|'), { ...record, id: copy, idempotencyKey: `${record['idempotencyKey'] as string}-${n}` });
	}

	return ids;
};

describe('a pass over a long outbox on a store without span() (the Cache API store)', () => {
	it('2,000 entries past retention become dead letters with a few listings of the store, not one per entry', async () => {
		win.setOnline(false);
		const first = h.make({ outbox: { maxEntries: 5_000 } });
		const one = await queued(first.post('mutate?id=old', { json: { n: 1 } }));
		first.close();
		await plant(one, 1_999);
		const { store, ops } = countingStore(h.store, false);
		const api = h.make({ store: () => store, outbox: { maxEntries: 5_000 } });
		expect(await api.outbox.size()).toBe(2_000);
		h.clock.advance(8 * 86_400_000);
		win.setOnline(true, false);
		const listed = ops.keys;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 2_000 });
		expect(ops.keys - listed).toBeLessThanOrEqual(4);
	}, 120_000);
});
