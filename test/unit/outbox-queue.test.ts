/** What is stored and in which order: FIFO per scope, keys, secrets, refusals, corrupt records, store failures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';
import { fakeWindow, startHarness, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
let other: RunningServer;
const otherState = createState();
beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
	other = await serve(createHandler(otherState));
});
afterEach(async () => {
	win.restore();
	await h.close();
	await other.close();
});

const pendingKey = async (store: KeyValueStore = h.store) => (await store.keys()).find((key) => key.startsWith('p|'))!;

describe('outbox queue', () => {
	it('FIFO per scope: a waiting head blocks its scope; other scopes go on', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		for (const n of [1, 2, 3]) {
			await api.post(`mutate?id=fifoA&fail=${n === 1 ? 503 : ''}`, { json: { n } }).catch(() => undefined);
			await api.post(`${other.url}/mutate?id=fifoB`, { json: { n } }).catch(() => undefined);
		}

		win.setOnline(true, false);
		const result = await api.outbox.flush();
		expect(result).toEqual({ sent: 3, failed: 1, dead: 0, remaining: 3 });
		expect(otherState.applied.get('fifoB')!.map((entry) => JSON.parse(entry.body).n)).toEqual([1, 2, 3]);
		expect(h.state.applied.get('fifoA')).toBeUndefined();
		expect(h.seen.filter((request) => request.url.includes('fifoA'))).toHaveLength(1); // 2 and 3 never left
		// The head is fixed (the server stops failing): all three, in order.
		const key = await pendingKey();
		const head = await h.store.get<{ url: string }>(key);
		await h.store.set(key, { ...head, url: head!.url.replace('&fail=503', '') });
		h.clock.advance(500);
		await api.outbox.flush();
		expect(h.state.applied.get('fifoA')!.map((entry) => JSON.parse(entry.body).n)).toEqual([1, 2, 3]);
	});

	it('a call made while its scope has pending entries is queued behind them, then delivered in order', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		await api.post('mutate?id=order', { json: { n: 'create' } }).catch(() => undefined);
		win.setOnline(true, false);
		h.clock.advance(500); // offline, the first write still went out (a network failure): due again after its backoff (500 ms)
		const events = h.record(api, 'outbox:queued');
		await expect(api.post('mutate?id=order', { json: { n: 'update' } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(events).toMatchObject([{ code: 'BEHIND' }]);
		await until(() => h.state.applied.get('order')?.length === 2);
		await until(async () => (await api.outbox.size()) === 0); // the drain removes what it delivered
		expect(h.state.applied.get('order')!.map((entry) => JSON.parse(entry.body).n)).toEqual(['create', 'update']);
		// Nothing pending: calls go straight out again.
		expect((await api.post('mutate?id=order', { json: { n: 'later' } })).status).toBe(201);
	});

	it('the same Idempotency-Key on every attempt (ky retries) and every replay; a caller key is kept', async () => {
		const api = h.make({ outbox: true, retry: { limit: 2, delay: () => 0 } });
		await api.post('mutate?id=key&fail=503', { json: { a: 1 } }).catch(() => undefined);
		await api.post(`${other.url}/mutate?id=key2&fail=503`, { headers: { 'Idempotency-Key': 'mine-1' } }).catch(() => undefined);
		for (const key of (await h.store.keys()).filter((k) => k.startsWith('p|'))) {
			const record = await h.store.get<{ url: string }>(key);
			await h.store.set(key, { ...record, url: record!.url.replace('&fail=503', '&fail=500') });
		}

		h.clock.advance(500);
		await api.outbox.flush();
		h.clock.advance(10_000);
		await api.outbox.flush();
		const entries = await api.outbox.list();
		const keysOf = (id: string) => new Set(h.seen.filter((request) => request.url.includes(`id=${id}&`)).map((request) => request.headers['idempotency-key']));
		expect(h.seen.filter((request) => request.url.includes('id=key&'))).toHaveLength(5); // 3 ky attempts + 2 replays
		expect([...keysOf('key')]).toEqual([entries[0]!.idempotencyKey]);
		expect([...keysOf('key2')]).toEqual(['mine-1']);
		expect(entries[1]!.idempotencyKey).toBe('mine-1');
	});

	it('never stores Authorization, Cookie, Proxy-Authorization or outbox.sensitiveHeaders; replays get a fresh token from the hooks', async () => {
		let token = 'old-token';
		const api = h.make({
			outbox: { sensitiveHeaders: ['X-Api-Key'] },
			headers: { 'x-app': 'app1', 'proxy-authorization': 'Basic cHJveHk=' },
			hooks: { beforeRequest: [({ request }) => {
				request.headers.set('authorization', `Bearer ${token}`);
			}] },
		});
		await api.post('mutate?id=sec&fail=503', { json: { a: 1 }, headers: { cookie: 'sid=s3cr3t', 'x-api-key': 'k3y' } }).catch(() => undefined);
		const raw = JSON.stringify(await h.store.get(await pendingKey()));
		for (const secret of ['old-token', 's3cr3t', 'k3y', 'cHJveHk=']) {
			expect(raw).not.toContain(secret);
		}

		expect((await api.outbox.list())[0]!.headers).toEqual({ 'content-type': 'application/json', 'x-app': 'app1' });
		token = 'new-token';
		const key = await pendingKey();
		await h.store.set(key, { ...(await h.store.get<object>(key)), url: `${h.api.url}/echo?id=sec` });
		h.clock.advance(500);
		await api.outbox.flush();
		const replay = h.seen.at(-1)!;
		expect(replay.headers).toMatchObject({ authorization: 'Bearer new-token', 'x-app': 'app1', 'content-type': 'application/json' });
		expect(replay.body).toBe('{"a":1}');
	});

	it('snapshots every body type before the first attempt and replays the same bytes', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		const form = new FormData();
		form.set('f', 'v');
		const bodies = ['text body', new Uint8Array([1, 2, 3]), new URLSearchParams({ q: '1' }), form, new Blob(['blob'], { type: 'text/x-blob' })];
		for (const body of bodies) {
			await api.put('echo?id=body', { body }).catch(() => undefined);
		}

		await api.post(new Request(`${h.api.url}/echo?id=body`, { method: 'POST', body: 'from a Request' })).catch(() => undefined);
		win.setOnline(true, false);
		await api.outbox.flush();
		const sent = h.seen.filter((request) => request.url.includes('echo'));
		expect(sent.map((request) => request.body.slice(0, 14))).toEqual(['text body', '\u0001\u0002\u0003', 'q=1', sent[3]!.body.slice(0, 14), 'blob', 'from a Request']);
		expect(sent[3]!.body).toContain('name="f"');
		expect(sent[3]!.body).toContain(sent[3]!.headers['content-type']!.split('boundary=')[1]!);
		expect(sent[2]!.headers['content-type']).toContain('application/x-www-form-urlencoded');
		expect(sent[4]!.headers['content-type']).toBe('text/x-blob');
	});

	it('a ReadableStream body goes out as with outbox: false (API.md "Outbox"); refuses before any I/O: a body over maxBodyBytes or a full outbox when the write must be stored (offline, behind)', async () => {
		const api = h.make({ outbox: { maxBodyBytes: 8, maxFileBytes: 8, maxEntries: 2 } });
		const stream = new ReadableStream({ start(controller) {
			controller.enqueue(new Uint8Array([1]));
			controller.close();
		} });
		expect((await api.post('mutate?id=ref', { body: stream })).ok).toBe(true); // Before: InvalidRequestError.
		expect(h.seen).toHaveLength(1);
		win.setOnline(false, false);
		await expect(api.post('mutate?id=ref', { body: '123456789' })).rejects.toBeInstanceOf(OutboxFullError);
		await expect(api.post('mutate?id=ref', { body: new Blob(['123456789']) })).rejects.toBeInstanceOf(OutboxFullError);
		win.setOnline(true, false);
		expect(h.seen).toHaveLength(1);
		await api.post('mutate?id=ref&fail=503', { body: '12345678' }).catch(() => undefined);
		await api.post('mutate?id=ref&fail=503').catch(() => undefined);
		const seen = h.seen.length;
		await expect(api.post('mutate?id=ref')).rejects.toBeInstanceOf(OutboxFullError);
		expect(h.seen).toHaveLength(seen);
		expect(await api.outbox.size()).toBe(2);
		// A stream body on a call that is not eligible goes out as ky sends it.
		expect((await api.post('echo?id=ref', { body: 'x', outbox: false })).status).toBe(200);
	});

	it("queuedResponse 'accepted': a 202 carrying the entry id; outbox:queued fires", async () => {
		const api = h.make({ outbox: { queuedResponse: 'accepted' } });
		const events = h.record(api, 'outbox:queued');
		const response = await api.post('mutate?id=acc&fail=503');
		expect(response.status).toBe(202);
		const id = response.headers.get('steadfetch-outbox-entry');
		expect(await response.json()).toEqual({ queued: true, entryId: id });
		expect(events).toMatchObject([{ entryId: id, attempts: 1, code: 'HTTP_5XX' }]);
		expect(await api.post('mutate?id=acc2&fail=503').json()).toMatchObject({ queued: true });
	});

	it('a record that cannot be read becomes a dead letter (rejected) and is reported; the drain goes on', async () => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:dead', 'storage:error', 'outbox:sent');
		win.setOnline(false);
		await api.post('mutate?id=corrupt').catch(() => undefined);
		const good = await pendingKey();
		const bad = good.replace(/\|\d{6}\|[^|]+\|/, '|000000|bad-id|').replace(/\|(\d+)\|/, (_, t: string) => `|${String(Number(t) - 1).padStart(15, '0')}|`);
		await h.store.set(bad, { v: 1, id: 'bad-id', method: 42, headers: 'nope' });
		await h.store.set('p|garbage', 'not ours'); // a key that is not ours is ignored
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 1, remaining: 0 });
		expect(events.map((event) => event.type)).toEqual(['storage:error', 'outbox:dead', 'outbox:sent']);
		expect(events[0]).toMatchObject({ part: 'outbox', operation: 'decode', key: bad });
		const [dead] = await api.outbox.deadLetters();
		expect(dead).toMatchObject({ id: 'bad-id', deadReason: 'rejected', lastError: { code: 'INVALID_REQUEST' } });
	});

	it('offline, maxEntries counts the entries already stored (a reload) and those of another client on the same store', async () => {
		const store = memoryStore('full');
		const first = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		win.setOnline(false);
		await first.post('mutate?id=full').catch(() => undefined);
		first.close();
		const a = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		const b = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(b.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
		const seen = h.seen.length;
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxFullError);
		await expect(b.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxFullError);
		expect(h.seen).toHaveLength(seen);
		expect(await a.outbox.size()).toBe(3);
		// Delivered entries free their places, for both clients.
		win.setOnline(true, false);
		expect(await b.outbox.flush()).toMatchObject({ sent: 3, remaining: 0 });
		win.setOnline(false);
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
	});

	it('online, a call lists the store: an entry another context wrote under a key this client never saw still holds its scope (FIFO)', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		await api.post('mutate?id=behind', { json: { n: 0 } }).catch(() => undefined);
		win.setOnline(true, false);
		// Another context moves the entry to a new key that this client has not listed.
		const [old] = (await h.store.keys()).filter((k) => k.startsWith('p|'));
		const value = await h.store.get(old!);
		await h.store.delete(old!);
		await h.store.set(old!.replace(/\|[^|]+\|([^|]+)$/, '|moved|$1'), value);
		const events = h.record(api, 'outbox:queued');
		await expect(api.post('mutate?id=behind', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(events).toMatchObject([{ code: 'BEHIND' }]);
	});

	it('clear() while a replay hangs ends that replay at once instead of waiting for it, and nothing comes back', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		await api.post('hang?id=clear-hang', { json: { a: 1 } }).catch(() => undefined);
		win.setOnline(true, false);
		const flushing = api.outbox.flush();
		await until(() => h.seen.some((request) => request.url.includes('clear-hang'))); // the replay is in flight, the origin never answers
		await api.clear(); // before: waited for the replay's timeout (10 s) under the drain's lock
		expect(await flushing).toMatchObject({ sent: 0, remaining: 0 });
		expect(await api.outbox.size()).toBe(0);
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(await h.store.keys()).toEqual([]);
	});

	it('a store that rejects writes: storage:error, the entry is kept in memory and still delivered', async () => {
		const broken = memoryStore('broken');
		let failing = true;
		const flaky: KeyValueStore = {
			...broken,
			get: async (key) => broken.get(key),
			keys: async () => (failing ? Promise.reject(new Error('keys failed')) : broken.keys()),
			set: async (key, value) => (failing ? Promise.reject(new Error('quota')) : broken.set(key, value)),
			delete: async (key) => broken.delete(key),
			clear: async () => broken.clear(),
		};
		const api = h.make({ outbox: true, store: () => flaky });
		const errors = h.record(api, 'storage:error');
		await expect(api.post('mutate?id=mem&fail=503', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(errors.map((event) => (event as { operation: string }).operation)).toContain('set');
		expect(await api.outbox.size()).toBe(1);
		failing = false;
		const key = (await api.outbox.list())[0]!;
		expect(key.lastError?.code).toBe('HTTP_5XX');
		const stored = (await flaky.keys()).length;
		expect(stored).toBe(0); // only in memory
	});

	it('a drain whose store misses its deadline or fails at start tries again after a backoff, with no other trigger', async () => {
		const first = h.make({ outbox: true });
		win.setOnline(false);
		await first.post('mutate?id=late', { json: { n: 1 } }).catch(() => undefined);
		await first.post('mutate?id=late', { json: { n: 2 } }).catch(() => undefined);
		first.close(); // the tab goes away with two writes stored
		win.setOnline(true, false);
		h.clock.advance(500); // offline, the first write still went out (a network failure): due again after its backoff (500 ms)
		let listings = 0;
		const slow: KeyValueStore = {
			...h.store,
			get: async (key) => h.store.get(key),
			set: async (key, value) => h.store.set(key, value),
			delete: async (key) => h.store.delete(key),
			clear: async () => h.store.clear(),
			keys: async () => {
				listings++;
				if (listings === 1) {
					return new Promise<string[]>(() => undefined); // never answers: the deadline cuts it
				}

				return listings === 2 ? Promise.reject(new Error('keys failed')) : h.store.keys();
			},
		};
		const next = h.make({ outbox: { baseBackoffMs: 20 }, store: () => slow, storageTimeoutMs: 30 });
		const events = h.record(next, 'storage:error', 'outbox:sent');
		// Only the start trigger: no call, no online event, no flush().
		await until(() => h.state.applied.get('late')?.length === 2);
		expect(h.state.applied.get('late')!.map((entry) => JSON.parse(entry.body).n)).toEqual([1, 2]);
		expect(listings).toBeGreaterThanOrEqual(3);
		expect(events.map((event) => event.type).slice(0, 2)).toEqual(['storage:error', 'storage:error']);
		await until(() => events.filter((event) => event.type === 'outbox:sent').length === 2);
	});

	it('a drain that cannot read a record tries again after a backoff (the entry is neither lost nor buried)', async () => {
		const first = h.make({ outbox: true });
		win.setOnline(false);
		await first.post('mutate?id=unread', { json: { n: 1 } }).catch(() => undefined);
		first.close();
		win.setOnline(true, false);
		h.clock.advance(500); // offline, the first write still went out (a network failure): due again after its backoff (500 ms)
		let reads = 0;
		const store: KeyValueStore = {
			...h.store,
			keys: async () => h.store.keys(),
			set: async (key, value) => h.store.set(key, value),
			delete: async (key) => h.store.delete(key),
			clear: async () => h.store.clear(),
			get: async (key) => (++reads === 1 ? Promise.reject(new Error('read failed')) : h.store.get(key)),
		};
		const next = h.make({ outbox: { baseBackoffMs: 20 }, store: () => store });
		const events = h.record(next, 'storage:error', 'outbox:dead');
		await until(() => h.state.applied.get('unread')?.length === 1);
		expect(events.map((event) => [event.type, (event as { operation?: string }).operation])).toEqual([['storage:error', 'get']]);
		await until(async () => (await next.outbox.size()) === 0);
	});

	it('a memory-held entry is replayed and a failed delete never causes a resend in this session', async () => {
		const inner = memoryStore('del');
		const store: KeyValueStore = { ...inner, get: async (key) => inner.get(key), keys: async () => inner.keys(), set: async (key, value) => inner.set(key, value), clear: async () => inner.clear(), delete: async () => Promise.reject(new Error('delete failed')) };
		const api = h.make({ outbox: true, store: () => store });
		win.setOnline(false);
		await api.post('mutate?id=del').catch(() => undefined);
		win.setOnline(true, false);
		expect((await api.outbox.flush()).sent).toBe(1);
		await api.outbox.flush();
		expect(h.seen.filter((request) => request.url.includes('id=del'))).toHaveLength(1);
	});
});
