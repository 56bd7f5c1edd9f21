/**
 * Defect hunt, sixteenth round (B): the outbox. A parent discarded (or dead) while a pass of this client works on its
 * dependent; a second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { memoryStore, type KeyValueStore, type OutboxQueuedError } from '../../src/entries/index.js';
import { outboxOnStore, queueDependent, queueTodo } from './outbox-store-kit.js';

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
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect([dead, state.sent.map((each) => each.line)]).toEqual([[child], ['POST /todos']]);
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
		await api.outbox.flush();
		expect([dead.sort(), state.sent.map((each) => each.line)]).toEqual([[child, grandchild].sort(), ['POST /todos']]);
		api.close();
	});
});
