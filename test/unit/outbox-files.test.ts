/**
 * Files in the outbox (API.md "Offline writes for real apps", Files): a Blob, File, ArrayBuffer,
 * typed array, DataView or FormData body is serialized once, before the first attempt; the first
 * attempt and every replay send those bytes with the same Content-Type (a FormData's boundary, its
 * files' names and types); `maxFileBytes`, the storage quota and `maxEntries` refuse a write that
 * must be stored before any byte is written (`OutboxFullError.reason`), what was queued stays;
 * `bodyBytes`, `stats()`; stored records whose body disagrees with `bodyBytes` are dead letters.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, createClient, memoryStore, outbox, type KeyValueStore, type OutboxOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { fakeWindow, spyStore, throwIfOffline } from './outbox-helpers.js';

interface Received {
	path: string;
	type: string | null;
	key: string | null;
	sha: string;
	size: number;
	bytes: ArrayBuffer;
}

const sha = (bytes: ArrayBuffer | Uint8Array): string => createHash('sha256').update(new Uint8Array(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))).digest('hex');

let server: RunningServer;
let down = false;
const received: Received[] = [];
/** Answers held by `?hang` requests: each lets its request's answer (503) go. */
const hung: Array<() => void> = [];
const clock = new ManualClock();
let window: ReturnType<typeof fakeWindow> | undefined;

beforeAll(async () => {
	server = await serve(async (request) => {
		const bytes = await request.arrayBuffer();
		const url = new URL(request.url);
		received.push({ path: url.pathname + url.search, type: request.headers.get('content-type'), key: request.headers.get('idempotency-key'), sha: sha(bytes), size: bytes.byteLength, bytes });
		if (url.searchParams.has('hang')) {
			await new Promise<void>((resolve) => hung.push(resolve));
			return new Response('late', { status: 503 });
		}

		return down ? new Response('down', { status: 503 }) : Response.json({ ok: true }, { status: 201 });
	});
});
afterAll(async () => server.close());
afterEach(() => {
	down = false;
	window?.restore();
	window = undefined;
	delete (navigator as { storage?: unknown }).storage;
});

const make = (store: KeyValueStore, options: OutboxOptions = {}, more: Record<string, unknown> = {}) => createClient({
	baseUrl: server.url + '/', clock, random: () => 0.5, store: () => store, retry: 0, retryBudget: false, breaker: false, staleCache: false,
	outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000, ...options }), ...more,
	// Offline (`fakeWindow().setOnline(false)`), the fetch fails as an offline device's does.
	fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
		throwIfOffline();
		return fetch(input, init);
	},
});

const bytesOf = (size: number, seed = 7): Uint8Array<ArrayBuffer> => {
	const bytes = new Uint8Array(size);
	for (let index = 0; index < size; index++) {
		bytes[index] = (index * 31 + seed * 17 + (index >> 8)) & 0xff;
	}

	return bytes;
};

const at = (path: string): Received[] => received.filter((each) => each.path === `/${path}`);
const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** Stub `navigator.storage.estimate` (Node has none). */
const estimate = (answer: () => Promise<{ usage?: unknown; quota?: unknown }>): { calls: number } => {
	const counted = { calls: 0 };
	Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => {
		counted.calls++;
		return answer();
	} } });
	return counted;
};

describe('outbox: files are serialized once and replayed byte-identical', () => {
	const photo = bytesOf(200_000);
	const kinds: Array<[string, () => BodyInit, string | null]> = [
		['a Blob', () => new Blob([photo], { type: 'image/png' }), 'image/png'],
		['a File', () => new File([photo], 'photo.jpg', { type: 'image/jpeg' }), 'image/jpeg'],
		['an ArrayBuffer', () => photo.slice().buffer, null],
		['a Uint8Array (a view into a larger buffer)', () => {
			const larger = new Uint8Array(photo.byteLength + 20);
			larger.set(photo, 10);
			return larger.subarray(10, 10 + photo.byteLength);
		}, null],
		['a DataView', () => new DataView(photo.slice().buffer), null],
	];

	it.each(kinds)('%s: the first attempt and the replay send the same bytes, Content-Type and Idempotency-Key', async (name, body, type) => {
		const store = memoryStore('files');
		const api = make(store);
		const path = `upload?kind=${encodeURIComponent(name)}`;
		down = true;
		const error = await caught(api.post(path, { body: body() }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const [first] = at(path);
		expect(first!.sha).toBe(sha(photo));
		expect(first!.type).toBe(type);
		const [entry] = await api.outbox.list();
		expect(entry).toMatchObject({ id: (error as OutboxQueuedError).entryId, bodyBytes: photo.byteLength });
		expect(entry).not.toHaveProperty('body');
		expect(await api.outbox.stats()).toEqual({ entries: 1, dead: 0, bytes: photo.byteLength });
		down = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		const [, replay] = at(path);
		expect(replay).toMatchObject({ sha: first!.sha, type: first!.type, key: first!.key, size: photo.byteLength });
		api.close();
	});

	it('a buffer the caller changes once told "queued" changes nothing replayed (the outbox stored a copy)', async () => {
		const store = memoryStore('files');
		const api = make(store);
		const mine = bytesOf(1000);
		const original = sha(mine);
		down = true;
		expect(await caught(api.post('upload?changed', { body: mine }))).toBeInstanceOf(OutboxQueuedError);
		mine.fill(0); // The caller reuses its buffer.
		down = false;
		await api.outbox.flush();
		expect(at('upload?changed').map((each) => each.sha)).toEqual([original, original]);
		api.close();
	});

	it('a FormData with a file part: the same multipart bytes and boundary; the file\'s name and type survive', async () => {
		const store = memoryStore('files');
		const api = make(store);
		const form = new FormData();
		form.set('caption', 'taken offline');
		form.set('photo', new File([photo], 'IMG_0001.jpg', { type: 'image/jpeg' }));
		down = true;
		expect(await caught(api.post('upload?form', { body: form }))).toBeInstanceOf(OutboxQueuedError);
		const [first] = at('upload?form');
		expect(first!.type).toMatch(/^multipart\/form-data; boundary=/);
		const [entry] = await api.outbox.list();
		expect(entry!.bodyBytes).toBe(first!.size); // The multipart body's length.
		down = false;
		await api.outbox.flush();
		const [, replay] = at('upload?form');
		expect(replay).toMatchObject({ sha: first!.sha, type: first!.type, key: first!.key });
		const parsed = await new Response(replay!.bytes, { headers: { 'content-type': replay!.type! } }).formData();
		const file = parsed.get('photo') as File;
		expect([parsed.get('caption'), file.name, file.type, sha(await file.arrayBuffer())]).toEqual(['taken offline', 'IMG_0001.jpg', 'image/jpeg', sha(photo)]);
		api.close();
	});

	it('queued offline without any attempt, then replayed after a reload: the original bytes and type', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const before = make(store);
		const file = new File([photo], 'offline.png', { type: 'image/png' });
		expect(await caught(before.put('upload?offline', { body: file }))).toBeInstanceOf(OutboxQueuedError);
		expect(at('upload?offline')).toEqual([]);
		before.close();
		window.setOnline(true, false);
		const after = make(store); // A reload: the same store.
		expect((await after.outbox.list()).map((each) => each.bodyBytes)).toEqual([photo.byteLength]);
		await after.outbox.flush();
		expect(at('upload?offline')).toMatchObject([{ sha: sha(photo), type: 'image/png' }]);
		after.close();
	});

	it('a Blob whose read fails: the caller gets the read\'s error; nothing sent, nothing queued', async () => {
		const store = memoryStore('files');
		const api = make(store);
		const failure = new DOMException('The file changed on disk', 'NotReadableError');
		class Unreadable extends Blob {
			override async arrayBuffer(): Promise<ArrayBuffer> {
				throw failure;
			}
		}

		const count = received.length;
		expect(await caught(api.post('upload?unreadable', { body: new Unreadable(['x'.repeat(100)]) }))).toBe(failure);
		expect(received.length).toBe(count);
		expect(await api.outbox.stats()).toEqual({ entries: 0, dead: 0, bytes: 0 });
		api.close();
	});
});

describe('outbox: bounds of a write that must be stored (OutboxFullError.reason)', () => {
	it('file bytes over maxFileBytes: \'size\' before the Blob is read, what was queued stays; one that can go out is sent', async () => {
		window = fakeWindow();
		const store = memoryStore('files');
		const api = make(store, { maxFileBytes: 1000, maxBodyBytes: 100 });
		window.setOnline(false, false);
		expect(await caught(api.post('upload?bound', { json: { first: true } }))).toBeInstanceOf(OutboxQueuedError);
		let reads = 0;
		class Counted extends Blob {
			override async arrayBuffer(): Promise<ArrayBuffer> {
				reads++;
				return super.arrayBuffer();
			}
		}

		for (const body of [new Counted([bytesOf(1001)]), bytesOf(1001), bytesOf(1001).buffer]) {
			const error = await caught(api.post('upload?bound', { body }));
			expect(error).toBeInstanceOf(OutboxFullError);
			expect(error).toMatchObject({ reason: 'size', code: 'OUTBOX_FULL' });
			expect((error as Error).message).toContain('maxFileBytes');
		}

		expect(reads).toBe(0);
		// Files within maxFileBytes are stored though they are over maxBodyBytes.
		expect(await caught(api.post('upload?bound', { body: new Counted([bytesOf(1000)]) }))).toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((each) => each.bodyBytes)).toEqual([14, 1000]);
		window.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		const count = at('upload?sent').length;
		expect((await api.post('upload?sent', { body: bytesOf(1001) })).status).toBe(201); // Can go out: sent.
		expect(at('upload?sent').length).toBe(count + 1);
		api.close();
	});

	it('a FormData: its files count toward maxFileBytes, its text (fields and part headers) toward maxBodyBytes', async () => {
		down = true; // The API fails: each write must be stored (one over its bounds went out first, as it can).
		const store = memoryStore('files');
		const api = make(store, { maxFileBytes: 1000, maxBodyBytes: 400 });
		const form = (text: string, file: number): FormData => {
			const made = new FormData();
			made.set('t', text);
			made.set('f', new File([bytesOf(file)], 'f.bin'));
			return made;
		};

		const files = await caught(api.post('upload?form-bound', { body: form('ok', 1001) }));
		expect(files).toMatchObject({ reason: 'size' });
		expect((files as Error).message).toContain('maxFileBytes');
		const text = await caught(api.post('upload?form-bound', { body: form('x'.repeat(401), 10) }));
		expect(text).toMatchObject({ reason: 'size' });
		expect((text as Error).message).toContain('maxBodyBytes');
		expect(await api.outbox.size()).toBe(0);
		// 1000 file bytes and a short text: stored, its multipart length (over maxBodyBytes) as bodyBytes.
		expect(await caught(api.post('upload?form-bound', { body: form('ok', 1000) }))).toBeInstanceOf(OutboxQueuedError);
		const [entry] = await api.outbox.list();
		expect(entry!.bodyBytes).toBeGreaterThan(1000);
		api.close();
	});

	it('a FormData over its bounds that must wait (offline, or behind a queued write): OutboxFullError at once, no request made (Node\'s unread FormData stream never throws)', async () => {
		window = fakeWindow();
		const store = memoryStore('files');
		const api = make(store, { maxFileBytes: 1000 });
		const big = (): FormData => {
			const made = new FormData();
			made.set('f', new File([bytesOf(2000)], 'f.bin'));
			return made;
		};

		window.setOnline(false, false);
		await caught(api.post('upload?wait', { body: bytesOf(10) })); // Offline: probes, fails, queued.
		const count = received.length;
		expect(await caught(api.post('upload?wait', { body: big() }))).toMatchObject({ reason: 'size' });
		window.setOnline(true, false); // Online, behind the queued write.
		expect(await caught(api.post('upload?wait', { body: big() }))).toMatchObject({ reason: 'size' });
		expect(received.length).toBe(count);
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});

	it('the quota: a write that would leave less than 10 % free is \'quota\', before any byte is written (a coalescing PUT supersedes nothing)', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const api = make(store, { coalesce: true });
		expect(await caught(api.put('upload?quota', { body: bytesOf(70_000) }))).toBeInstanceOf(OutboxQueuedError);
		const [queued] = await api.outbox.list();
		const keys = (await store.keys()).sort();
		const asked = estimate(async () => ({ usage: 900_000, quota: 1_000_000 })); // 100 000 free: 10 % of the quota.
		const error = await caught(api.put('upload?quota', { body: new Blob([bytesOf(70_000)]) }));
		expect(error).toBeInstanceOf(OutboxFullError);
		expect(error).toMatchObject({ reason: 'quota' });
		expect(asked.calls).toBe(1);
		expect((await store.keys()).sort()).toEqual(keys);
		expect(await api.outbox.list()).toEqual([queued]);
		// Under 64 KiB: not asked, stored (the store's own quota error would stop it).
		expect(await caught(api.post('upload?quota', { body: bytesOf(65_535) }))).toBeInstanceOf(OutboxQueuedError);
		expect(asked.calls).toBe(1);
		api.close();
	});

	it('the quota counts the writes being stored at the same time: of two photos that fit only one at a time, one is stored and the other is \'quota\'', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const api = make(store);
		// 100 000 bytes may be stored before less than 10 % is free; the estimate answers once both writes asked (a browser's lags the writes anyway).
		let answer: () => void = () => undefined;
		const asked = new Promise<void>((resolve) => {
			answer = resolve;
		});
		const counted = estimate(async () => {
			if (counted.calls === 2) {
				answer();
			}

			await asked;
			return { usage: 800_000, quota: 1_000_000 };
		});
		const outcomes = await Promise.all(['a', 'b'].map(async (name) => caught(api.put(`upload?both=${name}`, { body: bytesOf(70_000) }))));
		expect(outcomes.map((error) => error instanceof OutboxQueuedError ? 'queued' : (error as OutboxFullError).reason)).toEqual(['queued', 'quota']);
		expect((await api.outbox.list()).map((entry) => entry.bodyBytes)).toEqual([70_000]);
		expect(counted.calls).toBe(2);
		api.close();
	});

	it('the quota is asked only of a write being stored: a delivered one never asks; one queued at its deadline (networkTimeoutMs) that cannot be stored waits for its answer, then \'quota\'', async () => {
		const store = memoryStore('files');
		const api = make(store, { networkTimeoutMs: 50 });
		const asked = estimate(async () => ({ usage: 999_000, quota: 1_000_000 }));
		// Delivered within its deadline (one far off, so a busy machine cannot make it late and queue it).
		const patient = make(store, { networkTimeoutMs: 60_000 });
		expect((await patient.post('upload?delivered', { body: bytesOf(70_000) })).status).toBe(201);
		patient.close();
		expect(asked.calls).toBe(0);
		let settled = false;
		const pending = caught(api.post('upload?hang', { body: bytesOf(70_000) })).finally(() => {
			settled = true;
		});
		// Its deadline passed (the quota was asked, at enqueue): the caller still waits for its attempt.
		for (const deadline = Date.now() + 5000; asked.calls === 0 || hung.length === 0;) {
			expect(Date.now()).toBeLessThan(deadline);
			await new Promise((resolve) => setTimeout(resolve, 5));
		}

		expect(settled).toBe(false);
		hung.shift()!();
		const error = await pending;
		expect(error).toBeInstanceOf(OutboxFullError);
		expect(error).toMatchObject({ reason: 'quota' });
		expect(await store.keys()).toEqual([]);
		api.close();
	});

	it('the quota check is skipped when the estimate is missing, fails, is late or answers nonsense', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const api = make(store, {}, { storageTimeoutMs: 50 });
		const answers: Array<() => Promise<{ usage?: unknown; quota?: unknown }>> = [
			async () => {
				throw new Error('estimate failed');
			},
			async () => new Promise(() => undefined), // Never answers: skipped after storageTimeoutMs.
			async () => ({ usage: 'lots', quota: 1 }),
			async () => ({ usage: 1, quota: 0 }),
			async () => ({ usage: Number.NaN, quota: 1_000 }),
			async () => ({ usage: 0, quota: 10_000_000 }), // Room enough.
		];
		for (const [index, answer] of answers.entries()) {
			estimate(answer);
			expect(await caught(api.post(`upload?skipped=${index}`, { body: bytesOf(70_000) })), String(index)).toBeInstanceOf(OutboxQueuedError);
		}

		expect(await api.outbox.size()).toBe(answers.length);
		api.close();
	});

	it('a full outbox is \'entries\'', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(memoryStore('files'), { maxEntries: 1 });
		await caught(api.post('upload?entries', { body: bytesOf(10) }));
		expect(await caught(api.post('upload?entries', { body: bytesOf(10) }))).toMatchObject({ reason: 'entries', code: 'OUTBOX_FULL' });
		api.close();
	});

	it.each([[-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], ['1'], [null]])('maxFileBytes %s: a RangeError naming it at creation', (value) => {
		expect(() => outbox({ maxFileBytes: value as number })).toThrow(/outbox\.maxFileBytes/);
		expect(() => outbox({ maxFileBytes: value as number })).toThrow(RangeError);
	});
});

describe('outbox: a large body is in the store when the caller is told "queued"', () => {
	it('its write is given storageTimeoutMs plus 1 ms per 10 000 bytes: a store that takes longer than storageTimeoutMs for a 3 MB body still confirms it first, no storage:error', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const inner = memoryStore('files');
		// The store takes 200 ms to write a record with a body (as IndexedDB does a large one on a slow device).
		const slow = spyStore(inner, { set: async (_key, value, run) => {
			if ((value as { body?: ArrayBuffer }).body) {
				await new Promise((resolve) => setTimeout(resolve, 200));
			}

			return run();
		} });
		const api = make(slow, {}, { storageTimeoutMs: 100 }); // A 3 MB record's deadline: 100 + 300 ms.
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		expect(await caught(api.post('upload?slow', { body: bytesOf(3_000_000) }))).toBeInstanceOf(OutboxQueuedError);
		expect((await inner.keys()).filter((key) => key.startsWith('p|'))).toHaveLength(1); // Written when told.
		expect(errors).toEqual([]);
		api.close();
	});
});

describe('outbox: bodyBytes, stats() and stored records read back', () => {
	it('stats() counts pending entries, dead letters and their body bytes; a DELETE has 0', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const api = make(store);
		await caught(api.post('upload?stats', { body: bytesOf(3000) }));
		await caught(api.delete('upload?stats'));
		await caught(api.post('upload?stats', { json: { a: 1 } }));
		expect((await api.outbox.list()).map((each) => each.bodyBytes)).toEqual([3000, 0, 7]);
		expect(await api.outbox.stats()).toEqual({ entries: 3, dead: 0, bytes: 3007 });
		api.close();
	});

	it('a record whose body disagrees with its bodyBytes is a dead letter (storage:error), never sent; one stored before bodyBytes existed lists with it', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const store = memoryStore('files');
		const api = make(store);
		await caught(api.post('upload?tampered', { body: bytesOf(500) }));
		await caught(api.post('upload?old', { body: bytesOf(40) }));
		const [tamperedKey, oldKey] = (await store.keys()).filter((key) => key.startsWith('p|')).sort();
		const tampered = await store.get<Record<string, unknown>>(tamperedKey!);
		await store.set(tamperedKey!, { ...tampered, body: bytesOf(499).buffer }); // Truncated.
		const { bodyBytes, ...old } = (await store.get<Record<string, unknown>>(oldKey!))!;
		expect(bodyBytes).toBe(40);
		await store.set(oldKey!, old);
		api.close();
		window.setOnline(true, false);
		const after = make(store);
		const errors: unknown[] = [];
		after.on('storage:error', (event) => errors.push(event));
		// The truncated one is listed as unreadable (no URL, `Unreadable`), as size() counts it, until a pass makes it a dead letter.
		expect((await after.outbox.list()).map((each) => [each.url.split('?')[1], each.bodyBytes, each.lastError?.message])).toEqual([[undefined, 0, 'Unreadable'], ['old', 40, undefined]]);
		const count = at('upload?tampered').length;
		expect(await after.outbox.flush()).toMatchObject({ sent: 1, dead: 1, remaining: 0 });
		expect(at('upload?tampered').length).toBe(count);
		expect(errors.length).toBeGreaterThan(0);
		expect((await after.outbox.deadLetters()).map((each) => each.deadReason)).toEqual(['rejected']);
		expect(await after.outbox.stats()).toMatchObject({ entries: 0, dead: 1 });
		after.close();
	});
});

