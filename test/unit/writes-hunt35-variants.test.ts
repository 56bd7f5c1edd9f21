/**
 * Defect hunt, thirty-fifth round (offline writes for real apps): a placeholder of `outbox.ref()` followed by digits (API.md
 * "Writes that depend on earlier writes": usable anywhere in a later call's URL, headers or `json` body; inside a longer string,
 * the value's string form), a value of the answer holding a lone surrogate put in a URL or a form body (URL-encoded), and kept
 * values read from storage with no JSON form (distrusted: a 'parent' dead letter, never a write stuck for good).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { harnessEachTest, queued, spyStore, throwIfOffline, until } from './outbox-helpers.js';

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

describe('a value holding a lone surrogate (the server\'s JSON may: "\\ud800") in the URL or a form body', () => {
	/** A todo API whose POST answers an id holding a lone surrogate. */
	const surrogateApi = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
		throwIfOffline();
		const request = input as Request;
		const url = new URL(request.url);
		sent.push(`${request.method} ${url.pathname} ${await request.clone().text()}`);
		return request.method === 'POST' ? new Response('{"id":"a\\ud800b"}', { status: 201, headers: { 'content-type': 'application/json' } }) : Response.json({ ok: true });
	};
	const put = (api: ReturnType<typeof h.make>, ref: string) => api.put(`todos/${ref}`, { body: new URLSearchParams({ id: ref }) });

	it('of a pending entry: replayed, URL-encoded as URL and URLSearchParams encode it (U+FFFD\'s bytes)', async () => {
		const api = h.make({ fetch: surrogateApi });
		const errors = h.record(api, 'storage:error');
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		await queued(put(api, api.outbox.ref(made, '/id')));
		win.setOnline(true);
		await api.outbox.flush();
		// Before: never sent nor dead, a storage:error 'URI malformed' at each pass (its scope held behind it for good).
		await until(async () => (await api.outbox.size()) === 0, 10_000);
		expect(sent.slice(1)).toEqual(['PUT /todos/a%EF%BF%BDb id=a%EF%BF%BDb']);
		expect(errors).toEqual([]);
	});

	it('of a delivered entry: sent at once so, never a raw URIError', async () => {
		const api = h.make({ fetch: surrogateApi });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const ref = api.outbox.ref(made, '/id');
		win.setOnline(true, false);
		await api.outbox.flush();
		// Before: rejected with a URIError ('URI malformed'), nothing sent.
		expect(await put(api, ref).then((response) => response.status)).toBe(200);
		expect(sent.slice(1)).toEqual(['PUT /todos/a%EF%BF%BDb id=a%EF%BF%BDb']);
	});
});

describe('kept values read from storage with no JSON form (a BigInt, undefined: IndexedDB keeps both; a corrupt write)', () => {
	for (const planted of [10n, undefined]) {
		it(`${String(planted)}: the dependent is a 'parent' dead letter, never sent, its scope not held`, async () => {
			// The kept values (`v|<id>`) written with the value at '/id' replaced, as a corrupt write would leave them.
			const store = spyStore(h.store, {
				set: async (key, value, run) => {
					if (key.startsWith('v|')) {
						(value as { values: Record<string, unknown> }).values['/id'] = planted;
					}

					return run();
				},
			});
			const api = h.make({ fetch: todoApi(), store: () => store });
			const errors = h.record(api, 'storage:error');
			win.setOnline(false, false);
			const made = await queued(api.post('todos', { json: { title: 'a' } }));
			const child = await queued(api.put(`todos/${api.outbox.ref(made, '/id')}`, { json: {} }));
			win.setOnline(true, false);
			await api.outbox.flush();
			// Before: pending for good (size 1, no dead letter), a storage:error at each pass ('Do not know how to serialize a BigInt',
			// "Cannot read properties of undefined (reading 'replace')").
			await until(async () => (await api.outbox.deadLetters()).length === 1, 10_000);
			expect(await api.outbox.deadLetters()).toEqual([expect.objectContaining({ id: child, deadReason: 'parent' })]);
			expect(await api.outbox.size()).toBe(0);
			expect(errors).toEqual([]);
			expect(sent).toEqual([expect.stringMatching(/^POST \/todos /)]);
		});
	}
});
