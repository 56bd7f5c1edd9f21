/**
 * Bad input in real workerd (defect hunt, thirty-ninth round): this project runs src/ with the edge build's stand-ins
 * (vitest.config.ts). The same cases against Node's `fetch`, per build: test/unit/input-hunt39-variants.test.ts.
 *
 * - A `body` of none of fetch's types (`{ a: 1 }`, `5`) was sent as its text ('[object Object]'); `headers` given as a
 *   function, as no headers. Now `InvalidRequestError` naming the option, no `fetch` called.
 * - A method the Fetch standard forbids (`TRACE`, `CONNECT`) or that is no token (`a b`): workerd sent it (its own
 *   `fetch` too). Now `InvalidRequestError` naming `method`, as in Node and browsers.
 * - A per-call RequestInit value workerd refuses (`redirect: 'sometimes'`): its message names the option (`namedRefusal`).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';

let made = 0;

/** A call's end, read by `classify`, and how many times the client's `fetch` was called. */
const outcome = async (options: object): Promise<string> => {
	let fetched = 0;
	const api = createClient({ store: memoryStore, name: `h39-workerd-${++made}`, retry: 0, fetch: async () => {
		fetched++;
		return new Response('ok');
	} });
	const result = await api.post('https://api.test/x', options as never).then((response) => String(response.status), (error: unknown) => `${classify(error).code} ${(error as Error).message}`);
	api.close();
	return `${result}; fetch ${fetched}`;
};

describe('bad input in workerd: refused before any I/O, naming the option', () => {
	it.each([[{ a: 1 }], [5], [new Date(0)]])('body %j', async (body) => {
		expect(await outcome({ body })).toMatch(/^INVALID_REQUEST `body` must be a body fetch takes: .*; fetch 0$/);
	});

	it('headers given as a function', async () => {
		expect(await outcome({ headers: () => ({ a: '1' }) })).toMatch(/^INVALID_REQUEST `headers` must be HeadersInit, not a function .*; fetch 0$/);
	});

	// workerd refuses a `redirect` it does not take ('error' too); it ignores `mode`, `credentials`, `priority` and
	// `referrerPolicy` whatever their value (nothing it sends changes).
	it.each(['TRACE', 'CONNECT', 'a b'])('method %j', async (method) => {
		// Before: '200; fetch 1' (workerd's own `fetch` sends `TRACE` to the origin).
		expect(await outcome({ method })).toMatch(/^INVALID_REQUEST `method` must be a token, not CONNECT, TRACE or TRACK; .*; fetch 0$/);
	});

	it('redirect: "sometimes"', async () => {
		// Before: "Invalid request: Invalid redirect value, must be one of …" (no option named).
		expect(await outcome({ redirect: 'sometimes' })).toMatch(/^INVALID_REQUEST Invalid request: `redirect` is refused by fetch: sometimes is not an accepted type. Expected one of follow, manual, error.; fetch 0$/);
	});
});
