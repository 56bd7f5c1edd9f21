/**
 * Request bodies per runtime (defect hunt, thirtieth round): API.md "Errors" (a body of the app's that fails as it is
 * read is the app's failure, `UNKNOWN`: not retried, counted by neither the breaker nor reachability) and "Builds per
 * runtime" (the same behaviour in every build). This file loads src/ as Node's build has it and as the edge build has
 * it (server-failure-edge.ts: `workerd`/`deno`/`edge-light`, tsup.config.ts), against Node's `fetch` (as Deno's, it
 * rejects when a request body fails as it is read). The same in real workerd: test/workerd/edge-body-hunt30.test.ts.
 *
 * - A Request a ky hook gives (`beforeRequest`, `beforeRetry`) with a stream body of the app's that errors mid-way: Node's
 *   build failed it with the read's error, the edge build with a network failure (`NETWORK`, retried, counted by the
 *   breaker, the origin unreachable: the app's stream was never watched, only the call's own body and Request input were).
 */
import { describe, expect, it, vi } from 'vitest';
import { breaking, counted, echoServer, outcomeOf, stream } from './edge-body-kit.js';

const standIns = {
	node: undefined,
	edge: () => import('../../src/core/server-failure-edge.js'),
};

type Build = keyof typeof standIns;
const builds = Object.keys(standIns) as Build[];

/** src/ as `build` has it: a module graph of its own, with that build's server-failure.ts. */
const load = async (build: Build) => {
	vi.resetModules();
	const standIn = standIns[build];
	standIn ? vi.doMock('../../src/core/server-failure.js', standIn) : vi.doUnmock('../../src/core/server-failure.js');
	return import('../../src/entries/index.js');
};

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
