/**
 * An `Idempotency-Key` given as `undefined` in a call's headers — ky's way to drop a header the client
 * sets — is no key, as ky sends none (`Headers` reads the value as the string 'undefined', which ky's
 * merge removes). API.md createClient: "a user who lists POST or PATCH in `retry.methods` explicitly gets
 * them retried, and steadfetch adds a fresh `Idempotency-Key` to such calls so the retry is safe";
 * failover's TSDoc: a write is failed over only when the caller keyed it. Before: the core took
 * 'undefined' for the caller's key (the POST went out with none and was not retried). Failover, a
 * neighbour, already held (it reads the request as sent): checked here so it stays so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let primary: RunningServer;
let mirror: RunningServer;
/** What each origin got: method and Idempotency-Key. */
const seen: Record<'primary' | 'mirror', Array<[string, string | null]>> = { primary: [], mirror: [] };
let primaryFails = 0;
beforeAll(async () => {
	primary = await serve((request) => {
		seen.primary.push([request.method, request.headers.get('idempotency-key')]);
		return primaryFails-- > 0 ? new Response('busy', { status: 503 }) : Response.json({ ok: true });
	});
	mirror = await serve((request) => {
		seen.mirror.push([request.method, request.headers.get('idempotency-key')]);
		return Response.json({ mirror: true });
	});
});
afterAll(async () => Promise.all([primary.close(), mirror.close()]));

describe('an Idempotency-Key given as undefined is none', () => {
	it('retry.methods with POST: the call gets a fresh key, sent on each attempt, and is retried', async () => {
		seen.primary.length = 0;
		primaryFails = 1;
		const api = createClient({ prefix: primary.url, headers: { 'idempotency-key': 'client-wide' }, retry: { limit: 2, methods: ['post'], delay: () => 0 } });
		const response = await api.post('orders', { json: { n: 1 }, headers: { 'Idempotency-Key': undefined } });
		expect(response.status).toBe(200);
		const keys = seen.primary.map(([, key]) => key);
		expect(keys).toHaveLength(2);
		expect(keys[0]).toMatch(/^[\da-f-]{36}$/);
		expect(keys[1]).toBe(keys[0]);
		api.close();
	});

	// Named in the same case as the client's: ky's merge of two plain objects drops it then (another case keeps the client's).
	it('failover: a POST whose key was dropped so is not failed over (the mirror gets nothing)', async () => {
		seen.primary.length = 0;
		seen.mirror.length = 0;
		primaryFails = 1;
		const api = createClient({ headers: { 'Idempotency-Key': 'client-wide' }, retry: 0, failover: failover({ mirrors: { [primary.url]: [mirror.url] } }) });
		await expect(api.post(`${primary.url}/orders`, { json: { n: 1 }, headers: { 'Idempotency-Key': undefined } })).rejects.toMatchObject({ name: 'HTTPError' });
		expect({ primary: seen.primary, mirror: seen.mirror }).toEqual({ primary: [['POST', null]], mirror: [] });
		// With the client's key kept, the write is keyed: failed over, with its key.
		primaryFails = 1;
		await api.post(`${primary.url}/orders`, { json: { n: 2 } });
		expect(seen.mirror).toEqual([['POST', 'client-wide']]);
		api.close();
	});
});
