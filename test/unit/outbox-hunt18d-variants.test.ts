/**
 * Defect hunt, round 18 (offline writes for real apps): an `outbox.ref()` placeholder in a body other than `json` — a
 * FormData's text field (an attachment uploaded for a todo made offline), a text body (JSON the app serialized
 * itself), a `URLSearchParams` form — was neither seen nor replaced: the write was queued without `dependsOn` and sent
 * with the placeholder text itself (`parent=steadfetch-ref-…`), also once the entry was delivered.
 */
import { describe, expect, it } from 'vitest';
import { harnessEachTest, queued, throwIfOffline, until } from './outbox-helpers.js';

let sent: Array<{ method: string; url: string; type: string; body: Uint8Array<ArrayBuffer> }>;
let nextId: number;
/** POST /todos answers `{ id, tag: 'a b/<id>', obj: {...} }`; any other write `{ ok: true }`. */
const todoApi = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	sent.push({ method: request.method, url: request.url, type: request.headers.get('content-type') ?? '', body: new Uint8Array(await request.clone().arrayBuffer()) });
	if (request.method === 'POST' && request.url.endsWith('/todos')) {
		const id = nextId++;
		return Response.json({ id, tag: `a b/${id}&x=1`, obj: { a: 1 } }, { status: 201 });
	}

	return Response.json({ ok: true });
};

/** Each test's harness and window (outbox-helpers.ts); its requests and ids start over. */
const { h, win } = harnessEachTest(() => {
	sent = [];
	nextId = 100;
});

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** Bytes no UTF-8 decoder gives back as they are (a JPEG's start, a lone continuation byte). */
const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x80, 0x00, 0x0d, 0x0a, 0xc3]);
const holds = (bytes: Uint8Array, part: Uint8Array): boolean => bytes.some((_, start) => part.every((byte, index) => bytes[start + index] === byte));

/** A FormData with the todo's id, a label and a photo (its bytes no valid UTF-8). */
const formOf = (id: string, tag: string): FormData => {
	const form = new FormData();
	form.set('todo', id);
	form.set('label', `photo of ${tag}`);
	form.set('photo', new File([photo], 'p.jpg', { type: 'image/jpeg' }));
	return form;
};

describe('a placeholder in a body other than json (FormData text, a text body, URLSearchParams)', () => {
	it('a FormData text field: the write waits for its entry (dependsOn) and is replayed with the value, its files byte-identical', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const child = await queued(api.post('attachments', { body: formOf(api.outbox.ref(parent, '/id'), api.outbox.ref(parent, '/tag')) }));
		expect((await api.outbox.list()).find((each) => each.id === child)?.dependsOn).toEqual([parent]);
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${new URL(each.url).pathname}`)).toEqual(['POST /todos', 'POST /attachments']);
		const upload = sent[1]!;
		const form = await new Response(upload.body, { headers: { 'content-type': upload.type } }).formData();
		expect([form.get('todo'), form.get('label')]).toEqual(['100', 'photo of a b/100&x=1']);
		expect(new Uint8Array(await (form.get('photo') as File).arrayBuffer())).toEqual(photo);
		expect(text(upload.body)).not.toContain('steadfetch-ref-');
	});

	it('a text body the app serialized as JSON (Content-Type application/json): the value in place as in a json body', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const id = api.outbox.ref(parent, '/id');
		await queued(api.post('notes', { body: JSON.stringify({ todo: id, deep: [{ of: [id] }], text: `for ${id}` }), headers: { 'content-type': 'application/json' } }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => text(each.body))).toEqual(['{"title":"a"}', '{"todo":100,"deep":[{"of":[100]}],"text":"for 100"}']);
	});

	it('a URLSearchParams body: the value form-encoded; a text/plain body: its string form', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		await queued(api.post('forms', { body: new URLSearchParams({ todo: api.outbox.ref(parent, '/id'), tag: api.outbox.ref(parent, '/tag') }) }));
		await queued(api.post('logs', { body: `made ${api.outbox.ref(parent, '/tag')}` }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const [, form, log] = sent;
		expect(Object.fromEntries(new URLSearchParams(text(form!.body)))).toEqual({ todo: '100', tag: 'a b/100&x=1' });
		expect(text(log!.body)).toBe('made a b/100&x=1');
	});

	it('an object in a FormData text field is its JSON text, as inside a longer string of a json body', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const form = new FormData();
		form.set('meta', api.outbox.ref(parent, '/obj'));
		await queued(api.post('attachments', { body: form }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const upload = sent[1]!;
		expect((await new Response(upload.body, { headers: { 'content-type': upload.type } }).formData()).get('meta')).toBe('{"a":1}');
	});

	it('its entry delivered, a FormData or text body holding its placeholder goes out at once with the value (stored so if it fails)', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const id = api.outbox.ref(parent, '/id');
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect((await api.post('attachments', { body: formOf(id, 'x') })).status).toBe(200);
		expect((await api.post('logs', { body: `made ${id}` })).status).toBe(200);
		const upload = sent[1]!;
		const form = await new Response(upload.body, { headers: { 'content-type': upload.type } }).formData();
		expect(form.get('todo')).toBe('100');
		expect(new Uint8Array(await (form.get('photo') as File).arrayBuffer())).toEqual(photo);
		expect(text(sent[2]!.body)).toBe('made 100');
		// Failing now, it is queued as it was sent: the value in place.
		win.setOnline(false, false);
		await queued(api.post('attachments', { body: formOf(id, 'x') }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(holds(sent[3]!.body, photo)).toBe(true);
		expect(text(sent[3]!.body)).not.toContain('steadfetch-ref-');
	});
});

describe('pending-writes: a note from another tab that is not one', () => {
	it('an entry \'*\' told queued (no entry has that id) or a clear for an identity that is no string is ignored and told malformed, never a clear of every count', async () => {
		const { PendingWrites } = await import('../../src/outbox/pending-writes.js');
		const scope = globalThis as { document?: unknown };
		const hadDocument = 'document' in scope;
		const saved = scope.document;
		scope.document ??= {}; // Tabs: the count's notes travel on BroadcastChannel.
		let malformed = 0;
		const counted = new PendingWrites('pw-malformed-star', () => malformed++);
		const otherTab = new BroadcastChannel('steadfetch:pw-malformed-star:pending');
		try {
			counted.queued('a', 'ann', 'https://x/todos/1');
			counted.queued('b', undefined, 'https://x/todos/1');
			for (const note of [{ v: 1, op: '+', id: '*', url: 'https://x/todos/1' }, { v: 1, op: '-', id: '*', who: 42 }, { v: 1, op: '-', id: '*', who: { ann: 1 } }]) {
				otherTab.postMessage(note);
			}

			await expect.poll(() => malformed).toBe(3);
			expect([counted.count('ann', 'https://x/todos/1'), counted.count(undefined, 'https://x/todos/1')]).toEqual([1, 1]);
		} finally {
			otherTab.close();
			counted.close();
			if (hadDocument) {
				scope.document = saved;
			} else {
				delete scope.document;
			}
		}
	});
});
