/**
 * Defect hunt, twenty-fifth round (outbox): an input that is no URL though it claims to be one, the lists a coalesced
 * write inherits and the placeholders a record names bounded as the write path bounds them, reads never queued, and the
 * identity a kept write belongs to (API.md "Outbox", "Offline writes for real apps", "Identity").
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

/**
 * A client over a memory store (`inner`, the store as it holds the records): its transport answers `POST /items` with
 * 201 `{ id: <n>, v0: 0, v1: 1, … }` (`state.values` of those) and every other call with 200 `{}`; every call fails as a dropped connection while `state.offline`;
 * what it sent in `state.sent`.
 */
const counted = (more: Parameters<typeof outbox>[0] = {}, identity?: () => string | undefined) => {
	const inner = memoryStore(`hunt25-outbox-${++made}`);
	const state = { offline: false, values: 0, sent: [] as Array<{ method: string; url: string; body: string; headers: Headers }> };
	const fetch = (async (request: Request) => {
		state.sent.push({ method: request.method, url: request.url, body: await request.text(), headers: request.headers });
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return request.method === 'POST' && new URL(request.url).pathname === '/items' ? Response.json({ id: state.sent.length, ...Object.fromEntries(Array.from({ length: state.values }, (_, n) => [`v${n}`, n])) }, { status: 201 }) : Response.json({});
	}) as typeof globalThis.fetch;
	const store: KeyValueStore = inner;
	const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt25-outbox-${made}`, outbox: outbox(more), ...identity && { identity } });
	return { api, state, inner };
};

const failure = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('an input that passes for a URL but is none: a typed rejection, nothing sent', () => {
	it.each([
		['Object.create(URL.prototype)', () => Object.create(URL.prototype) as URL],
		['a null-prototype object made a URL', () => Object.setPrototypeOf(Object.create(null), URL.prototype) as URL],
	])('%s: InvalidRequestError, as without an outbox', async (_, input) => {
		const { api, state } = counted();
		const caught = await failure(api.post(input(), { json: { a: 1 } }));
		// Before: a raw TypeError "Receiver must be an instance of class URL" (target.ts's String(input), outside its try).
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect(state.sent).toEqual([]);
		expect(await api.outbox.size()).toBe(0);
		api.close();
	});
});

