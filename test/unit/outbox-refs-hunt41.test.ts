/**
 * Defect hunt, forty-first round: a dependent write (`outbox.ref()`) is stored as queued, within the outbox's bounds, and
 * its placeholders are filled from the kept values as it is replayed. A filled write may be past those bounds (an earlier
 * write's answer of 5 000 characters in a body of `maxBodyBytes: 1000`, or of more than 1 MiB in a header): it is sent so
 * (the bound is the store's: test/unit/outbox-refs-size-hunt40.test.ts), but a replay that fails (a 503, a 400) never
 * writes the filled record back over the bound — it keeps the record as queued, filled again at its next replay.
 * Memory store, injected clock, a test transport.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeWindow, queued, startHarness, throwIfOffline, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
let sent: Array<{ method: string; bytes: number; body: string; note: string | null }>;
/** The status of the next answers to a write but a POST, in order; then 200. */
let statuses: number[];

const big = 'x'.repeat(5000);
const huge = 'y'.repeat(1_100_000);
/** POST answers `{ id: 1, big, huge }`; any other write the next of `statuses`, else `{ ok: true }`. */
const api = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	const body = request.body ? await request.clone().text() : '';
	sent.push({ method: request.method, bytes: new TextEncoder().encode(body).byteLength, body, note: request.headers.get('x-note') });
	if (request.method === 'POST') {
		return Response.json({ id: 1, big, huge }, { status: 201 });
	}

	const status = statuses.shift() ?? 200;
	return status === 200 ? Response.json({ ok: true }) : new Response(null, { status });
};

beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
	sent = [];
	statuses = [];
});
afterEach(async () => {
	win.restore();
	await h.close();
});

const bodies = [
	['json', (value: string) => ({ json: { note: value } })],
	['a text body', (value: string) => ({ body: `note=${value}`, headers: { 'content-type': 'text/plain' } })],
	['a form body', (value: string) => ({ body: new URLSearchParams({ note: value }) })],
] as const;

describe('a dependent write whose filled body is over maxBodyBytes, its replay failing', () => {
	it.each(bodies)('%s, answered 503: stored as queued (within the bound), then delivered with the value', async (_name, init) => {
		const client = h.make({ fetch: api, outbox: { maxBodyBytes: 1000 } });
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		await queued(client.put('notes/1', init(client.outbox.ref(parent, '/big')) as never));
		const queuedBytes = (await client.outbox.list())[1]!.bodyBytes;
		statuses = [503];
		win.setOnline(true);
		await client.outbox.flush();
		// Before: the filled body written back, 5 000 bytes and more where the bound is 1 000.
		const [entry] = await client.outbox.list();
		expect([entry!.bodyBytes, (await client.outbox.stats()).bytes]).toEqual([queuedBytes, queuedBytes]);
		expect(entry!.bodyBytes).toBeLessThanOrEqual(1000);
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		const puts = sent.filter((each) => each.method === 'PUT');
		expect(puts.map((each) => each.body.includes(big))).toEqual([true, true]);
		expect(puts[1]!.body).toBe(puts[0]!.body); // Each replay sends the same bytes.
		expect((await client.outbox.deadLetters()).length).toBe(0);
	});

	it('json, answered 400: its dead letter keeps the body as queued; retry(id) sends it with the value', async () => {
		const client = h.make({ fetch: api, outbox: { maxBodyBytes: 1000 } });
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		const id = await queued(client.put('notes/1', { json: { note: client.outbox.ref(parent, '/big') } }));
		statuses = [400];
		win.setOnline(true);
		await client.outbox.flush();
		const [dead] = await client.outbox.deadLetters();
		// Before: 5 000 bytes and more.
		expect([dead!.id, dead!.deadReason, dead!.bodyBytes <= 1000]).toEqual([id, 'rejected', true]);
		await client.outbox.retry(id);
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		expect(sent.filter((each) => each.method === 'PUT').map((each) => each.body.includes(big))).toEqual([true, true]);
	});
});

describe('a dependent FormData (a text field taking the value, a file part): its text past maxBodyBytes once filled', () => {
	const file = new Uint8Array(2000).map((_, index) => index % 251);
	it.each([['the value over the bound', '/big'], ['a value within it (the whole body over maxBodyBytes by its file)', '/id']] as const)('%s, answered 503: each replay sends the same bytes, the store holds the form as queued', async (_name, pointer) => {
		const client = h.make({ fetch: api, outbox: { maxBodyBytes: 1000 } });
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		const form = new FormData();
		form.append('note', client.outbox.ref(parent, pointer));
		form.append('photo', new File([file], 'a.bin', { type: 'application/octet-stream' }));
		await queued(client.put('notes/1', { body: form }));
		const queuedBytes = (await client.outbox.list())[1]!.bodyBytes;
		statuses = [503];
		win.setOnline(true);
		await client.outbox.flush();
		const [entry] = await client.outbox.list();
		// Before (the value over the bound): the filled form written back, its text 5 000 bytes and more. (A value shorter
		// than its placeholder may be written back filled: the form is then smaller than queued.)
		expect(entry!.bodyBytes).toBeLessThanOrEqual(queuedBytes);
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		const puts = sent.filter((each) => each.method === 'PUT');
		expect(puts.map((each) => each.body.includes(pointer === '/big' ? big : 'name="note"\r\n\r\n1\r\n'))).toEqual([true, true]);
		expect(puts[1]!.body).toBe(puts[0]!.body);
	});
});

describe('a dependent write whose filled header is past what the outbox stores (1 MiB of headers), its replay failing', () => {
	it('answered 503: kept pending as queued, then delivered with the value (not an unreadable dead letter)', async () => {
		const client = h.make({ fetch: api });
		const events = h.record(client, 'outbox:dead');
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		await queued(client.put('notes/1', { json: {}, headers: { 'x-note': client.outbox.ref(parent, '/huge') } }));
		statuses = [503];
		win.setOnline(true);
		await client.outbox.flush();
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		// Before: written back with the 1.1 MB header, read back as malformed: a 'rejected' dead letter, "Unreadable".
		expect(events.map((event) => (event as { entryId?: string }).entryId)).toEqual([]);
		expect(sent.filter((each) => each.method === 'PUT').map((each) => each.note === huge)).toEqual([true, true]);
	});
});
