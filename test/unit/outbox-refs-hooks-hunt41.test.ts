/**
 * Defect hunt, forty-first round: a placeholder of `outbox.ref()` that a client's `beforeRequest` hook puts in a header
 * (test/unit/outbox-refs-hunt40-variants.test.ts: never sent, never stored unreplaced).
 * - A replay whose hook adds one is the hook's failure, not the entry's: before, the replay failed with
 *   `InvalidRequestError` and its entry became a `'rejected'` dead letter (and its dependents `'parent'` ones) — a hook that
 *   always sets the current item's placeholder buried the very write that item waits for. Now the entry is kept, no attempt
 *   counted, its scope paused until the next trigger (as for a hook that throws), and delivered once the hook stops.
 * Memory store, injected clock, a test transport.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/entries/index.js';
import { harnessEachTest, queued, todoApi, until } from './outbox-helpers.js';

let sent: Array<{ method: string; path: string; parent: string | null }>;
let todos: ReturnType<typeof todoApi>;
const { h, win } = harnessEachTest(() => {
	sent = [];
	todos = todoApi((request) => void sent.push({ method: request.method, path: new URL(request.url).pathname, parent: request.headers.get('x-parent') }));
});

/** A `beforeRequest` hook that sets `name` to `value()` (read as the hook runs: the app's current item, here a placeholder). */
const setting = (name: string, value: () => string | undefined) => ({ hooks: { beforeRequest: [({ request }: { request: Request }) => {
	const given = value();
	if (given) {
		request.headers.set(name, given);
	}
}] } });

describe('a replay whose client hook adds a placeholder: kept pending, never a dead letter', () => {
	it('the placeholder\'s own entry and one after it: no attempt, no dead letter; delivered once the hook stops', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todos, ...setting('x-parent', () => current) });
		const dead = h.record(api, 'outbox:dead');
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		await queued(api.post('todos', { json: { title: 'b' } }));
		current = api.outbox.ref(parent, '/id'); // The app's current item: the one made offline.
		const { attempts } = (await api.outbox.list())[0]!;
		win.setOnline(true);
		await api.outbox.flush();
		// Before: both 'rejected' dead letters (INVALID_REQUEST), nothing pending.
		expect([dead.length, (await api.outbox.deadLetters()).length, await api.outbox.size()]).toEqual([0, 0, 2]);
		const [head] = await api.outbox.list();
		expect([head!.id, head!.attempts, head!.lastError?.message]).toEqual([parent, attempts, expect.stringMatching(/x-parent header/)]);
		expect(sent).toEqual([]);
		current = undefined;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${each.path} ${each.parent}`)).toEqual(['POST /todos null', 'POST /todos null']);
	});

	it('a dependent queued with the placeholder (its own): neither buried with its parent; both delivered, the value in place', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todos, ...setting('x-parent', () => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		current = api.outbox.ref(parent, '/id');
		await queued(api.patch(`todos/${current}`, { json: { done: true } }));
		win.setOnline(true);
		await api.outbox.flush();
		// Before: the parent a 'rejected' dead letter, its dependent a 'parent' one.
		expect([(await api.outbox.deadLetters()).map((each) => each.deadReason), await api.outbox.size()]).toEqual([[], 2]);
		current = undefined;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${each.path} ${each.parent}`)).toEqual(['POST /todos null', 'PATCH /todos/100 100']);
	});

	it('a call of the app whose hook adds one is still refused at once (a guard)', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todos, ...setting('x-parent', () => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		current = api.outbox.ref(parent, '/id');
		expect(await api.patch('todos/1', { json: { done: true } }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		expect(await api.outbox.size()).toBe(1);
	});
});
