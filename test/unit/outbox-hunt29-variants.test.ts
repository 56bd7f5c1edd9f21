/**
 * Defect hunt, twenty-ninth round (the outbox at scale, with files and dependent writes): tabs of the previous record
 * format (a `dependents` list) sharing a store with this build's (link keys), a parent with more than 10,000 dependents,
 * a dependent's multipart body replayed byte for byte (API.md "Files", "Writes that depend on earlier writes"), and the
 * neighbours: `clear()`/`discard()` during a chain's replay, an identity change during a drain, a write's storage
 * operations with 10,000 entries queued.
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

const day = 86_400_000;

/** The ids of the entries `store` holds, pending or dead (`p|…|<id>|…`, `d|…`). */
const storedIds = async (store: KeyValueStore): Promise<Set<string>> => new Set((await store.keys()).flatMap((key) => /^[pd]\|/.test(key) ? [key.split('|')[3]!] : []));

/**
 * What a tab of the previous build does with kept values after its pass (its `prune`, as it was before link keys): the
 * values of a parent delivered 24 h ago or more go unless an entry its `dependents` list names is still stored.
 */
const olderTabPrunes = async (store: KeyValueStore, now: number): Promise<void> => {
	const stored = await storedIds(store);
	for (const key of (await store.keys()).filter((each) => each.startsWith('v|'))) {
		const kept = await store.get(key) as { at: number; dependents?: string[] };
		if (Math.abs(now - kept.at) >= day && !(kept.dependents ?? []).some((id) => stored.has(id))) {
			await store.delete(key);
		}
	}
};

describe('an older tab (a dependents list) and this build (link keys) share a store (lead 1)', () => {
	it('a parent delivered here, its dependent still failing 25 h later: an older tab\'s prune keeps the value, the dependent is delivered with it', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const child = await queued(api.patch('mutate?id=child&fail=503&times=1', { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		h.clock.advance(25 * 3_600_000);
		await olderTabPrunes(h.store, h.clock.now());
		// Failing first: the values were gone (the older tab read no dependent with them): flush() { sent: 0, dead: 1 }, the
		// dependent a 'parent' dead letter.
		expect(await h.store.get(`v|${parent}`)).toBeDefined();
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		expect(await api.outbox.deadLetters()).toEqual([]);
		const [delivered] = h.state.applied.get('parent')!;
		expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ of: delivered!.key });
		expect(await storedIds(h.store)).not.toContain(child);
	});

	it('a parent an older tab delivered (its values name no dependent of this build): pruned there after 24 h, the dependent ends a visible \'parent\' dead letter, never sent with its placeholder', async () => {
		win.setOnline(false);
		const api = h.make();
		const parent = await queued(api.post('mutate?id=parent', { json: { n: 'parent' } }));
		const child = await queued(api.patch('mutate?id=child&fail=503&times=1', { json: { of: api.outbox.ref(parent, '/key') } }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
		// As the older tab's delivery wrote them: the dependents its record named (none: this build's dependent is a link key).
		const values = await h.store.get(`v|${parent}`) as Record<string, unknown>;
		await h.store.set(`v|${parent}`, { ...values, dependents: [] });
		h.clock.advance(25 * 3_600_000);
		await olderTabPrunes(h.store, h.clock.now());
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent']]);
		expect(h.sentOf('child')).toHaveLength(1); // Its first attempt only.
		expect(h.seen.filter((request) => `${request.url} ${request.body}`.includes('steadfetch-ref-'))).toEqual([]);
	});
});
