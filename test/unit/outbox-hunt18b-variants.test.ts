/**
 * Defect hunt, eighteenth round, second wave (W3): the outbox's limits. `maxEntries` TSDoc: "beyond it, a write that must
 * be stored (offline, behind its scope's entries, or failed) is refused with `OutboxFullError`"; API.md: "A write that must
 * be stored and cannot gets `OutboxFullError` with `reason: 'size' | 'quota'` before any byte is written".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spyStore } from './outbox-helpers.js';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

let made = 0;

/** A client over its own store whose transport fails (`down`) or answers 201 `{ id: 7 }`; what it sent in `sent`. */
const offlineClient = (more: Parameters<typeof outbox>[0] = {}, store: KeyValueStore = memoryStore(`h18b-${++made}`)) => {
	const state = { down: true, status: 201 };
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(`${request.method} ${new URL(request.url).pathname}`);
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":7}', { status: state.status, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `h18b-${made}`, outbox: outbox({ resumeJitterMs: 0, ...more }) });
	const queue = async (path: string, options: Record<string, unknown> = { json: { a: 1 } }): Promise<string> =>
		api.post(path, options).then(() => { throw new Error(`${path} was delivered`); }, (failure: { entryId?: string }) => {
			if (!failure.entryId) {
				throw failure;
			}

			return failure.entryId;
		});
	return { api, state, sent, queue, store };
};

/** What a call rejected with: its class name and `reason`, or 'resolved'. */
const outcome = async (made: Promise<unknown>): Promise<string> => made.then(() => 'resolved', (error: Error & { reason?: string }) => `${error.name}${error.reason ? ` ${error.reason}` : ''}`);

describe('a dependent write (`outbox.ref()`) that must be stored and cannot is refused with OutboxFullError, its reason the limit', () => {
	it('maxEntries: 1 and the parent pending: the dependent PUT gets OutboxFullError entries, nothing sent nor stored', async () => {
		const { api, sent, queue } = offlineClient({ maxEntries: 1 });
		try {
			const parent = await queue('todos');
			const before = sent.length;
			expect(await outcome(api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }))).toBe('OutboxFullError entries');
			expect(sent.slice(before).filter((each) => !/\/(todos|notes)$/.test(each))).toEqual([]); // Only replays of the queued writes (backoff with full jitter).
			expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([parent]);
		} finally {
			api.close();
		}
	});

	it('maxEntries: 2, the parent and another write pending: the dependent of an extend()ed child (same outbox) gets OutboxFullError entries too', async () => {
		const { api, sent, queue } = offlineClient({ maxEntries: 2 });
		const child = api.extend({ headers: { 'x-child': '1' } });
		try {
			const parent = await queue('todos');
			await queue('notes');
			const before = sent.length;
			expect(await outcome(child.patch(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }))).toBe('OutboxFullError entries');
			expect(await outcome(api.post('tags', { json: { parent: api.outbox.ref(parent, '/id') }, headers: { 'x-parent': api.outbox.ref(parent, '/id') } }))).toBe('OutboxFullError entries');
			expect(sent.slice(before).filter((each) => !/\/(todos|notes)$/.test(each))).toEqual([]); // Only replays of the queued writes (backoff with full jitter).
			expect(await api.outbox.size()).toBe(2);
		} finally {
			child.close();
			api.close();
		}
	});

	it('maxEntries: 2, two dependents made at once behind one parent: one is queued, the other gets OutboxFullError entries', async () => {
		const { api, queue } = offlineClient({ maxEntries: 2 });
		try {
			const parent = await queue('todos');
			const made = await Promise.all([1, 2].map(async (n) => outcome(api.put(`items/${n}/${api.outbox.ref(parent, '/id')}`, { json: { n } }))));
			expect(made.sort()).toEqual(['OutboxFullError entries', 'OutboxQueuedError']);
			expect(await api.outbox.size()).toBe(2);
		} finally {
			api.close();
		}
	});

	it('maxEntries: 1 with queuedResponse \'accepted\': OutboxFullError entries, never a 202', async () => {
		const { api } = offlineClient({ maxEntries: 1, queuedResponse: 'accepted' });
		try {
			const parent = await api.post('todos', { json: {} }).then((response) => response.headers.get('steadfetch-outbox-entry')!);
			expect(await outcome(api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }))).toBe('OutboxFullError entries');
			expect(await api.outbox.size()).toBe(1);
		} finally {
			api.close();
		}
	});

	/** A dependent of a pending parent (its placeholder in `where`) refused for a limit: OutboxFullError `reason`, nothing sent nor stored. */
	const refused: Array<[string, Parameters<typeof outbox>[0], (placeholder: string) => [string, Record<string, unknown>], string]> = [
		['a JSON body over maxBodyBytes (the placeholder in it)', { maxBodyBytes: 100 }, (ref) => ['items/1', { json: { parent: ref, text: 'x'.repeat(200) } }], 'size'],
		['a string body over maxBodyBytes (the placeholder in the URL)', { maxBodyBytes: 100 }, (ref) => [`items/${ref}`, { body: 'x'.repeat(200) }], 'size'],
		['a Blob over maxFileBytes (the placeholder in the URL)', { maxFileBytes: 100 }, (ref) => [`items/${ref}`, { body: new Blob([new Uint8Array(200)]) }], 'size'],
		['a Uint8Array over maxFileBytes (the placeholder in a header)', { maxFileBytes: 100 }, (ref) => ['items/1', { body: new Uint8Array(200), headers: { 'x-parent': ref } }], 'size'],
		['a FormData whose file is over maxFileBytes (the placeholder in the URL)', { maxFileBytes: 100 }, (ref) => {
			const form = new FormData();
			form.append('photo', new File([new Uint8Array(200)], 'photo.jpg', { type: 'image/jpeg' }));
			return [`items/${ref}`, { body: form }];
		}, 'size'],
		['a FormData whose text is over maxBodyBytes (the placeholder in the URL)', { maxBodyBytes: 100 }, (ref) => {
			const form = new FormData();
			form.append('note', 'x'.repeat(200));
			return [`items/${ref}`, { body: form }];
		}, 'size'],
	];

	it.each(refused)('%s: OutboxFullError (reason size), nothing sent nor stored', async (_, limits, call, reason) => {
		const { api, sent, queue } = offlineClient(limits);
		try {
			const parent = await queue('todos', { json: {} });
			const before = sent.length;
			const [url, options] = call(api.outbox.ref(parent, '/id'));
			expect(await outcome(api.put(url, options))).toBe(`OutboxFullError ${reason}`);
			expect(sent.slice(before).filter((each) => !/\/(todos|notes)$/.test(each))).toEqual([]); // Only replays of the queued writes (backoff with full jitter).
			expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([parent]);
		} finally {
			api.close();
		}
	});

	it('a JSON body an init hook makes larger than maxBodyBytes: OutboxFullError size, nothing stored', async () => {
		const { api, queue } = offlineClient({ maxBodyBytes: 100 });
		try {
			const parent = await queue('todos', { json: {} });
			const hooks = { init: [(options: { json?: unknown }) => {
				options.json = { text: 'x'.repeat(200) };
			}] };
			expect(await outcome(api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 1 }, hooks }))).toBe('OutboxFullError size');
			expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([parent]);
		} finally {
			api.close();
		}
	});

	it('a body of 64 KiB that would leave less than 10 % of the quota free: OutboxFullError quota, nothing stored', async () => {
		const { api, queue } = offlineClient();
		try {
			const parent = await queue('todos', { json: {} });
			Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => ({ usage: 900_000, quota: 1_000_000 }) } });
			expect(await outcome(api.put(`items/${api.outbox.ref(parent, '/id')}`, { body: new Uint8Array(70_000) }))).toBe('OutboxFullError quota');
			expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([parent]);
		} finally {
			Reflect.deleteProperty(navigator, 'storage');
			api.close();
		}
	});

	it('a store that refuses the dependent\'s record for its quota: OutboxFullError quota, the parent pending alone', async () => {
		const state = { full: false };
		const store = spyStore(memoryStore(`h18b-${++made}`), { set: async (key, _, run) => {
			if (state.full && key.startsWith('p|')) {
				throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
			}

			return run();
		} });
		const { api, queue } = offlineClient({}, store);
		try {
			const parent = await queue('todos', { json: {} });
			state.full = true;
			expect(await outcome(api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 1 } }))).toBe('OutboxFullError quota');
			expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([parent]);
		} finally {
			api.close();
		}
	});
});

describe('the storage quota is checked for a write of at least 64 KiB whatever its body\'s type (API.md "Files": "never stores a write that would leave less than 10 % of … quota free")', () => {
	const big = 70_000;
	const bodies: Array<[string, () => Record<string, unknown>]> = [
		['a Blob', () => ({ body: new Blob([new Uint8Array(big)], { type: 'image/png' }) })],
		['a File', () => ({ body: new File([new Uint8Array(big)], 'photo.jpg', { type: 'image/jpeg' }) })],
		['an ArrayBuffer', () => ({ body: new ArrayBuffer(big) })],
		['a Uint16Array', () => ({ body: new Uint16Array(big / 2) })],
		['a DataView', () => ({ body: new DataView(new ArrayBuffer(big)) })],
		['a FormData with a file', () => {
			const form = new FormData();
			form.append('photo', new File([new Uint8Array(big)], 'photo.jpg', { type: 'image/jpeg' }));
			return { body: form };
		}],
		['a string', () => ({ body: 'x'.repeat(big) })],
		['json', () => ({ json: { text: 'x'.repeat(big) } })],
	];

	it.each(bodies)('%s: OutboxFullError quota, nothing stored; the same body is queued when the estimate leaves room', async (_, body) => {
		const { api, queue } = offlineClient();
		const answer = { usage: 900_000, quota: 1_000_000 };
		Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => answer } });
		try {
			expect(await outcome(api.post('photos', body()))).toBe('OutboxFullError quota');
			expect(await api.outbox.size()).toBe(0);
			answer.usage = 0;
			await queue('photos', body());
			expect(await api.outbox.size()).toBe(1);
		} finally {
			Reflect.deleteProperty(navigator, 'storage');
			api.close();
		}
	});

	it('a Request whose body is 70 000 bytes (the request as input): OutboxFullError quota, nothing stored', async () => {
		const { api } = offlineClient();
		Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => ({ usage: 900_000, quota: 1_000_000 }) } });
		try {
			const request = new Request('https://api.example.com/photos', { method: 'POST', body: new Uint8Array(big), headers: { 'content-type': 'application/octet-stream' } });
			expect(await outcome(api.post(request))).toBe('OutboxFullError quota');
			expect(await api.outbox.size()).toBe(0);
		} finally {
			Reflect.deleteProperty(navigator, 'storage');
			api.close();
		}
	});

	it('a body an init hook gives in place of a small one (70 000 bytes): OutboxFullError quota, nothing stored', async () => {
		const { api } = offlineClient();
		Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => ({ usage: 900_000, quota: 1_000_000 }) } });
		try {
			const hooks = { init: [(options: { body?: unknown }) => {
				options.body = new Uint8Array(big);
			}] };
			expect(await outcome(api.post('photos', { body: 'small', hooks }))).toBe('OutboxFullError quota');
			expect(await api.outbox.size()).toBe(0);
		} finally {
			Reflect.deleteProperty(navigator, 'storage');
			api.close();
		}
	});

	it('the bound is 64 KiB as stored: 65,535 bytes are queued without an estimate, 65,536 are checked (the TSDoc: "64 KiB (65,536 bytes) or more")', async () => {
		const { api, queue } = offlineClient();
		let asked = 0;
		Object.defineProperty(navigator, 'storage', { configurable: true, value: { estimate: async () => {
			asked++;
			return { usage: 999_000, quota: 1_000_000 };
		} } });
		try {
			await queue('small', { body: new Uint8Array(65_535) });
			expect(asked).toBe(0);
			expect(await outcome(api.post('large', { body: new Uint8Array(65_536) }))).toBe('OutboxFullError quota');
			expect([asked, await api.outbox.size()]).toEqual([1, 1]);
		} finally {
			Reflect.deleteProperty(navigator, 'storage');
			api.close();
		}
	});
});

describe('maxEntries counts what is pending now (README: "`maxEntries` is the most pending entries")', () => {
	it('two clients of one name and store made apart (two tabs\' clients): at maxEntries, the other client\'s write is OutboxFullError entries', async () => {
		const store = memoryStore(`h18b-${++made}`);
		const one = offlineClient({ maxEntries: 2 }, store);
		const fetch = (async () => {
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const other = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `h18b-${made}`, outbox: outbox({ resumeJitterMs: 0, maxEntries: 2 }) });
		try {
			expect(await outcome(other.post('b', { json: {} }))).toBe('OutboxQueuedError');
			await one.queue('todos');
			expect(await outcome(other.post('c', { json: {} }))).toBe('OutboxFullError entries');
			expect(await outcome(one.api.post('d', { json: {} }))).toBe('OutboxFullError entries');
			expect([await one.api.outbox.size(), await other.outbox.size()]).toEqual([2, 2]);
		} finally {
			other.close();
			one.api.close();
		}
	});

	it('after discard(id) and clear(), the room is back at once: maxEntries: 1, a write queued each time', async () => {
		const { api, queue } = offlineClient({ maxEntries: 1 });
		try {
			const first = await queue('todos');
			expect(await outcome(api.post('more', { json: {} }))).toBe('OutboxFullError entries');
			await api.outbox.discard(first);
			await queue('second');
			expect(await api.outbox.size()).toBe(1);
			await api.clear();
			await queue('third');
			expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/third']);
		} finally {
			api.close();
		}
	});

	it('a dead letter takes no room: maxEntries: 1, the pending write refused (422) and buried, a new write is queued; retry(id) of the dead letter is then OutboxFullError entries', async () => {
		const { api, state, queue } = offlineClient({ maxEntries: 1 });
		try {
			const first = await queue('todos');
			Object.assign(state, { down: false, status: 422 });
			expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
			state.down = true;
			const second = await queue('second');
			expect(await outcome(api.outbox.retry(first))).toBe('OutboxFullError entries');
			expect([(await api.outbox.list()).map((entry) => entry.id), (await api.outbox.deadLetters()).map((entry) => entry.id)]).toEqual([[second], [first]]);
		} finally {
			api.close();
		}
	});

	it('coalesce: maxEntries: 1, a PUT pending; the PUT of the same URL under another identity supersedes nothing: OutboxFullError entries, the first stays', async () => {
		const store = memoryStore(`h18b-${++made}`);
		const fetch = (async () => {
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		let who = 'alice';
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `h18b-${made}`, identity: () => who, outbox: outbox({ resumeJitterMs: 0, maxEntries: 1, coalesce: true }) });
		try {
			expect(await outcome(api.put('items/1', { json: { v: 1 } }))).toBe('OutboxQueuedError');
			expect(await outcome(api.put('items/1', { json: { v: 2 } }))).toBe('OutboxQueuedError'); // Its own: superseded, room.
			who = 'bob';
			expect(await outcome(api.put('items/1', { json: { v: 3 } }))).toBe('OutboxFullError entries');
			who = 'alice';
			expect((await api.outbox.list()).length).toBe(1);
		} finally {
			api.close();
		}
	});
});

describe('coalesce: a dependent that takes the place of a pending dependent of its URL is counted in its place', () => {
	it('maxEntries: 2, a parent and a PUT of `items/<its id>` pending: a second PUT of that URL is queued in the first one\'s place', async () => {
		const { api, state } = offlineClient({ maxEntries: 2, coalesce: true });
		const superseded: string[] = [];
		api.on('outbox:superseded', (event) => superseded.push(event.entryId));
		try {
			const parent = await api.post('todos', { json: {} }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			const url = `items/${api.outbox.ref(parent, '/id')}`;
			const first = await api.put(url, { json: { v: 1 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			expect(await outcome(api.put(url, { json: { v: 2 } }))).toBe('OutboxQueuedError');
			expect(superseded).toEqual([first]);
			expect(await api.outbox.size()).toBe(2);
			state.down = false;
			expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0, remaining: 0 });
		} finally {
			api.close();
		}
	});
});
