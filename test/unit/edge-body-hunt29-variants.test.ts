/**
 * Request bodies per runtime (defect hunt, twenty-ninth round): API.md "Errors" (`InvalidRequestError`: "bad input
 * found before any I/O … a rejected promise") and "Builds per runtime" (the same behaviour in every build). This file
 * loads src/ as each build has it (`load`): Node's (server-failure.ts), the browser's (server-failure-browser.ts) and
 * the edge's (server-failure-edge.ts: `workerd`/`deno`/`edge-light`, tsup.config.ts), against Node's `fetch`. The same
 * bodies in real workerd: test/workerd/edge-body-hunt29.test.ts.
 *
 * - A sync iterable body (a generator, a `Set`, an array): Node's `fetch` and browsers' send it as text ('[object
 *   Generator]', '[object Set]', an array's items joined by commas: "200 'null [object Generator]'"). Now
 *   `InvalidRequestError` before any I/O in Node's and the browser's builds, saying what to pass (its bytes, a
 *   `ReadableStream`), from the call's `body` or an `init` hook's; the edge build sends its bytes, as Deno's and
 *   workerd's `fetch` do (`iterableBodies`).
 */
import { describe, expect, it } from 'vitest';
import { bytes, echoServer, loadBuild as load, outcomeOf, type Build } from './edge-body-kit.js';

const builds: Build[] = ['node', 'browser', 'edge'];

const server = echoServer((request) => request.headers.get('content-length'));
let made = 0;

describe('a sync iterable body, per build', () => {
	const iterables: Array<[string, () => unknown]> = [
		['a generator of bytes', () => (function* () {
			yield bytes('one;');
			yield bytes('two');
		})()],
		['a Set of bytes', () => new Set([bytes('one;'), bytes('two')])],
		['an array of bytes', () => [bytes('one;'), bytes('two')]],
	];

	it.each(iterables)('%s: InvalidRequestError before any I/O in Node\'s and the browser\'s builds, saying what to pass, from the call\'s body or an init hook\'s; its bytes in the edge build', async (_kind, make) => {
		const results: string[] = [];
		const state = { fetched: 0 };
		const fetch = ((request: Request, init?: RequestInit) => {
			state.fetched++;
			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			const outcome = outcomeOf(classify);
			const api = createClient({ fetch, store: memoryStore, name: `h29-edge-${++made}` });
			results.push(`${build} ${await outcome(api.put(`${server.url}/i`, { body: make() as never }))}`);
			const hooked = { hooks: { init: [(options: { body?: unknown }) => {
				options.body = make();
			}] } };
			results.push(`${build} ${await outcome(api.put(`${server.url}/i`, hooked as never))}`);
			api.close();
		}

		// Before: node "200 'null [object Generator]'" ("'12 [object Set]'", "'26 111,110,101,59,116,119,111'" for the
		// array), browser the same (its build sends the body as it is, as browsers' fetch takes it for text), edge "200 'null one;two'".
		const refused = (result: string): boolean => /^\w+ INVALID_REQUEST: .*`body` must be a body fetch takes: .*not a sync iterable \(send its bytes/.test(result);
		expect(results.map((result) => refused(result) ? `${result.split(' ')[0]} refused` : result)).toEqual(['node refused', 'node refused', 'browser refused', 'browser refused', 'edge 200 \'null one;two\'', 'edge 200 \'null one;two\'']);
		// Only the edge build's two calls went out.
		expect(state.fetched).toBe(2);
	});

	it.each<[string, () => unknown, string]>([
		['a string', () => 'whole', '5 whole'],
		// Before, in the edge build: "200 'null whole'" (read as a sync iterable: sent chunked, its length lost).
		['a String object', () => new String('whole'), '5 whole'],
		['bytes', () => bytes('whole'), '5 whole'],
		['a URLSearchParams', () => new URLSearchParams({ a: 'b' }), '3 a=b'],
		['a Blob', () => new Blob(['whole']), '5 whole'],
		// An async generator: sent by Node's and the edge build, refused by the browser's since the thirtieth hunt (browsers'
		// `fetch` sends it as text): test/unit/edge-body-hunt30-variants.test.ts.
	])('%s (iterable, or a stream fetch takes) goes out as it is in every build (against Node\'s fetch)', async (_kind, make, sent) => {
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			const api = createClient({ store: memoryStore, name: `h29-edge-${++made}` });
			expect(`${build} ${await outcomeOf(classify)(api.put(`${server.url}/k`, { body: make() as never }))}`).toBe(`${build} 200 '${sent}'`);
			api.close();
		}
	});
});
