import { describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import type { Policy } from '../../src/entries/policy.js';
import { sha256 } from '../../src/utils/digest.js';
import { quiet, useCacheKit, collect, next, resetMidway } from './cache-kit.js';

const kit = useCacheKit();

/** The stored record values, as JSON. */
const dump = async (): Promise<string> => {
	const values = await Promise.all((await kit.store.keys()).map(async (key) => {
		const value = await kit.store.get<Record<string, unknown>>(key);
		const body = value && value['body'] instanceof ArrayBuffer ? new TextDecoder().decode(value['body']) : undefined;
		return JSON.stringify({ key, value, body });
	}));
	return values.join('\n');
};

describe('what is stored', () => {
	it('no-store in the request or the response is never stored; a no-store answer purges the older copy', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.get('store/1', { headers: { 'cache-control': 'no-store' } }).text();
		await api.get('store/2?cc=no-store').text();
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(api, 'store/2?cc=no-store')).toBe(false);
		// A URL stored before, then answered with no-store: the old copy goes.
		await api.get('store/3').text();
		await next(api, 'cache:stored');
		expect(await dump()).toContain('store/3');
		expect(await kit.servedStale(api, 'store/3')).toBe(true);
		await api.get('store/3', { headers: { 'x-cc': 'no-store' } }).text();
		await quiet();
		expect(await kit.servedStale(api, 'store/3')).toBe(false);
		expect(await dump()).not.toContain('store/3');
	});

	it('a Request given with its own cache: \'no-store\' is neither stored nor served stale, GET or HEAD; a call\'s own mode comes first, as ky builds the Request', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		const noStore = (path: string, method = 'GET') => new Request(`${kit.url}/${path}`, { method, cache: 'no-store' });
		await api.get(noStore('request/1')).text();
		await quiet();
		expect(stored).toHaveLength(0);
		const copied = next(api, 'cache:stored');
		await api.get('request/2').text();
		await copied;
		kit.mode = 'refuse';
		await expect(api.get(noStore('request/2'))).rejects.toMatchObject({ name: 'NetworkError' });
		await expect(api.head(noStore('request/2', 'HEAD'))).rejects.toMatchObject({ name: 'NetworkError' });
		// The call's own mode is the Request's mode (ky passes it to the Request it makes): served stale.
		expect(isStale(await api.get(noStore('request/2'), { cache: 'default' }))).toBe(true);
		kit.mode = 'up';
	});

	it('a record keeps the response\'s headers but those never stored (Set-Cookie, Set-Cookie2, Content-Length, Content-Encoding, Age, Cache-Status, credential and sensitive ones), and the request\'s values of what Vary names but a sensitive one', async () => {
		const answer = (vary?: string): Response => new Response('{"a":1}', { headers: {
			'content-type': 'application/json', 'x-kept': 'yes', 'set-cookie': 'sid=SECRET', 'set-cookie2': 'sid2=SECRET; Version=1', 'content-length': '7', 'age': '5', 'cache-status': 'origin; hit',
			'x-session': 'SECRET', 'proxy-authorization': 'SECRET', etag: '"e1"', ...(vary === undefined ? {} : { vary }),
		} });
		const api = kit.make({ sensitiveHeaders: ['X-Session'], fetch: async (input) => answer(new URL((input as Request).url).searchParams.get('v') ?? undefined) });
		const recordOf = async (path: string) => {
			const key = (await kit.store.keys()).find((each) => each.endsWith(`/${path}`));
			return kit.store.get<{ headers: Array<[string, string]>; vary: Array<[string, string | null]> }>(key!);
		};

		let stored = next(api, 'cache:stored');
		await api.get('record/1').text();
		await stored;
		const plain = await recordOf('record/1');
		expect(Object.fromEntries(plain!.headers)).toEqual({ 'content-type': 'application/json', 'x-kept': 'yes', etag: '"e1"' });
		expect(plain!.vary).toEqual([]);

		stored = next(api, 'cache:stored');
		// (A request that sends a sensitive header is never stored in the default shared cache: only its name in Vary here.)
		await api.get('record/2?v=Accept-Language,%20X-Session,%20Set-Cookie2,%20X-Absent', { headers: { 'accept-language': 'fr' } }).text();
		await stored;
		const varied = await recordOf('record/2?v=Accept-Language,%20X-Session,%20Set-Cookie2,%20X-Absent');
		// (Set-Cookie2 is Fetch's other forbidden response header: a server runtime's fetch shows it; Vary naming it keeps no value.)
		expect(Object.fromEntries(varied!.headers)).toEqual({ 'content-type': 'application/json', 'x-kept': 'yes', etag: '"e1"', vary: 'Accept-Language, X-Session, Set-Cookie2, X-Absent' });
		expect(varied!.vary).toEqual([['accept-language', 'fr'], ['x-absent', null]]);
		expect(JSON.stringify([plain, varied])).not.toContain('SECRET');
	});

	it('Vary: a copy answers only a request with the same values of the headers it names (the latest variant is kept); Vary: * is not stored', async () => {
		const api = kit.make();
		await api.get('vary/1?vary=accept-language', { headers: { 'accept-language': 'en' } }).text();
		await next(api, 'cache:stored');
		expect(await kit.servedStale(api, 'vary/1?vary=accept-language', { headers: { 'accept-language': 'fr' } })).toBe(false);
		expect(await kit.servedStale(api, 'vary/1?vary=accept-language')).toBe(false);
		kit.mode = 'refuse';
		const english = await api.get('vary/1?vary=accept-language', { headers: { 'accept-language': 'en' } }).json<{ lang: string }>();
		expect(english.lang).toBe('en');
		kit.mode = 'up';
		kit.clock.advance(1000);
		await api.get('vary/1?vary=accept-language', { headers: { 'accept-language': 'fr' } }).text();
		await next(api, 'cache:stored');
		kit.mode = 'refuse';
		expect((await api.get('vary/1?vary=accept-language', { headers: { 'accept-language': 'fr' } }).json<{ lang: string }>()).lang).toBe('fr');
		kit.mode = 'up';
		expect(await kit.servedStale(api, 'vary/1?vary=accept-language', { headers: { 'accept-language': 'en' } })).toBe(false);

		const stored = collect(api, 'cache:stored');
		await api.get('vary/2?vary=*').text();
		await api.get('vary/3?vary=accept-encoding%2C%20*').text();
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(api, 'vary/2?vary=*')).toBe(false);
	});

	it('private and credentialed: stored in a private cache (shared: false), never in a shared one', async () => {
		const shared = kit.make({ staleCache: { shared: true } });
		const stored = collect(shared, 'cache:stored');
		await shared.get('private/1?cc=private').text();
		await shared.get('private/2', { headers: { authorization: 'Bearer shared-token' } }).text();
		await shared.get('private/3', { headers: { cookie: 'sid=shared-cookie' } }).text();
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(shared, 'private/1?cc=private')).toBe(false);
		expect(await kit.servedStale(shared, 'private/2', { headers: { authorization: 'Bearer shared-token' } })).toBe(false);

		const own = kit.make({ staleCache: { shared: false } });
		await own.get('private/4?cc=private').text();
		await next(own, 'cache:stored');
		expect(await kit.servedStale(own, 'private/4?cc=private')).toBe(true);
	});

	it('credential partitions: another credential, or none, never sees the copy; no credential value is stored', async () => {
		const api = kit.make({ staleCache: { shared: false }, sensitiveHeaders: ['X-Api-Key'] });
		const alice = { authorization: 'Bearer alice-secret-token' };
		await api.get('cred/1', { headers: alice }).text();
		await next(api, 'cache:stored');
		await api.get('cred/2', { headers: { cookie: 'sid=bob-secret-cookie' } }).text();
		await next(api, 'cache:stored');
		await api.get('cred/3?vary=authorization%2C%20x-api-key', { headers: { 'x-api-key': 'carol-secret-key' } }).text();
		await next(api, 'cache:stored');
		expect(await kit.servedStale(api, 'cred/1', { headers: alice })).toBe(true);
		expect(await kit.servedStale(api, 'cred/1', { headers: { authorization: 'Bearer mallory' } })).toBe(false);
		expect(await kit.servedStale(api, 'cred/1')).toBe(false);
		expect(await kit.servedStale(api, 'cred/2', { headers: { cookie: 'sid=bob-secret-cookie' } })).toBe(true);
		expect(await kit.servedStale(api, 'cred/2', { headers: { cookie: 'sid=other' } })).toBe(false);
		expect(await kit.servedStale(api, 'cred/3?vary=authorization%2C%20x-api-key', { headers: { 'x-api-key': 'carol-secret-key' } })).toBe(true);
		expect(await kit.servedStale(api, 'cred/3?vary=authorization%2C%20x-api-key', { headers: { 'x-api-key': 'dave' } })).toBe(false);
		const everything = await dump();
		expect(everything).toContain('cred/1');
		for (const secret of ['alice-secret-token', 'bob-secret-cookie', 'carol-secret-key']) {
			expect(everything).not.toContain(secret);
		}
	});

	it('200 and 203 are stored; 204, 206, non-2xx and bodies over maxBodyBytes are not; the caller still gets the whole body', async () => {
		const api = kit.make({ staleCache: { maxBodyBytes: 1000 }, throwHttpErrors: false });
		const stored = collect(api, 'cache:stored');
		await api.get('size/1?status=206').text();
		await api.get('size/2?status=404').text();
		await api.get('size/2b?status=204').text();
		const big = await api.get('size/3?size=5000').text();
		expect(big).toHaveLength(5000);
		await api.get('size/4?size=1000').text();
		await quiet();
		await api.get('size/5?status=203&size=10').text();
		await quiet();
		expect(stored.map((event) => [event.url.replace(kit.url, ''), event.bytes])).toEqual([['/size/4?size=1000', 1000], ['/size/5?status=203&size=10', 10]]);
		expect(await kit.servedStale(api, 'size/5?status=203&size=10')).toBe(true);
	});

	it('HEAD stores nothing and leaves the stored GET copy as it was (no freshening)', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.head('head/1');
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(api, 'head/1')).toBe(false);

		await api.get('head/2?etag=hit').text();
		await next(api, 'cache:stored');
		kit.clock.advance(50_000);
		await api.head('head/2?etag=hit');
		await quiet();
		expect(stored).toHaveLength(1);
		kit.mode = 'refuse';
		const response = await api.get('head/2?etag=hit');
		expect(response.headers.get('age')).toBe('50');
		expect(response.headers.get('etag')).toBe('"1"');
		expect(await response.json()).toMatchObject({ n: 1 });
	});
});

describe('when the copy is taken', () => {
	it('as the response arrives, before afterResponse hooks; a body shortcut and a raw read both still get the whole body', async () => {
		const api = kit.make({
			hooks: { afterResponse: [({ response }) => new Response('{"rewritten":true}', { status: response.status, headers: response.headers })] },
		});
		const stored = next(api, 'cache:stored');
		expect(await api.get('taken/1').json()).toEqual({ rewritten: true });
		await stored;
		const records = await dump();
		expect(records).toContain('/taken/1');
		expect(records).not.toContain('rewritten'); // The origin's body, not the hook's.
		// Served stale: the stored origin response, as stale answers never run hooks.
		kit.mode = 'refuse';
		const stale = await api.get('taken/1');
		kit.mode = 'up';
		expect(isStale(stale)).toBe(true);
		expect(await stale.json()).toMatchObject({ path: '/taken/1' });
		const raw = await api.get('taken/2');
		expect(await raw.text()).toContain('rewritten');
	});
});

describe('invalidation (RFC 9111 §4.4)', () => {
	for (const method of ['post', 'put', 'patch', 'delete'] as const) {
		it(`a successful ${method.toUpperCase()} drops the stored copies of the URL in every partition; a failed one does not`, async () => {
			const path = `inv/${method}`;
			const api = kit.make({ staleCache: { shared: false } });
			await api.get(path).text();
			await next(api, 'cache:stored');
			await api.get(path, { headers: { authorization: 'Bearer x' } }).text();
			await next(api, 'cache:stored');
			kit.mode = 503;
			await api[method](path, { throwHttpErrors: false });
			expect(await kit.servedStale(api, path)).toBe(true);
			kit.mode = 'up';
			await api[method](path, { staleCache: false });
			expect(await kit.servedStale(api, path)).toBe(false);
			expect(await kit.servedStale(api, path, { headers: { authorization: 'Bearer x' } })).toBe(false);
		});
	}

	it('a copy taken before an invalidation is not written after it', async () => {
		// The GET's afterResponse hook holds the call: its copy is taken, its write waits for the
		// call to resolve, while a POST of the same URL succeeds and invalidates.
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const api = kit.make({ hooks: { afterResponse: [async ({ request }) => request.method === 'GET' ? held : undefined] } });
		const stored = collect(api, 'cache:stored');
		const read = api.get('inv/race').text();
		await vi.waitFor(() => expect(kit.hits('/inv/race')).toBe(1));
		await api.post('inv/race');
		release();
		await read;
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(api, 'inv/race')).toBe(false);
		expect(await dump()).not.toContain('inv/race');
	});

	it('a mutation runs no wrapper of the cache (it stays on ky\'s own promise), and still invalidates', async () => {
		const policy = staleCache({ shared: false });
		const wrapped: string[] = [];
		const watched: Policy<'staleCache'> = {
			slot: 'staleCache',
			create(context) {
				const parts = policy.create(context);
				return { ...parts, wrap: async (call, run) => {
					wrapped.push(call.method);
					return parts.wrap!(call, run);
				} };
			},
		};
		const api = createCore({ baseUrl: kit.url + '/', clock: kit.clock, store: () => kit.store, retry: 0, staleCache: watched });
		await api.get('inv/own').text();
		await next(api, 'cache:stored');
		for (const method of ['post', 'put', 'patch', 'delete'] as const) {
			await api[method]('inv/own');
		}

		expect(wrapped).toEqual(['GET']);
		expect(await kit.servedStale(api as never, 'inv/own')).toBe(false);
	});
});

describe('the key of a copy', () => {
	it('is r:<identity digest>~<digest of the client name and the credential lines, in the sensitive names\' order>~<URL without sensitive values>, whatever order the headers came in', async () => {
		const api = kit.make({ name: 'keys-test', sensitiveHeaders: ['a-token'], staleCache: { shared: false } });
		const stored = next(api, 'cache:stored');
		await api.get('keys/1?token=s3cret&page=2', { headers: { 'a-token': 't', authorization: 'Bearer a' } }).text();
		await stored;
		// The client's names first (credential headers), then the option's; the query's sensitive values last.
		const credentials = await sha256('keys-test\nauthorization:Bearer a\na-token:t\ntoken=s3cret\n');
		expect((await kit.store.keys()).filter((key) => key.startsWith('r:'))).toEqual([`r:~${credentials}~${kit.url}/keys/1?token=&page=2`]);
	});

	it('of a Request input: every credential and sensitive header in the names\' order whatever order they came in, a header given twice joined as fetch joins it (`, `)', async () => {
		const api = kit.make({ name: 'keys-test-2', sensitiveHeaders: ['X-Key', 'b-token'], staleCache: { shared: false } });
		const stored = next(api, 'cache:stored');
		const headers = [['x-key', 'k'], ['set-cookie', 'one=1'], ['b-token', 'b'], ['Cookie', 'c=3'], ['accept', 'text/plain'], ['set-cookie', 'two=2'], ['proxy-authorization', 'Basic p']] as Array<[string, string]>;
		// A Request as input keeps its headers as given (ky's options would merge them with `set`: one `Set-Cookie`).
		await api.get(new Request(`${kit.url}/keys/2`, { headers })).text();
		await stored;
		const asRead = new Headers(headers);
		const lines = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-key', 'b-token'].flatMap((name) => asRead.has(name) ? [`${name}:${asRead.get(name)}\n`] : []).join('');
		expect(lines).toBe('cookie:c=3\nproxy-authorization:Basic p\nset-cookie:one=1, two=2\nx-key:k\nb-token:b\n');
		const credentials = await sha256(`keys-test-2\n${lines}`);
		expect((await kit.store.keys()).filter((key) => key.startsWith('r:'))).toEqual([`r:~${credentials}~${kit.url}/keys/2`]);
	});
});

describe('a good answer whose body stalls mid-way (a server that stops sending): the copy\'s read is bounded by the call\'s timeout', () => {
	/** A 200 whose headers arrive and whose body never ends. */
	const stalled = (): Response => new Response(new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('{"id": 7, "more": "'));
		},
	}), { headers: { 'content-type': 'application/json' } });
	/** Whether every promise handed to `waitUntil` settled within `ms` (real time). */
	const settles = async (handed: Array<Promise<unknown>>, ms: number): Promise<boolean | string> =>
		Promise.race([Promise.allSettled(handed).then(() => true), new Promise<string>((resolve) => setTimeout(resolve, ms, `still pending after ${ms} ms`))]);

	for (const [name, options, ms] of [['timeout: 300', { timeout: 300 }, 3_000], ['per call timeout: 200', {}, 3_000]] as const) {
		it(`${name}: the background write (the call's waitUntil) ends, nothing stored, no storage:error`, { timeout: 20_000 }, async () => {
			const api = createClient({ name: `stalled-copy-${ms}`, store: memoryStore, retry: 0, breaker: false, ...options, fetch: async () => stalled() });
			const stored = collect(api, 'cache:stored');
			const errors = collect(api, 'storage:error');
			const handed: Array<Promise<unknown>> = [];
			const response = await api.get('https://api.example.com/stalled', { waitUntil: (promise) => void handed.push(promise), ...(name.startsWith('per call') ? { timeout: 200 } : {}) });
			expect(response.status).toBe(200);
			expect(handed.length).toBeGreaterThan(0);
			expect([await settles(handed, ms), stored.length, errors.length]).toEqual([true, 0, 0]);
			expect(await api.cache.list()).toEqual([]);
			void response.body?.cancel();
			api.close();
		});
	}

	it('timeout: false: the copy\'s read has no time bound, as ky reads the caller\'s body then (no 10 000 ms timer); stored once the body ends', async () => {
		let end!: () => void;
		const slow = (): Response => new Response(new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"id": 7'));
				end = () => {
					controller.enqueue(new TextEncoder().encode('}'));
					controller.close();
				};
			},
		}), { headers: { 'content-type': 'application/json' } });
		const armed: unknown[] = [];
		const original = globalThis.setTimeout;
		globalThis.setTimeout = ((handler: () => void, delay?: number, ...rest: unknown[]) => {
			armed.push(delay);
			return original(handler, delay, ...rest);
		}) as typeof globalThis.setTimeout;
		const api = createClient({ name: 'slow-copy-no-timeout', store: memoryStore, retry: 0, breaker: false, timeout: false, fetch: async () => slow() });
		const stored = collect(api, 'cache:stored');
		try {
			const response = await api.get('https://api.example.com/slow');
			expect(response.status).toBe(200);
			// The copy's read starts behind the caller: give it time to arm a timer (an absence needs a window).
			await new Promise((resolve) => original(resolve, 100));
			expect(stored).toHaveLength(0);
			// Before: a 10 000 ms bound armed for the copy's read of a call with no timeout.
			expect(armed.filter((delay) => delay === 10_000)).toEqual([]);
		} finally {
			globalThis.setTimeout = original;
		}

		end();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		api.close();
	});
});

describe('a good answer whose body fails mid-way (a connection reset) while the copy is read: no storage:error, nothing stored', () => {
	const reset = (): Response => resetMidway('{"id": 7, "more": "');

	it('the read\'s copy: the write behind the caller ends quietly (a network failure is no storage fault)', async () => {
		const api = createClient({ name: 'reset-copy', store: memoryStore, retry: 0, breaker: false, fetch: async () => reset() });
		const stored = collect(api, 'cache:stored');
		const errors = collect(api, 'storage:error');
		const handed: Array<Promise<unknown>> = [];
		const response = await api.get('https://api.example.com/reset', { waitUntil: (promise) => void handed.push(promise) });
		expect(response.status).toBe(200);
		await expect(response.text()).rejects.toThrow();
		expect(handed.length).toBeGreaterThan(0);
		await Promise.allSettled(handed);
		// Before: storage:error [{ operation: 'background', ... TypeError: network error: connection reset }].
		expect([stored.length, errors.map(({ operation, error }) => `${operation}: ${String(error)}`)]).toEqual([0, []]);
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});
