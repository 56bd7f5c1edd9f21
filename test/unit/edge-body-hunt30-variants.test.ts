/**
 * Request bodies per runtime (defect hunt, thirtieth round): API.md "Errors" (a body of the app's that fails as it is
 * read is the app's failure, `UNKNOWN`: not retried, counted by neither the breaker nor reachability) and "Builds per
 * runtime" (the same behaviour in every build). This file loads src/ as Node's build has it and as the edge build has
 * it (server-failure-edge.ts: `workerd`/`deno`/`edge-light`, tsup.config.ts), against Node's `fetch` (as Deno's, it
 * rejects when a request body fails as it is read). The same in real workerd: test/workerd/edge-body-hunt30.test.ts.
 *
 * - An async iterable body (an async generator): browsers' `fetch` sends it as text ('[object AsyncGenerator]',
 *   '[object Object]'; Chromium 156, checked once), as it does a sync iterable, which the browser build refuses: it was
 *   sent. Now `InvalidRequestError` before any I/O in the browser build, saying what to send; Node's, Deno's and workerd's
 *   `fetch` iterate one (sent by their builds, as before).
 * - A Request a ky hook gives (`beforeRequest`, `beforeRetry`) with a stream body of the app's that errors mid-way: Node's
 *   build failed it with the read's error, the edge build with a network failure (`NETWORK`, retried, counted by the
 *   breaker, the origin unreachable: the app's stream was never watched, only the call's own body and Request input were).
 */
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { breaking, bytes, counted, echoServer, loadBuild as load, outcomeOf, stream, type Build } from './edge-body-kit.js';

/** Node's build and the edge's (the browser's `fetch` is not Node's: its build is loaded only where it refuses before any I/O). */
const builds: Build[] = ['node', 'edge'];

const server = echoServer();
let made = 0;

type Hook = (state: { request: Request }) => Request | undefined;
/** A hook that gives the attempt's Request again, with `body` (made anew each time). */
const withBody = (body: () => ReadableStream<Uint8Array>): Hook => ({ request }) => new Request(request, { body: body(), duplex: 'half' } as RequestInit);

describe('a Request a ky hook gives, with a stream body of the app\'s', () => {
	it.each<[string, 'beforeRequest' | 'beforeRetry', string[]]>([
		// Before, in the edge build: "NETWORK: Request failed due to a network error: PUT …", [2, 3, 'unreachable'].
		['beforeRequest', 'beforeRequest', ['UNKNOWN: app broke', '[0,0,"unknown"]']],
		// Before, in the edge build: the same, [2, 3, 'unreachable'] (the 503 the first attempt got, then two network failures).
		['beforeRetry (after a 503)', 'beforeRetry', ['UNKNOWN: app broke', '[1,1,"reachable"]']],
	])('%s: a stream that errors mid-way fails the call with the read\'s error in every build, not retried nor counted', async (_kind, hook, expected) => {
		const results: Record<string, string[]> = {};
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			const api = createClient({ store: memoryStore, name: `h30-edge-${++made}`, retry: { limit: 2, delay: () => 0 },
				hooks: { [hook]: [withBody(() => breaking(new Error('app broke')))] } } as never);
			server.failOnce.add(`/${made}`);
			const outcome = await outcomeOf(classify)(api.put(`${server.url}/${made}`, { body: 'call' }));
			results[build] = [outcome, JSON.stringify(counted(api as never, new URL(server.url).origin))];
			api.close();
		}

		expect(results).toEqual({ node: expected, edge: expected });
	});

	it('ky.retry({ request }) from an afterResponse hook, its Request\'s stream erroring mid-way: the read\'s error in every build, the retry not retried again (read as a hook\'s Request is)', async () => {
		const results: Record<string, string[]> = {};
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			let forced = false;
			const api = createClient({ store: memoryStore, name: `h30-edge-${++made}`, retry: { limit: 2, delay: () => 0 },
				hooks: { afterResponse: [({ request }: { request: Request }) => {
					if (!forced) {
						forced = true;
						return ky.retry({ request: new Request(request, { body: breaking(new Error('app broke')), duplex: 'half' } as RequestInit) });
					}
				}] } } as never);
			const outcome = await outcomeOf(classify)(api.put(`${server.url}/forced`, { body: 'call' }));
			results[build] = [outcome, JSON.stringify(counted(api as never, new URL(server.url).origin))];
			api.close();
		}

		expect(results).toEqual({ node: ['UNKNOWN: app broke', '[1,0,"reachable"]'], edge: ['UNKNOWN: app broke', '[1,0,"reachable"]'] });
	});

	it('a call\'s own stream body, with a client that has hooks (no hook gives a Request), is read once, whole; one that errors fails the call (a guard: watched once by the call, again as it goes out)', async () => {
		const results: string[] = [];
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			const api = createClient({ store: memoryStore, name: `h30-edge-${++made}`, retry: { limit: 2, delay: () => 0 },
				hooks: { beforeRequest: [() => undefined] } } as never);
			const outcome = outcomeOf(classify);
			results.push(`${build} ${await outcome(api.put(`${server.url}/whole`, { body: stream('whole') }))}`);
			results.push(`${build} ${await outcome(api.put(`${server.url}/broken`, { body: breaking(new Error('app broke')) }))} ${JSON.stringify(counted(api as never, new URL(server.url).origin))}`);
			api.close();
		}

		expect(results).toEqual(['node 200 \'whole\'', 'node UNKNOWN: app broke [0,0,"reachable"]', 'edge 200 \'whole\'', 'edge UNKNOWN: app broke [0,0,"reachable"]']);
	});

	it('a hook\'s Request with a whole stream or a string goes out whole in every build (a guard)', async () => {
		const results: string[] = [];
		for (const build of builds) {
			const { classify, createClient, memoryStore } = await load(build);
			const outcome = outcomeOf(classify);
			for (const body of [() => stream('from-hook'), () => 'text-from-hook']) {
				const api = createClient({ store: memoryStore, name: `h30-edge-${++made}`,
					hooks: { beforeRequest: [({ request }: { request: Request }) => new Request(request, { body: body(), duplex: 'half' } as RequestInit)] } } as never);
				results.push(`${build} ${await outcome(api.put(`${server.url}/h`, { body: 'call' }))}`);
				api.close();
			}
		}

		expect(results).toEqual(['node 200 \'from-hook\'', 'node 200 \'text-from-hook\'', 'edge 200 \'from-hook\'', 'edge 200 \'text-from-hook\'']);
	});
});

describe('the body rule\'s message, per build', () => {
	it('a body over a SharedArrayBuffer is refused before any I/O in every build, the message naming only what that build refuses (the edge build sends a sync iterable)', async () => {
		const messages: Record<string, string> = {};
		for (const build of builds) {
			const { createClient, memoryStore } = await load(build);
			const api = createClient({ store: memoryStore, name: `h30-edge-${++made}` });
			const error = await api.put(`${server.url}/never`, { body: new Uint8Array(new SharedArrayBuffer(4)) as never }).then(() => undefined, (caught: Error) => caught);
			messages[build] = `${error?.name}: ${/sync iterable/.test(error?.message ?? '') ? 'names sync iterables' : 'names no sync iterable'}`;
			api.close();
		}

		// Before: the edge build's said "…, not a sync iterable (send its bytes: `new Blob([...iterable])`, or a stream)", which it sends.
		expect(messages).toEqual({ node: 'InvalidRequestError: names sync iterables', edge: 'InvalidRequestError: names no sync iterable' });
		expect(server.got).not.toContain('never');
	});
});

describe('an async iterable body, per build', () => {
	const iterables: Array<[string, () => unknown]> = [
		['an async generator of bytes', () => (async function* () {
			yield bytes('one;');
			yield bytes('two');
		})()],
		['an object with Symbol.asyncIterator', () => ({
			async* [Symbol.asyncIterator]() {
				yield bytes('one;');
				yield bytes('two');
			},
		})],
	];

	it.each(iterables)('%s: InvalidRequestError before any I/O in the browser build (its fetch sends it as text), from the call\'s body or an init hook\'s; its bytes in Node\'s and the edge build', async (_kind, make) => {
		const results: string[] = [];
		const state = { fetched: 0 };
		const fetch = ((request: Request, init?: RequestInit) => {
			state.fetched++;
			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		for (const build of ['node', 'edge', 'browser'] as const) {
			const { classify, createClient, memoryStore } = await load(build);
			const outcome = outcomeOf(classify);
			const api = createClient({ fetch, store: memoryStore, name: `h30-edge-${++made}` });
			results.push(`${build} ${await outcome(api.put(`${server.url}/a`, { body: make() as never }))}`);
			const hooked = { hooks: { init: [(options: { body?: unknown }) => {
				options.body = make();
			}] } };
			results.push(`${build} ${await outcome(api.put(`${server.url}/a`, hooked as never))}`);
			api.close();
		}

		// Before: "browser 200 'one;two'" twice against Node's fetch (sent as it is: Chromium sends '[object AsyncGenerator]').
		const refused = (result: string): boolean => /^\w+ INVALID_REQUEST: .*`body` must be a body fetch takes: .*not an async iterable \(send its bytes/.test(result);
		expect(results.map((result) => refused(result) ? `${result.split(' ')[0]} refused` : result)).toEqual(['node 200 \'one;two\'', 'node 200 \'one;two\'', 'edge 200 \'one;two\'', 'edge 200 \'one;two\'', 'browser refused', 'browser refused']);
		expect(state.fetched).toBe(4);
	});

	it('a ReadableStream (async iterable too) is no async iterable to refuse: sent by the browser build (a guard)', async () => {
		const { classify, createClient, memoryStore } = await load('browser');
		const api = createClient({ store: memoryStore, name: `h30-edge-${++made}` });
		expect(await outcomeOf(classify)(api.put(`${server.url}/s`, { body: stream('streamed') }))).toBe('200 \'streamed\'');
		api.close();
	});
});
