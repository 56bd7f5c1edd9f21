/**
 * What the request-body hunt files share (test/unit/edge-body-hunt*-variants.test.ts against Node's `fetch`,
 * test/workerd/edge-body-hunt*.test.ts in workerd): bodies, a loopback echo server, and the ways a call's end is read.
 * No `node:` import at the top: workerd loads this module too (the server is imported only where it is served).
 */
import { afterAll, beforeAll, vi } from 'vitest';

/** Each build's server-failure.ts, in place of Node's (tsup.config.ts): the browser's and the edge's (`workerd`/`deno`/`edge-light`). */
const standIns = {
	node: undefined,
	browser: () => import('../../src/core/server-failure-browser.js'),
	edge: () => import('../../src/core/server-failure-edge.js'),
};

export type Build = keyof typeof standIns;

/** src/ as `build` has it: a module graph of its own, with that build's server-failure.ts (Node's `fetch` under every one). */
export const loadBuild = async (build: Build) => {
	vi.resetModules();
	const standIn = standIns[build];
	standIn ? vi.doMock('../../src/core/server-failure.js', standIn) : vi.doUnmock('../../src/core/server-failure.js');
	return import('../../src/entries/index.js');
};

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A stream of the app's (a JS stream of the default type) that gives `text`, whole. */
export const stream = (text = 'abc'): ReadableStream<Uint8Array> => new ReadableStream({
	start(controller) {
		controller.enqueue(bytes(text));
		controller.close();
	},
});

/** A stream that gives one chunk ('partial;'), then errors with `reason`; a JS byte stream with `type: 'bytes'`. */
export const breaking = (reason: unknown, type?: 'bytes'): ReadableStream<Uint8Array> => {
	let sent = false;
	return new ReadableStream({
		type,
		pull(controller: ReadableStreamDefaultController<Uint8Array>) {
			sent ? controller.error(reason) : controller.enqueue(bytes('partial;'));
			sent = true;
		},
	} as UnderlyingDefaultSource<Uint8Array>);
};

let made = 0;

/**
 * What a call through a client of `build` ends with (a name of its own, `store: memoryStore`, no retries, then
 * `clientOptions`), against a `fetch` that answers 200 without I/O: its status, or its error's class, code and message
 * (`sync throw <message>` for a throw from the client's method, `createClient throws <class> <message>` for a throw from
 * `createClient`); then how many times `fetch` was called.
 */
export const outcomeIn = async (build: Build, call: (api: any, url: string) => Promise<Response>, clientOptions: object = {}): Promise<string> => {
	const { classify, createClient, memoryStore } = await loadBuild(build);
	const fetched = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok'));
	let result: string;
	try {
		const api = createClient({ store: memoryStore, name: `input-${++made}`, retry: 0, ...clientOptions } as never);
		try {
			result = await call(api, 'http://api.test/x').then((response) => String(response.status), (error: unknown) => `${(error as Error).constructor.name} ${classify(error).code} ${(error as Error).message}`);
		} catch (error) {
			result = `sync throw ${(error as Error).message}`;
		}

		api.close();
	} catch (error) {
		result = `createClient throws ${(error as Error).constructor.name} ${(error as Error).message}`;
	}

	const calls = fetched.mock.calls.length;
	fetched.mockRestore();
	return `${result}; fetch ${calls}`;
};

/** A call's status, or its error. */
export const caught = (promise: Promise<Response>): Promise<unknown> => promise.then((response) => response.status, (error: unknown) => error);

/** What a call ends with, read by `classify` (the one of the module graph the call was made in): its status and the body it got back, or its error's code and message. */
export const outcomeOf = (classify: (error: unknown) => { code: string }) => (promise: Promise<Response>): Promise<string> =>
	promise.then(async (response) => `${response.status} '${await response.text()}'`, (error: unknown) => `${classify(error).code}: ${(error as Error).message}`);

/** A client's retries, its breaker's consecutive failures for `origin` and that origin's reachability. */
export const counted = (api: { stats(): object; breaker(scope: string): { consecutiveFailures: number }; reachability(origin: string): string }, origin: string): unknown[] =>
	[(Object.values(api.stats())[0] as { retries?: number } | undefined)?.retries ?? 0, api.breaker(origin).consecutiveFailures, api.reachability(origin)];

/**
 * A loopback server for the file (served before its tests, closed after) that notes each request's body in `got`, after
 * `head(request)` and a space when given (its Content-Length, its Content-Type), and answers what it noted, or 503 once
 * for a path in `failOnce`.
 */
export const echoServer = (head?: (request: Request) => string | null) => {
	const server = { url: '', got: [] as string[], failOnce: new Set<string>() };
	let close: (() => Promise<void>) | undefined;
	beforeAll(async () => {
		const { serve } = await import('../helpers/node-server.js');
		const running = await serve(async (request) => {
			const { pathname } = new URL(request.url);
			const text = await request.text();
			server.got.push(head ? `${head(request)} ${text}` : text);
			return server.failOnce.delete(pathname) ? new Response('down', { status: 503 }) : new Response(server.got.at(-1));
		});
		server.url = running.url;
		close = () => running.close();
	});
	afterAll(async () => close?.());
	return server;
};
