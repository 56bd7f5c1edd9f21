/**
 * A replay is the same request: the bytes the first attempt sends are the bytes stored (the
 * client's `stringifyJson`, a multipart boundary), a body is read no further than `maxBodyBytes`,
 * bad bodies are typed errors before any I/O, and FIFO holds across clients of one name.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, OutboxFullError, classify } from '../../src/entries/index.js';
import { auth } from '../../src/auth/index.js';
import { fakeWindow, startHarness, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let window: ReturnType<typeof fakeWindow>;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(async () => h.close());
afterEach(() => window?.restore());

const bodiesFor = (id: string) => h.seen.filter((request) => request.url.includes(`id=${id}`) && request.method !== 'GET');

describe('outbox: a replay is byte-identical to the first attempt', () => {
	it('uses the client\'s stringifyJson, and a serializer that changes its output sends the stored text', async () => {
		let calls = 0;
		// A serializer whose output differs on every call: only one serialization may ever be sent.
		const stringifyJson = (value: unknown) => JSON.stringify({ ...value as object, n: ++calls });
		const api = h.make({ outbox: true, stringifyJson });
		const queued = await api.post('mutate?id=json-bytes&fail=503&times=1', { json: { a: 1 } }).catch((error: unknown) => error);
		expect(classify(queued).code).toBe('QUEUED');
		h.clock.advance(1_000); // The entry's backoff.
		await api.outbox.flush();
		await until(() => (h.state.applied.get('json-bytes') ?? []).length === 1);
		const sent = bodiesFor('json-bytes');
		expect(sent).toHaveLength(2);
		expect(sent[1]!.body).toBe(sent[0]!.body);
		expect(sent[0]!.body).toBe('{"a":1,"n":1}');
		expect(sent[1]!.headers['idempotency-key']).toBe(sent[0]!.headers['idempotency-key']);
		expect(sent[0]!.headers['content-type']).toBe('application/json');
	});

	it('a multipart body replays with the boundary of the first attempt', async () => {
		const api = h.make({ outbox: true });
		const form = new FormData();
		form.set('field', 'value');
		expect(classify(await api.post('mutate?id=multipart&fail=503&times=1', { body: form }).catch((error: unknown) => error)).code).toBe('QUEUED');
		h.clock.advance(1_000);
		await api.outbox.flush();
		await until(() => (h.state.applied.get('multipart') ?? []).length === 1);
		const sent = bodiesFor('multipart');
		expect(sent).toHaveLength(2);
		expect(sent[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		expect(sent[1]!.headers['content-type']).toBe(sent[0]!.headers['content-type']);
		expect(sent[1]!.body).toBe(sent[0]!.body);
	});

	it('a header of the client\'s that the call removed (`undefined`) stays off the replay, a sensitive one too', async () => {
		const api = h.make({ outbox: true, headers: { 'x-client': 'yes', authorization: 'Bearer default', 'x-kept': 'k' } });
		const removed = { 'x-client': undefined, Authorization: undefined };
		expect(classify(await api.post('mutate?id=removed&fail=503&times=1', { json: { a: 1 }, headers: removed }).catch((error: unknown) => error)).code).toBe('QUEUED');
		h.clock.advance(1_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		const sent = h.sentOf('removed').map((request) => [request.headers['x-client'], request.headers['authorization'], request.headers['x-kept']]);
		expect(sent).toEqual([[undefined, undefined, 'k'], [undefined, undefined, 'k']]);
	});

	it('a header of the client\'s the call removed stays off the replay of a client made after a reload', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const headers = { 'x-client': 'yes', authorization: 'Bearer default' };
		const before = h.make({ outbox: true, headers, name: 'removed-reload' });
		expect(classify(await before.put('mutate?id=removed-reload', { json: { a: 1 }, headers: { 'X-Client': undefined, authorization: undefined } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		before.close();
		window.setOnline(true, false);
		const after = h.make({ outbox: true, headers, name: 'removed-reload' });
		expect(await after.outbox.flush()).toMatchObject({ sent: 1 });
		expect(h.sentOf('removed-reload').map((request) => [request.headers['x-client'], request.headers['authorization']])).toEqual([[undefined, undefined]]);
	});

	it('a replay by another client of the name (an `extend()`ed one, a tab of a newer app) adds none of its own default headers the first attempt did not carry', async () => {
		const api = h.make({ outbox: true, headers: { 'x-app': '1' } });
		expect(classify(await api.post('mutate?id=other-defaults&fail=503&times=1', { json: { a: 1 } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		const admin = api.extend({ headers: { 'x-admin': 'yes', 'x-app': '2', 'Content-Type': 'text/plain' } });
		h.clock.advance(1_000);
		expect(await admin.outbox.flush()).toMatchObject({ sent: 1 });
		const sent = h.sentOf('other-defaults').map((request) => [request.headers['x-admin'], request.headers['x-app'], request.headers['content-type'], request.body]);
		expect(sent).toEqual([[undefined, '1', 'application/json', '{"a":1}'], [undefined, '1', 'application/json', '{"a":1}']]);
	});

	it('a replay goes to the URL stored: the client\'s default searchParams (in it since the first attempt) are not added again, nor another client\'s of the name', async () => {
		const api = h.make({ outbox: true, searchParams: { v: '2' } });
		expect(classify(await api.post('mutate?id=client-params&fail=503&times=1', { json: { a: 1 } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		expect(classify(await api.post('mutate', { json: { a: 2 }, searchParams: { id: 'call-params' } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		const stored = (await api.outbox.list()).map(({ url }) => new URL(url).search);
		expect(stored).toEqual(['?id=client-params&fail=503&times=1&v=2', '?v=2&id=call-params']);
		h.clock.advance(1_000);
		expect(await api.extend({ searchParams: { tenant: 't' } }).outbox.flush()).toMatchObject({ sent: 2 });
		const sent = [...h.sentOf('client-params'), ...h.sentOf('call-params')].map(({ url }) => new URL(url).search);
		expect(sent).toEqual([stored[0], stored[0], stored[1]]);
	});

	it('a call made with `auth: false` or its own `credentials` is replayed so: no token, the same credentials mode', async () => {
		const sent: Array<[string, string | null, RequestCredentials]> = [];
		const api = h.make({
			outbox: true, credentials: 'include', auth: auth({ token: () => 'T', refresh: () => undefined, origins: '*' }),
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
				const request = input as Request;
				sent.push([new URL(request.url).searchParams.get('id')!, request.headers.get('authorization'), request.credentials]);
				return fetch(request, init);
			},
		});
		expect(classify(await api.post('mutate?id=no-auth&fail=503&times=1', { json: { a: 1 }, auth: false }).catch((error: unknown) => error)).code).toBe('QUEUED');
		expect(classify(await api.post('mutate?id=omit', { json: { a: 1 }, credentials: 'omit' }).catch((error: unknown) => error)).code).toBe('QUEUED');
		h.clock.advance(1_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		// The second is held behind the first (FIFO): its replay is its first attempt.
		expect(sent).toEqual([['no-auth', null, 'include'], ['no-auth', null, 'include'], ['omit', 'Bearer T', 'omit']]);
	});

	it('a call\'s own fetch options (redirect, referrerPolicy, mode, cache) are its replay\'s too, over the client\'s', async () => {
		const sent: Array<[string, string, string, string, string]> = [];
		const api = h.make({
			outbox: true, redirect: 'follow', referrerPolicy: 'origin',
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
				const request = input as Request;
				sent.push([new URL(request.url).searchParams.get('id')!, request.redirect, request.referrerPolicy, request.mode, request.cache]);
				return fetch(request, init);
			},
		});
		const own = { redirect: 'error', referrerPolicy: 'no-referrer', mode: 'same-origin', cache: 'no-store' } as const;
		expect(classify(await api.post('mutate?id=init&fail=503&times=1', { json: { a: 1 }, ...own }).catch((error: unknown) => error)).code).toBe('QUEUED');
		h.clock.advance(1_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(sent).toEqual([['init', 'error', 'no-referrer', 'same-origin', 'no-store'], ['init', 'error', 'no-referrer', 'same-origin', 'no-store']]);
	});

	it('a json body that cannot be serialized is an InvalidRequestError before any I/O', async () => {
		const api = h.make({ outbox: true });
		const cycle: Record<string, unknown> = {};
		cycle['self'] = cycle;
		const before = h.seen.length;
		const size = await api.outbox.size();
		for (const json of [{ n: 1n }, cycle]) {
			const error = await api.post('mutate?id=bad-json', { json }).catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(classify(error).code).toBe('INVALID_REQUEST');
		}

		expect(h.seen.length).toBe(before);
		expect(await api.outbox.size()).toBe(size);
	});

	it('a Request whose streamed body is over maxBodyBytes, offline, is refused once the limit is passed, not read whole', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const api = h.make({ outbox: { maxBodyBytes: 1024 } });
		let pulled = 0;
		const chunk = new Uint8Array(256);
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled += chunk.byteLength;
				controller.enqueue(chunk);
				if (pulled >= 10 * 1024 * 1024) {
					controller.close();
				}
			},
		});
		const request = new Request(`${h.api.url}/mutate?id=stream`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
		await expect(api(request)).rejects.toBeInstanceOf(OutboxFullError);
		// A tee reads ahead a little; far from the 10 MiB the source could give.
		expect(pulled).toBeLessThan(64 * 1024);
	});
});

describe('outbox: FIFO across clients of one name', () => {
	it('two clients writing alternately within one millisecond replay in the order written', async () => {
		window = fakeWindow();
		window.setOnline(false, false);
		const a = h.make({ outbox: true, name: 'fifo-two' });
		const b = h.make({ outbox: true, name: 'fifo-two' });
		for (let index = 0; index < 10; index++) {
			const client = index % 2 === 0 ? a : b;
			expect(classify(await client.post('mutate?id=fifo-two', { json: { index } }).catch((error: unknown) => error)).code).toBe('QUEUED');
		}

		window.setOnline(true);
		await until(() => (h.state.applied.get('fifo-two') ?? []).length === 10);
		expect(h.state.applied.get('fifo-two')!.map(({ body }) => (JSON.parse(body) as { index: number }).index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
	});
});
