/**
 * Defect hunt, eighteenth round (B): the outbox. `flush()`'s result counts each entry once (by id), its last outcome
 * in the passes that `flush()` waited for; a note of a later build from another tab is ignored quietly (both decided
 * for this round).
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { fakeWindow, pendingKey } from './outbox-helpers.js';
import { createClient, InvalidRequestError, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

/** A step of the scripted transport: a status at once, or `'hold'` (answered when the test releases it). */
type Step = number | 'hold';

/**
 * A client over its own store whose transport answers each write to a path with the next step scripted for it (then 200);
 * a held one waits in `held` until `release(status)`. Queue writes with `queueOn` (answered 500: told queued).
 */
const scripted = (more: Parameters<typeof outbox>[0] = {}, store: KeyValueStore = memoryStore(`h18-${++made}`)) => {
	const steps = new Map<string, Step[]>();
	const held: Array<{ path: string; release: (status: number) => void }> = [];
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).pathname;
		sent.push(`${request.method} ${path}`);
		const step = steps.get(path)?.shift() ?? 200;
		const status = step === 'hold' ? await new Promise<number>((release) => held.push({ path, release })) : step;
		return new Response('{"id":7}', { status, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `h18-${made}`, outbox: outbox({ resumeJitterMs: 0, ...more }) });
	const script = (path: string, ...next: Step[]): void => void steps.set(path, next);
	/** Queue `method path` (its own attempt answered 500): its entry id. */
	const queueOn = async (path: string, method: 'post' | 'put' = 'post'): Promise<string> => {
		script(path, 500);
		return api[method](path.slice(1), { json: { a: 1 } }).then(() => { throw new Error(`${path} was sent`); }, (failure: { entryId?: string }) => failure.entryId!);
	};

	/** Wait until a request to `path` is held, and take it. */
	const holding = async (path: string) => {
		await waitFor(() => held.some((hold) => hold.path === path), `${path} held`);
		const index = held.findIndex((hold) => hold.path === path);
		return held.splice(index, 1)[0]!;
	};

	return { api, sent, script, queueOn, holding, store };
};

describe('flush() counts each entry once, by id, its last outcome in the passes flush() waited for', () => {
	it('a write failed in the pass under way and again in the pass flush() asked for: failed 1 (before: 2), for both flushes', async () => {
		const { api, script, queueOn, holding } = scripted();
		await queueOn('/todos');
		script('/todos', 'hold', 500);
		const first = api.outbox.flush();
		const held = await holding('/todos');
		const second = api.outbox.flush(); // Joins the drain under way: one more pass.
		held.release(500);
		expect(await Promise.all([first, second])).toEqual([
			{ sent: 0, failed: 1, dead: 0, remaining: 1 },
			{ sent: 0, failed: 1, dead: 0, remaining: 1 },
		]);
		api.close();
	});

	it.each([
		['failed, then delivered: sent 1, failed 0', 200, { sent: 1, failed: 0, dead: 0, remaining: 0 }],
		['failed, then refused (400): dead 1, failed 0', 400, { sent: 0, failed: 0, dead: 1, remaining: 0 }],
	])('a write %s (its last outcome)', async (_, last, expected) => {
		const { api, script, queueOn, holding } = scripted();
		await queueOn('/todos');
		script('/todos', 'hold', last);
		const first = api.outbox.flush();
		const held = await holding('/todos');
		const second = api.outbox.flush();
		held.release(500);
		expect(await Promise.all([first, second])).toEqual([expected, expected]);
		api.close();
	});

	it('a write failed, then dropped by onConflict (\'discard\', a 412 in the next pass): counted in none (before: failed 1)', async () => {
		const { api, script, queueOn, holding } = scripted({ onConflict: () => 'discard' });
		await queueOn('/todos', 'put');
		script('/todos', 'hold', 412);
		const first = api.outbox.flush();
		const held = await holding('/todos');
		const second = api.outbox.flush();
		held.release(500);
		expect(await Promise.all([first, second])).toEqual([
			{ sent: 0, failed: 0, dead: 0, remaining: 0 },
			{ sent: 0, failed: 0, dead: 0, remaining: 0 },
		]);
		api.close();
	});

	it('a write rebased by onConflict and delivered in the same pass: sent 1, failed 0 (before: failed 1 too)', async () => {
		const { api, script, queueOn } = scripted({ onConflict: () => ({ json: { a: 2 } }) });
		await queueOn('/todos', 'put');
		script('/todos', 412, 200);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		api.close();
	});

	it('a dependent made a \'parent\' dead letter after it failed once: dead 2, failed 0 (before: failed 1 too)', async () => {
		const { api, script, queueOn, holding } = scripted();
		const parent = await queueOn('/todos');
		const child = await api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
		expect(child).not.toBe('');
		// First pass: the parent fails (500) and blocks the scope; the second: the parent is refused (400), its dependent buried with it.
		script('/todos', 'hold', 400);
		const first = api.outbox.flush();
		const held = await holding('/todos');
		const second = api.outbox.flush();
		held.release(500);
		expect(await Promise.all([first, second])).toEqual([
			{ sent: 0, failed: 0, dead: 2, remaining: 0 },
			{ sent: 0, failed: 0, dead: 2, remaining: 0 },
		]);
		api.close();
	});

	it('a flush() that joins the second pass of a drain leaves out what the first pass did before it was called', async () => {
		const { api, script, queueOn, holding } = scripted();
		await queueOn('/a');
		await queueOn('/c');
		// Pass 1: /a held (a second flush joins: pass 2), delivered; /c 500. Pass 2: /c held; a third flush joins; /c delivered.
		script('/a', 'hold');
		script('/c', 500, 'hold');
		const first = api.outbox.flush();
		const a = await holding('/a');
		const second = api.outbox.flush();
		a.release(200);
		const c = await holding('/c');
		const third = api.outbox.flush();
		c.release(200);
		const both = { sent: 2, failed: 0, dead: 0, remaining: 0 };
		expect(await Promise.all([first, second, third])).toEqual([both, both, { sent: 1, failed: 0, dead: 0, remaining: 0 }]);
		api.close();
	});
});

describe('a note of a later build on the outbox\'s channel to the other tabs (steadfetch:<name>:pending) is ignored quietly (decided this round)', () => {
	it.each([
		['a later version (v: 2)', { v: 2, op: '+', id: 'a', url: 'https://api.example.com/todos/1' }],
		['a later version with fields this one does not know', { v: 3, op: 'moved', id: 'a', to: 'b' }],
		['an op this version does not know (v: 1)', { v: 1, op: '~', id: 'a' }],
	])('%s: no storage:error; a note after it is still applied, a malformed one still reported', async (_, later) => {
		const window = fakeWindow(); // Tabs: the channel opens.
		const state = { down: false };
		const fetch = (async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('{"id":1}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const name = `h18-tabs-${++made}`;
		const store = memoryStore(name);
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, outbox: outbox() });
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		const other = new BroadcastChannel(`steadfetch:${name}:pending`);
		try {
			await api.get('todos/1').json();
			await stored;
			state.down = true;
			const pending = async () => (await api.get('todos/1')).headers.get('cache-status') ?? '';
			// One sender's messages arrive in order: once the write it tells of counts, the later note was heard.
			other.postMessage(later);
			other.postMessage({ v: 1, op: '+', id: 'b', url: 'https://api.example.com/todos/1' });
			await waitFor(async () => (await pending()).endsWith('pending-writes=1'), 'the note after it applied');
			expect(errors).toEqual([]);
			other.postMessage({ v: 1, op: '+', id: 'c' }); // No URL: malformed.
			await waitFor(() => errors.length > 0, 'the malformed note reported');
			expect(errors).toEqual(['outbox channel']);
		} finally {
			other.close();
			api.close();
			window.restore();
		}
	});
});

describe('a stored record of a later build (its format v above 1) is left alone, as a newer app version\'s', () => {
	it.each([
		['v: 2, a whole record', (record: Record<string, unknown>) => ({ ...record, v: 2, id: 'later' })],
		['v: 3, a shape this build cannot read', () => ({ v: 3, id: 'later', parts: [1, 2] })],
	])('%s: never sent, buried nor reported; the writes behind it are delivered; a v: 1 record that is damaged still is', async (_, later) => {
		const { api, sent, queueOn, store } = scripted();
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
		await queueOn('/todos');
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		const head = await store.get<Record<string, unknown>>(key!);
		const scope = 'https://api.example.com';
		const laterKey = pendingKey(Number(head!['createdAt']) + 1, 'later', scope);
		await store.set(laterKey, later(head!));
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 1 });
		// Before: storage:error 'outbox decode', the record made an 'Unreadable' dead letter ('rejected'), its bytes gone.
		expect(errors).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(await store.get(laterKey)).toEqual(later(head!));
		expect(sent).toEqual(['POST /todos', 'POST /todos']);
		// Listed as one this build cannot read, as size() counts it.
		expect((await api.outbox.list()).map((entry) => [entry.id, entry.lastError?.message])).toEqual([['later', 'Unreadable']]);
		// A damaged record of this build's format is still reported and kept as a dead letter.
		await store.set(pendingKey(Number(head!['createdAt']) + 2, 'damaged', scope), { v: 1, garbage: true });
		await api.outbox.flush();
		expect(errors).toEqual(['outbox decode']);
		expect((await api.outbox.deadLetters()).map((entry) => entry.id)).toEqual(['damaged']);
		expect(await store.get(laterKey)).toEqual(later(head!));
		api.close();
	});
});

describe('outbox.clear() (API.md: "`clear()` (the client\'s, the cache\'s, the outbox\'s) resolves only when the store confirmed every removal")', () => {
	it('removes every pending write and dead letter; a replay in flight writes nothing back; bad input removes nothing', async () => {
		const { api, script, queueOn, holding, store, sent } = scripted();
		await queueOn('/dead');
		script('/dead', 400);
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).length).toBe(1);
		await queueOn('/todos');
		for (const bad of [{ identity: '' }, 'alice', { identity: 'alice', also: 1 }, null]) {
			// Before: "api.outbox.clear is not a function".
			await expect(api.outbox.clear(bad as never)).rejects.toBeInstanceOf(InvalidRequestError);
		}

		expect([await api.outbox.size(), (await api.outbox.deadLetters()).length]).toEqual([1, 1]);
		script('/todos', 'hold');
		const flushed = api.outbox.flush();
		const held = await holding('/todos');
		const cleared = api.outbox.clear();
		held.release(500); // Its failure would write it back: nothing is.
		await Promise.all([cleared, flushed]);
		expect([await api.outbox.list(), await api.outbox.deadLetters(), (await store.keys()).filter((key) => /^[pd]\|/.test(key))]).toEqual([[], [], []]);
		expect((await api.outbox.flush()).sent).toBe(0);
		expect(sent.filter((line) => line.endsWith('/todos'))).toEqual(['POST /todos', 'POST /todos']);
		api.close();
	});

	it('with { identity }: that identity\'s writes only; the stale cache\'s copies stay', async () => {
		let who = 'alice';
		let down = false;
		const bodies: string[] = [];
		const fetch = (async (request: Request) => {
			if (request.method === 'GET') {
				return Response.json({ id: 1 });
			}

			bodies.push(await request.text());
			return down ? new Response('down', { status: 503 }) : Response.json({ id: 1 });
		}) as typeof globalThis.fetch;
		const name = `h18-clear-${++made}`;
		const store = memoryStore(name);
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity: () => who, outbox: outbox({ resumeJitterMs: 0 }) });
		await api.get('doc').json();
		down = true;
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		who = 'bob';
		await expect(api.post('todos', { json: { b: 2 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const cached = (await store.keys()).filter((key) => !/^[pd]\|/.test(key));
		expect(await api.outbox.size()).toBe(2);
		await api.outbox.clear({ identity: 'alice' });
		// Alice's write is gone, bob's stays; the cache's records are untouched.
		expect(await api.outbox.size()).toBe(1);
		expect((await store.keys()).filter((key) => !/^[pd]\|/.test(key))).toEqual(cached);
		down = false;
		bodies.length = 0;
		expect((await api.outbox.flush()).sent).toBe(1);
		who = 'alice';
		expect((await api.outbox.flush()).sent).toBe(0);
		expect(bodies).toEqual(['{"b":2}']);
		api.close();
	});
});
