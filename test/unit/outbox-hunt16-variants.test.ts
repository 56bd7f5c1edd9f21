/**
 * Defect hunt, sixteenth round (B): the outbox. A parent discarded (or dead) while a pass of this client works on its
 * dependent; a second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { memoryStore, OutboxQueuedError as OutboxQueuedErrorClass, type KeyValueStore, type OutboxQueuedError } from '../../src/entries/index.js';
import { outboxOnStore, queueDependent, queueTodo, refusingStore, sentIds } from './outbox-store-kit.js';

let made = 0;
const kit = outboxOnStore('h16');

/**
 * A memory store whose next `get` of key `held.key` after one of `held.after` waits until that key is deleted (another
 * call removes it meanwhile); `held.holding`: it is waiting.
 */
const holding = () => {
	const inner = memoryStore(`h16-${++made}`);
	let release = (): void => undefined;
	let armed = false;
	const held = { key: '', after: '', holding: false };
	const store: KeyValueStore = { ...inner, async get(key) {
		if (armed && key === held.key) {
			armed = false;
			held.holding = true;
			await new Promise<void>((resolve) => {
				release = resolve;
			});
		}

		armed ||= !held.holding && key === held.after;
		return inner.get(key);
	}, async delete(key) {
		await inner.delete(key);
		key === held.key && release();
	} };
	const keys = async (prefix: string): Promise<string[]> => (await inner.keys()).filter((key) => key.startsWith(prefix));
	return { store, held, keys };
};

describe('discard(parent) while a pass of this client works on its dependent (API.md: "a parent that ... is discarded makes its dependents dead letters (\'parent\')")', () => {
	/**
	 * A parent and its dependent queued offline; a pass (flush) held as it reads the parent's record (after the dependent's);
	 * `discard(parent)` then (the hold ends as it deletes the parent's pending key): the discard's burial of the dependent and
	 * the pass, which read it before, meet.
	 */
	const discardDuringPass = async () => {
		const { store, held, keys } = holding();
		const { api, state } = kit.onStore(store);
		const dead: string[] = [];
		api.on('outbox:dead', (event) => dead.push(`${event.entryId} ${event.deadReason}`));
		state.offline = true;
		const parent = await queueTodo(api);
		await queueDependent(api, parent);
		const [parentKey, childKey] = await keys('p|');
		const child = childKey!.split('|')[3]!;
		// The pass reads the dependent's record, then the parent's (still pending?): that read is held.
		Object.assign(held, { key: parentKey, after: childKey });
		const flushed = api.outbox.flush();
		await waitFor(() => held.holding, 'the pass reading the parent for its dependent');
		await api.outbox.discard(parent);
		const views = [(await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]), await api.outbox.size(), (await api.outbox.list()).length];
		await flushed;
		return { api, state, parent, child, dead, views, store };
	};

	it('the dependent a \'parent\' dead letter once discard(parent) resolved, told outbox:dead once (before: twice), never sent, here and at a reload', async () => {
		const { api, state, child, dead, views, store } = await discardDuringPass();
		expect(views).toEqual([[[child, 'parent']], 0, 0]);
		expect(dead).toEqual([`${child} parent`]);
		expect(state.sent.filter((each) => each.line !== 'POST /todos')).toEqual([]); // The dependent never sent (the parent's attempts failed).
		api.close();
		const reload = await kit.reloaded(store);
		expect([reload.state.sent, (await reload.api.outbox.deadLetters()).map((entry) => entry.id)]).toEqual([[], [child]]);
		reload.api.close();
	});

	/** Queue `POST /todos` offline and a dependent of it (its placeholder where `place` puts it), told queued; `discard` the parent at once. */
	it.each([
		['in the URL', (ref: string) => [`todos/${ref}`, { b: 2 }] as const],
		['in the json body', (ref: string) => ['todos/1', { b: 2, parent: ref }] as const],
		['in both', (ref: string) => [`todos/${ref}`, { b: 2, parent: ref }] as const],
	])('a dependent (placeholder %s) told queued, then discard(parent) at once: deadLetters() shows it once discard resolved (before: in no view, size() 0, outbox:dead told after)', async (_, place) => {
		const { store } = holding();
		const { api, state } = kit.onStore(store);
		const dead: string[] = [];
		api.on('outbox:dead', (event) => dead.push(event.entryId));
		state.offline = true;
		const parent = await queueTodo(api);
		const [url, json] = place(api.outbox.ref(parent, '/id'));
		const child = await api.put(url, { json }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await api.outbox.discard(parent);
		const views = [(await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]), await api.outbox.size(), (await api.outbox.list()).length, [...dead]];
		expect(views).toEqual([[[child, 'parent']], 0, 0, [child]]);
		state.offline = false;
		state.down = false;
		const sent = state.sent.length; // The parent's attempts so far (offline), by the call and any pass.
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect([dead, state.sent.slice(sent)]).toEqual([[child], []]);
		api.close();
	});

	it('a chain (a dependent of the dependent): both \'parent\' dead letters once discard(parent) resolved, each told once', async () => {
		const { store } = holding();
		const { api, state } = kit.onStore(store);
		const dead: string[] = [];
		api.on('outbox:dead', (event) => dead.push(event.entryId));
		state.offline = true;
		const queued = async (call: Promise<unknown>): Promise<string> => call.then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		const parent = await queueTodo(api);
		const child = await queued(api.post('todos', { json: { parent: api.outbox.ref(parent, '/id') } }));
		const grandchild = await queued(api.put(`todos/${api.outbox.ref(child, '/id')}`, { json: { c: 3 } }));
		await api.outbox.discard(parent);
		const shown = (await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]);
		expect([shown, await api.outbox.size()]).toEqual([[[child, 'parent'], [grandchild, 'parent']], 0]);
		state.offline = false;
		const sent = state.sent.length;
		await api.outbox.flush();
		expect([dead.sort(), state.sent.slice(sent)]).toEqual([[child, grandchild].sort(), []]);
		api.close();
	});
});

describe('size() while a move of this client waits for the store, and another tab queues or removes (API.md: size() "pending entries", as list() shows them)', () => {
	/** `POST /todos` (ref()'d) delivered while the store refuses its kept values (`v|`): its pending key stays until they are stored. */
	const delivered = async (a: ReturnType<typeof kit.onStore>, refusal: () => void) => {
		const parent = await queueTodo(a.api);
		a.api.outbox.ref(parent, '/id');
		refusal();
		a.state.offline = false;
		const sent = sentIds(a.api);
		await a.api.outbox.flush();
		await waitFor(() => sent.includes(parent), 'the parent delivered');
		return parent;
	};

	const queueThree = async (api: ReturnType<typeof kit.onStore>['api']) => {
		for (const n of [1, 2, 3]) {
			await expect(api.post('other', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedErrorClass);
		}
	};

	it.each([
		// The old pending key of a delivered write's move stays in the store (4 p| keys); a dead letter's is written over
		// with its dead record, which the other tab's pass makes the dead letter it is (d5085771): 3 p| keys.
		['a delivered write\'s kept values (v|)', 'v|', 'deliver', 4],
		['a dead letter (d|, a 400 answer)', 'd|', 'bury', 3],
	] as const)('%s waiting for the store: size() counts the writes another tab queued, as list() and stats() do (before: 0 against 3)', async (_, refused, how, pendingKeys) => {
		const refusal = { on: false };
		const { store, keys } = refusingStore(`h16-${++made}`, [refused], () => refusal.on ? new Error('disk I/O error') : undefined);
		const a = kit.onStore(store);
		a.state.offline = true;
		if (how === 'deliver') {
			await delivered(a, () => {
				refusal.on = true;
			});
		} else {
			await expect(a.api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedErrorClass);
			refusal.on = true;
			a.state.offline = false;
			a.state.down = false;
			a.state.status = 400;
			const dead: string[] = [];
			a.api.on('outbox:dead', (event) => dead.push(event.entryId));
			await a.api.outbox.flush();
			await waitFor(() => dead.length === 1, 'the write a dead letter');
		}

		refusal.on = false;
		expect(await a.api.outbox.size()).toBe(0);
		const b = kit.onStore(store);
		b.state.offline = true;
		await queueThree(b.api);
		// size() first (list() and stats() list the store): the old key of the move, still in the store, is counted by neither.
		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length, (await a.api.outbox.stats()).entries, (await keys('p|')).length]).toEqual([3, 3, 3, pendingKeys]);
		a.api.close();
		b.api.close();
	});

	it('another tab discards the delivered write whose kept values this client could not store: size() keeps counting the other tab\'s writes (before: 0 for good), nothing of it comes back', async () => {
		const refusal = { on: false };
		const { store, keys } = refusingStore(`h16-${++made}`, ['v|'], () => refusal.on ? new Error('disk I/O error') : undefined);
		const a = kit.onStore(store);
		a.state.offline = true;
		const parent = await delivered(a, () => {
			refusal.on = true;
		});
		refusal.on = false;
		const b = kit.onStore(store);
		b.state.offline = true;
		await b.api.outbox.discard(parent);
		expect(await keys('p|')).toEqual([]);
		await queueThree(b.api);
		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length]).toEqual([3, 3]);
		await queueThree(b.api);
		expect(await a.api.outbox.size()).toBe(6);
		// This client's next write: the discarded write's values are not stored again, nor its pending key.
		await expect(a.api.post('mine', { json: { m: 1 } })).rejects.toBeInstanceOf(OutboxQueuedErrorClass);
		expect([await keys('v|'), (await keys('p|')).length, await a.api.outbox.size()]).toEqual([[], 7, 7]);
		a.api.close();
		b.api.close();
	});
});
