/**
 * Defect hunt, thirty-eighth round (offline writes for real apps: files, dependent writes, limits, stores): variants of
 * defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { offlineFetch, queued } from './outbox-helpers.js';

/** Bytes read a byte a character. */
const latin1 = (bytes: ArrayBuffer): string => String.fromCharCode(...new Uint8Array(bytes));

describe('a dependent\'s FormData text fields take a parent\'s value with quotes and line breaks (API.md "Files", "Writes that depend on earlier writes")', () => {
	it('as FormData serializes such a value: a field name escaped (%22, %0D%0A), a field value\'s line breaks CR LF, nothing else of the part changed', async () => {
		const name = 'hunt38-outbox-form-escapes';
		const store = memoryStore(name);
		const answer = { id: 'a"b\nc', note: 'line 1\nline 2\rend' };
		const { fetch, sent, net } = offlineFetch(
			(request) => request.method === 'POST' ? Response.json(answer, { status: 201 }) : new Response(null, { status: 204 }),
			async (request) => ({ type: request.headers.get('content-type') ?? '', body: latin1(await request.arrayBuffer()) }),
		);
		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const form = (id: string, note: string): FormData => {
				const made = new FormData();
				made.append(`tag[${id}]`, 'v');
				made.append('note', note);
				made.append('photo', new File(['\r\n'], 'p.jpg', { type: 'image/jpeg' }));
				return made;
			};
			await queued(api.put('todos/1', { body: form(api.outbox.ref(parent, '/id'), api.outbox.ref(parent, '/note')) }));
			net.offline = false;
			expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
			const { type, body } = sent[1]!;
			const boundary = /boundary=(.+)$/.exec(type)![1]!;
			// What the call would have sent, had it been made with the values: FormData's own serialization, its boundary the child's.
			const made = await new Response(form(answer.id, answer.note)).blob();
			const expected = latin1(await made.arrayBuffer()).split(/boundary=(.+)$/.exec(made.type)![1]!).join(boundary);
			// Before: the raw quote and LF in the part's name (`name="tag[a"b\nc]"`), the bare LF and CR in the value.
			expect(body).toBe(expected);
		} finally {
			api.close();
		}
	});
});

describe('a placeholder of outbox.ref() in a body\'s type (neighbours of a FormData file part\'s names, the thirty-sixth hunt)', () => {
	const setup = (name: string) => {
		const store = memoryStore(name);
		const wire = offlineFetch(
			(request) => request.method === 'POST' ? Response.json({ id: 'v1' }, { status: 201 }) : new Response(null, { status: 204 }),
			(request) => `${request.method} ${new URL(request.url).pathname} ${request.headers.get('content-type')}`,
		);
		const make = () => createClient({ name, store: () => store, fetch: wire.fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		return { ...wire, make };
	};

	it('a Blob body\'s type is its Content-Type: of an entry delivered, the value goes out in it', async () => {
		const { sent, net, make } = setup('hunt38-outbox-blob-type-delivered');
		const api = make();
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const ref = api.outbox.ref(parent, '/id');
			net.offline = false;
			expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
			await api.put('todos/1/photo', { body: new Blob(['x'], { type: `image/x-${ref}` }) });
			// Before: 'PUT /todos/1/photo image/x-steadfetch-ref-…-0', the placeholder as written.
			expect(sent).toEqual(['POST /todos application/json', 'PUT /todos/1/photo image/x-v1']);
		} finally {
			api.close();
		}
	});

	it('of an entry pending, the write waits for it and any tab (a reload) replays it with the value', async () => {
		const { sent, net, make } = setup('hunt38-outbox-blob-type-pending');
		const api = make();
		let id: string;
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			id = await queued(api.put('todos/1/photo', { body: new Blob(['x'], { type: `image/x-${api.outbox.ref(parent, '/id')}` }) }));
			// Before: no dependsOn (queued as any write).
			expect((await api.outbox.list()).find((entry) => entry.id === id)?.dependsOn).toEqual([parent]);
		} finally {
			api.close();
		}

		const reloaded = make();
		try {
			net.offline = false;
			expect(await reloaded.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
			// Before: 'PUT /todos/1/photo image/x-steadfetch-ref-…-0' from the reloaded client, which made no ref().
			expect(sent).toEqual(['POST /todos application/json', 'PUT /todos/1/photo image/x-v1']);
		} finally {
			reloaded.close();
		}
	});
});

describe('a placeholder of outbox.ref() in a FormData file part\'s type (its Content-Type line, replayed byte for byte)', () => {
	it.each([['pending', false], ['delivered', true]])('of an entry %s: an InvalidRequestError before any I/O, nothing queued or sent', async (state, delivered) => {
		const name = `hunt38-outbox-file-type-${state}`;
		const store = memoryStore(name);
		const { fetch, sent, net } = offlineFetch();
		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const ref = api.outbox.ref(parent, '/id');
			net.offline = !delivered;
			await api.outbox.flush();
			const form = new FormData();
			form.append('photo', new File(['bytes'], 'a.bin', { type: `image/x-${ref}` }));
			const outcome = await api.post('uploads', { body: form }).then(() => 'sent', (error: { code?: string }) => error.code);
			net.offline = false;
			await api.outbox.flush();
			// Before: 'QUEUED' (pending) or 'sent' (delivered), the upload sent with the placeholder as written.
			expect([outcome, sent, await api.outbox.size()]).toEqual(['INVALID_REQUEST', ['POST /todos'], 0]);
		} finally {
			api.close();
		}
	});
});
