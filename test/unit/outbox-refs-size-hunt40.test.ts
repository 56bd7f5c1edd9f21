/**
 * A dependent write whose body is under `maxBodyBytes` while queued (a placeholder) and over it once the earlier write's
 * value is filled in: sent with the value, never lost. `maxBodyBytes` bounds what the outbox stores; the filled body is
 * never stored (the record keeps the placeholder), and a value is bounded by the answer's read (10 MiB).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeWindow, queued, startHarness, throwIfOffline, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
let sent: Array<{ method: string; bytes: number; body: string }>;

const big = 'x'.repeat(5000);
/** POST answers `{ id: 1, big }` (5 000 characters); any other write `{ ok: true }`. */
const api = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	const body = request.body ? await request.clone().text() : '';
	sent.push({ method: request.method, bytes: new TextEncoder().encode(body).byteLength, body });
	return request.method === 'POST' ? Response.json({ id: 1, big }, { status: 201 }) : Response.json({ ok: true });
};

beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
	sent = [];
});
afterEach(async () => {
	win.restore();
	await h.close();
});

describe('a dependent write over maxBodyBytes once its placeholders are filled', () => {
	it.each([
		['json', (value: string) => ({ json: { note: value } })],
		['a text body', (value: string) => ({ body: `note=${value}`, headers: { 'content-type': 'text/plain' } })],
		['a form body', (value: string) => ({ body: new URLSearchParams({ note: value }) })],
	] as const)('%s: queued under the bound, replayed with the value (over it), delivered, no dead letter', async (_name, init) => {
		const client = h.make({ fetch: api, outbox: { maxBodyBytes: 1000 } });
		const events = h.record(client, 'outbox:sent', 'outbox:dead');
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		await queued(client.put('notes/1', init(client.outbox.ref(parent, '/big')) as never));
		win.setOnline(true);
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		const put = sent.find((each) => each.method === 'PUT')!;
		expect([put.bytes > 1000, put.body.includes(big), events.filter((event) => event.type === 'outbox:dead').length, (await client.outbox.deadLetters()).length]).toEqual([true, true, 0, 0]);
	});

	it('made after the earlier write was delivered (its value kept): its first attempt goes out with the value too', async () => {
		const client = h.make({ fetch: api, outbox: { maxBodyBytes: 1000 } });
		win.setOnline(false, false);
		const parent = await queued(client.post('todos', { json: { title: 'a' } }));
		const ref = client.outbox.ref(parent, '/big'); // asked before the delivery: its value is kept
		win.setOnline(true);
		await client.outbox.flush();
		await until(async () => (await client.outbox.size()) === 0);
		const response = await client.put('notes/1', { json: { note: ref } });
		expect([response.status, sent.at(-1)!.bytes > 1000, sent.at(-1)!.body.includes(big)]).toEqual([200, true, true]);
	});
});
