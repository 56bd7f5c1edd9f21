/**
 * Defect hunt, eighteenth round (outbox): a body whose buffer was detached (transferred to a worker, `structuredClone`
 * with `transfer`) holds no bytes as fetch reads it (WebIDL's copy of a detached buffer source is empty): ky sends it
 * empty. With the outbox, the call rejected with a raw TypeError ("Cannot perform Construct on a detached ArrayBuffer",
 * `classify()` UNKNOWN, no typed error) and nothing was sent or queued; now it goes out as ky sends it, and is queued and
 * replayed byte-identical (no bytes, the same Idempotency-Key).
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';

let made = 0;

/** A client whose transport fails while `down`, else answers 201; what it sent (method, bytes, key) in `sent`. */
const client = () => {
	const state = { down: true };
	const sent: Array<{ bytes: number; key: string | null; type: string | null }> = [];
	const fetch = (async (request: Request) => {
		sent.push({ bytes: (await request.arrayBuffer()).byteLength, key: request.headers.get('idempotency-key'), type: request.headers.get('content-type') });
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":7}', { status: 201, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const store = memoryStore(`h18c-${++made}`);
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, random: () => 0.5, store: () => store, name: `h18c-${made}`, outbox: outbox({ resumeJitterMs: 0 }) });
	return { api, state, sent };
};

/** `buffer`, detached (as a transfer to a worker leaves it), and returned. */
const detach = <T extends ArrayBuffer>(buffer: T): T => {
	structuredClone(buffer, { transfer: [buffer] });
	return buffer;
};

const bodies: Array<[string, () => BodyInit]> = [
	['an ArrayBuffer', () => detach(new Uint8Array([1, 2, 3]).buffer)],
	['a DataView', () => {
		const buffer = new Uint8Array([1, 2, 3]).buffer;
		const view = new DataView(buffer, 1);
		detach(buffer);
		return view as unknown as BodyInit;
	}],
];

describe('a body whose buffer was detached', () => {
	for (const [name, body] of bodies) {
		it(`${name}: queued when the network fails, replayed with the bytes the first attempt sent (none) and its key`, async () => {
			const { api, state, sent } = client();
			try {
				const failure = await api.post('uploads', { body: body() }).catch((error: unknown) => error);
				expect(failure).toMatchObject({ name: 'OutboxQueuedError' }); // Before: TypeError, nothing sent.
				expect((await api.outbox.list()).map((entry) => entry.bodyBytes)).toEqual([0]);
				state.down = false;
				expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
				expect(sent).toHaveLength(2);
				expect(sent[1]).toEqual(sent[0]);
				expect(sent[0]).toMatchObject({ bytes: 0, type: null });
			} finally {
				api.close();
			}
		});

		it(`${name}: delivered at once when the origin answers, with the bytes fetch reads of it (none)`, async () => {
			const { api, state, sent } = client();
			state.down = false;
			try {
				expect((await api.post('uploads', { body: body() })).status).toBe(201); // Before: TypeError.
				expect(sent).toMatchObject([{ bytes: 0 }]);
			} finally {
				api.close();
			}
		});
	}

	it('an init hook that gives a detached ArrayBuffer in place of the body: queued with no bytes, replayed so', async () => {
		const { api, state, sent } = client();
		try {
			const hooks = { init: [(options: { body?: unknown }) => {
				options.body = detach(new Uint8Array([4, 5]).buffer);
			}] };
			expect(await api.post('uploads', { body: 'text', hooks } as never).catch((error: unknown) => error)).toMatchObject({ name: 'OutboxQueuedError' });
			expect((await api.outbox.list()).map((entry) => entry.bodyBytes)).toEqual([0]);
			state.down = false;
			expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
			expect(sent.map(({ bytes }) => bytes)).toEqual([0, 0]);
		} finally {
			api.close();
		}
	});
});
