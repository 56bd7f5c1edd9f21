/**
 * Defect hunt, thirty-fifth round (offline writes for real apps).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { harnessEachTest, queued, throwIfOffline, until } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

let sent: string[];
let bodies: string[];
let nextId: number;
const todoApi = () => async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	const url = new URL(request.url);
	sent.push(`${request.method} ${url.pathname}${url.search} ${request.headers.get('x-ref')}`);
	bodies.push(`${request.method} ${await request.clone().text()}`);
	return request.method === 'POST' ? Response.json({ id: nextId++ }, { status: 201 }) : Response.json({ ok: true });
};

beforeEach(() => {
	sent = [];
	bodies = [];
	nextId = 100;
});

describe('a placeholder followed by digits', () => {
	it('in the URL, a header and a json string: held behind its entry, replaced', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const ref = api.outbox.ref(made, '/id');
		const child = await queued(api.patch(`todos/${ref}7`, { headers: { 'x-ref': `${ref}7` }, json: { note: `${ref}7` } }));
		// Before: undefined (not held behind its entry), then sent with the placeholder as written.
		expect((await api.outbox.list()).find((entry) => entry.id === child)?.dependsOn).toEqual([made]);
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.slice(1)).toEqual(['PATCH /todos/1007 1007']);
		expect(bodies.slice(1)).toEqual(['PATCH {"note":"1007"}']);
	});

	it('of a delivered entry: sent at once with the value', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const ref = api.outbox.ref(made, '/id');
		win.setOnline(true, false);
		await api.outbox.flush();
		await (await api.patch(`todos/${ref}7`, { headers: { 'x-ref': `${ref}7` }, json: { note: `${ref}7` } })).text();
		// Before: 'PATCH /todos/steadfetch-ref-<nonce>-07 steadfetch-ref-<nonce>-07'.
		expect(sent.slice(1)).toEqual(['PATCH /todos/1007 1007']);
		expect(bodies.slice(1)).toEqual(['PATCH {"note":"1007"}']);
	});
});
