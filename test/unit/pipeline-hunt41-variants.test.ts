/**
 * Neighbours of the forty-first hunt's `parseJson` fix (pipeline-hunt41.test.ts): the substitutes the preset's own
 * policies give (a stale copy, the outbox's `202` for a queued write) are parsed with the call's request too, and a
 * Standard Schema still validates them.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale, memoryStore, outbox, SchemaValidationError } from '../../src/entries/index.js';
import { noting } from '../helpers/noting-parse-json.js';

/** An origin up (a JSON answer a stale copy may be kept of) until `state.down`, then failing as a dropped connection. */
const origin = () => {
	const state = { down: false };
	const fetch = (async () => {
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return Response.json({ n: 1 }, { headers: { 'cache-control': 'max-age=0' } });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

describe('parseJson of the preset\'s substitutes: the call\'s request', () => {
	it('a stale copy answering a failed GET: the call\'s request, its headers with it', async () => {
		const { state, fetch } = origin();
		const { seen, parseJson } = noting();
		const api = createClient({ fetch, retry: 0, store: memoryStore, name: `h41-stale-${crypto.randomUUID()}` });
		await api.get('https://api.test/items', { headers: { 'x-h': 'fresh' } }).json();
		state.down = true;
		const response = await api.get('https://api.test/items', { headers: { 'x-h': 'stale' } });
		expect(isStale(response)).toBe(true);
		expect(await api.get('https://api.test/items', { headers: { 'x-h': 'stale' }, parseJson }).json()).toEqual({ n: 1 });
		// Before: ['GET https://api.test/items null'].
		expect(seen).toEqual(['GET https://api.test/items stale']);
		api.close();
	});

	it('the outbox\'s 202 for a queued POST (queuedResponse: \'accepted\'): the call\'s request', async () => {
		const { state, fetch } = origin();
		state.down = true;
		const { seen, parseJson } = noting();
		const api = createClient({ fetch, retry: 0, store: memoryStore, name: `h41-outbox-${crypto.randomUUID()}`, outbox: outbox({ queuedResponse: 'accepted' }) });
		const body = await api.post('https://api.test/notes', { json: { a: 1 }, headers: { 'x-h': 'w' }, parseJson }).json<{ queued: boolean }>();
		// Before: ['GET https://api.test/notes null'].
		expect([body.queued, seen]).toEqual([true, ['POST https://api.test/notes w']]);
		api.close();
	});

	it('a Standard Schema still validates a substitute, after parseJson', async () => {
		const { state, fetch } = origin();
		state.down = true;
		const { seen, parseJson } = noting();
		const api = createClient({ fetch, retry: 0, store: memoryStore, fallback: { n: 'x' } });
		const schema = { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => (typeof (value as { n?: unknown }).n === 'number' ? { value } : { issues: [{ message: 'n is no number' }] }) } };
		await expect(api.get('https://api.test/items', { parseJson }).json(schema as never)).rejects.toBeInstanceOf(SchemaValidationError);
		expect(seen).toEqual(['GET https://api.test/items null']);
		api.close();
	});
});
