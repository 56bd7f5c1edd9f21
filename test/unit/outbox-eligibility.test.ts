/**
 * Which writes the outbox takes (API.md "Outbox", issue 33): a write whose final URL — after
 * `prefix`/`baseUrl` and `searchParams`, the client's and the call's — carries a sensitive query
 * parameter (a presigned upload) is never stored: it is sent as with `outbox: false`, decided before
 * any body is read or limited. `OutboxFullError` only when a write must be stored and cannot be: a
 * write that can go out is sent. A URL the outbox could never replay (not http or https) is an
 * `InvalidRequestError` before any I/O.
 */
import { describe, expect, it } from 'vitest';
import { HTTPError, InvalidRequestError, OutboxFullError, OutboxQueuedError } from '../../src/entries/index.js';
import { type Harness, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const stream = (text: string) => new ReadableStream<Uint8Array>({
	start(controller) {
		controller.enqueue(new TextEncoder().encode(text));
		controller.close();
	},
});
const applied = (id: string) => h.state.applied.get(id)?.map((write) => write.body) ?? [];
const stored = async () => (await h.store.keys()).filter((key) => /^[pd]\|/.test(key));

describe('a presigned upload goes out as with outbox: false', () => {
	it('a 2 MiB body to a URL with X-Amz-Signature is sent, online or offline, and never stored', async () => {
		const api = h.make({ outbox: true });
		const body = new Uint8Array(2 * 1_048_576).fill(97);
		expect((await api.put('mutate?id=presigned&X-Amz-Signature=abc', { body })).status).toBe(201); // before: OutboxFullError
		win.setOnline(false, false, true); // navigator.onLine says offline, wrongly
		expect((await api.put('mutate?id=presigned&X-Amz-Signature=def', { body })).status).toBe(201);
		expect(applied('presigned').map((text) => text.length)).toEqual([2 * 1_048_576, 2 * 1_048_576]);
		expect(await stored()).toEqual([]);
	});

	it('a stream body to a presigned URL is sent (before: InvalidRequestError); a 503 is thrown as is, never queued', async () => {
		const api = h.make({ outbox: true });
		expect((await api.put('mutate?id=presigned-stream&sig=abc', { body: stream('streamed') })).status).toBe(201);
		expect(applied('presigned-stream')).toEqual(['streamed']);
		await expect(api.put('mutate?id=presigned-503&sig=abc&fail=503', { body: stream('x') })).rejects.toBeInstanceOf(HTTPError);
		expect(await stored()).toEqual([]);
	});

	const variants: Array<[string, (harness: Harness) => ReturnType<Harness['make']>, (api: ReturnType<Harness['make']>, id: string) => Promise<Response>]> = [
		['the call\'s searchParams (object)', (harness) => harness.make({ outbox: true }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id), searchParams: { 'X-Amz-Signature': 'abc' } })],
		['the call\'s searchParams (string)', (harness) => harness.make({ outbox: true }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id), searchParams: '?x-amz-signature=abc' })],
		['the call\'s searchParams (URLSearchParams)', (harness) => harness.make({ outbox: true }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id), searchParams: new URLSearchParams({ Signature: 'abc' }) })],
		['the call\'s searchParams (pairs)', (harness) => harness.make({ outbox: true }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id), searchParams: [['sig', 'abc']] })],
		['the client\'s searchParams', (harness) => harness.make({ outbox: true, searchParams: { token: 't' } }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id) })],
		['the input, under a prefix', (harness) => harness.make({ outbox: true, baseUrl: '', prefix: `${harness.api.url}/` }), async (api, id) => api.put(`/mutate?id=${id}&X-Goog-Signature=abc`, { body: stream(id) })],
		['the prefix and the call\'s searchParams', (harness) => harness.make({ outbox: true, baseUrl: '', prefix: harness.api.url }), async (api, id) => api.put(`mutate?id=${id}`, { body: stream(id), searchParams: { api_key: 'k' } })],
		['a URL input', (harness) => harness.make({ outbox: true }), async (api, id) => api.put(new URL(`${h.api.url}/mutate?id=${id}&secre%74=s`), { body: stream(id) })],
		['a Request input', (harness) => harness.make({ outbox: true }), async (api, id) => api(new Request(`${h.api.url}/mutate?id=${id}&password=p`, { method: 'PUT', body: stream(id), duplex: 'half' } as RequestInit))],
	];

	it.each(variants)('the sensitive parameter in %s: sent offline, with its stream body, never stored', async (_name, make, run) => {
		const api = make(h);
		const id = `presigned-${Math.random().toString(36).slice(2)}`;
		win.setOnline(false, false, true); // navigator.onLine says offline, wrongly
		expect((await run(api, id)).status).toBe(201);
		expect(applied(id)).toEqual([id]);
		expect(await stored()).toEqual([]);
	});

	it('a call whose searchParams remove the client\'s sensitive parameter is an ordinary write: queued offline, stored without it', async () => {
		const api = h.make({ outbox: true, searchParams: { token: 't' } });
		win.setOnline(false, false);
		await expect(api.put('mutate?id=unsigned', { body: 'x', searchParams: { token: undefined } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${h.api.url}/mutate?id=unsigned`]);
	});
});

describe('OutboxFullError only when a write must be stored and cannot be', () => {
	it('a body over maxBodyBytes: sent when it can go out; offline, OutboxFullError before any I/O; failing, OutboxFullError with the failure as cause', async () => {
		const api = h.make({ outbox: { maxBodyBytes: 16 } });
		const body = 'x'.repeat(64);
		expect((await api.post('mutate?id=big', { body })).status).toBe(201); // before: OutboxFullError
		expect(applied('big')).toEqual([body]);
		const failed = await api.post('mutate?id=big-503&fail=503', { body }).catch((error: unknown) => error);
		expect(failed).toBeInstanceOf(OutboxFullError);
		expect((failed as Error).cause).toBeInstanceOf(HTTPError);
		win.setOnline(false, false);
		const seen = h.seen.length;
		await expect(api.post('mutate?id=big-offline', { json: { body } })).rejects.toBeInstanceOf(OutboxFullError);
		expect(h.seen).toHaveLength(seen);
		expect(await stored()).toEqual([]);
	});

	it('at maxEntries: a write that can go out is sent; one that must wait (offline, or behind its scope) is OutboxFullError', async () => {
		const api = h.make({ outbox: { maxEntries: 1 } });
		await expect(api.post('mutate?id=full-a&fail=503')).rejects.toBeInstanceOf(OutboxQueuedError);
		const other = h.api.url.replace('127.0.0.1', 'localhost'); // another scope, nothing pending there
		expect((await api.post(`${other}/mutate?id=full-b`, { json: { n: 1 } })).status).toBe(201); // before: OutboxFullError
		await expect(api.post(`${other}/mutate?id=full-c&fail=503`)).rejects.toBeInstanceOf(OutboxFullError);
		const seen = h.seen.length;
		await expect(api.post('mutate?id=full-a')).rejects.toBeInstanceOf(OutboxFullError); // behind the pending entry
		win.setOnline(false, false);
		await expect(api.post(`${other}/mutate?id=full-d`)).rejects.toBeInstanceOf(OutboxFullError);
		expect(h.seen).toHaveLength(seen);
		expect(await api.outbox.size()).toBe(1);
	});
});

describe('a URL the outbox could never replay', () => {
	it.each(['ftp://example.com/upload', 'javascript:alert(1)', 'data:text/plain,x', 'file:///tmp/x', 'ws://example.com/x'])('%s: InvalidRequestError before any I/O, nothing stored', async (url) => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:queued');
		await expect(api.post(url, { json: { n: 1 } })).rejects.toBeInstanceOf(InvalidRequestError); // before: queued
		await expect(api(url, { method: 'PROPPATCH', outbox: true })).rejects.toBeInstanceOf(InvalidRequestError); // A write outside `methods`.
		expect(h.seen).toEqual([]);
		expect(events).toEqual([]);
		expect(await stored()).toEqual([]);
	});
});
