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
