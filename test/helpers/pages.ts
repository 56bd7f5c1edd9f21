/**
 * Real Chromium with several pages (tabs) of one origin, driven by Playwright from Node.
 *
 * `startPageServer()` serves, on its own loopback origin:
 * - `/` a blank page whose import map resolves `steadfetch` to the built `dist/browser/index.js` (what browser bundlers resolve)
 *   (and its `ky` / `idb-keyval` imports to node_modules) and which puts the library on
 *   `globalThis.steadfetch` (use `openPage()`, which waits for it; `page.evaluate` code cannot use
 *   `import()` because vitest rewrites it);
 * - `/dist/*` and `/node_modules/*` read from the repository.
 *
 * The API under test runs on another origin (`startApi()`), which can be taken down and brought
 * back on the same port: `api.down('refuse' | 'hang' | 503)` and `api.up()`. Its handler is
 * test/helpers/server-handler.ts; `api.state` exposes its counters (hits, mutations applied).
 *
 * Pages of one browser context share IndexedDB, BroadcastChannel and Web Locks, like tabs. An
 * uncaught error in a page opened with `openPage()` fails the test during which it was thrown.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { chromiumArgs, findChromium } from './chromium.js';
import { serve, type RunningServer } from './node-server.js';
import { createHandler, createState, type TestServerState } from './server-handler.js';

const root = resolve(import.meta.dirname, '../..');
const types: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript', '.map': 'application/json', '.html': 'text/html', '.json': 'application/json' };

const page = `<!doctype html><html><head><meta charset="utf-8"><title>steadfetch test page</title>
<script type="importmap">{"imports":{
"steadfetch":"/dist/browser/index.js",
"steadfetch/trace":"/dist/browser/trace.js",
"steadfetch/auth":"/dist/browser/auth.js",
"steadfetch/dedupe":"/dist/browser/dedupe.js",
"steadfetch/hedge":"/dist/browser/hedge.js",
"steadfetch/throttle":"/dist/browser/throttle.js",
"ky":"/node_modules/ky/distribution/index.js",
"idb-keyval":"/node_modules/idb-keyval/dist/index.js"}}</script>
<script type="module">import * as steadfetch from 'steadfetch'; import { trace } from 'steadfetch/trace'; import { auth } from 'steadfetch/auth'; import { dedupe } from 'steadfetch/dedupe'; import { hedge } from 'steadfetch/hedge'; import { adaptiveThrottle } from 'steadfetch/throttle'; globalThis.steadfetch = { ...steadfetch, trace, auth, dedupe, hedge, adaptiveThrottle };</script>
</head><body></body></html>`;

export interface PageServer {
	/** `http://127.0.0.1:<port>` */
	url: string;
	close(): Promise<void>;
}

/**
 * `scripts`: more JavaScript files to serve at the root, by path (a service worker must be there to control `/`);
 * `redirects`: paths answered `302` to a URL (another origin's, say), by path.
 */
export const startPageServer = async (scripts: Record<string, string> = {}, redirects: Record<string, string> = {}): Promise<PageServer> => {
	const server = createServer(async (request, response) => {
		const path = new URL(request.url ?? '/', 'http://x').pathname;
		const location = redirects[path];
		if (location !== undefined) {
			response.writeHead(302, { location });
			response.end();
			return;
		}

		if (path === '/' || path === '/index.html') {
			response.writeHead(200, { 'content-type': 'text/html' });
			response.end(page);
			return;
		}

		const script = scripts[path];
		if (script !== undefined) {
			response.writeHead(200, { 'content-type': 'text/javascript' });
			response.end(script);
			return;
		}

		const file = normalize(join(root, path));
		if (!file.startsWith(join(root, 'dist')) && !file.startsWith(join(root, 'node_modules'))) {
			response.writeHead(404);
			response.end();
			return;
		}

		try {
			const body = await readFile(file);
			response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
			response.end(body);
		} catch {
			response.writeHead(404);
			response.end();
		}
	});
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: async () => new Promise<void>((done) => {
			server.closeAllConnections();
			server.close(() => done());
		}),
	};
};

export type DownMode = 'refuse' | 'hang' | number;

export interface ControlledApi {
	/** `http://127.0.0.1:<port>` — stays the same across down/up. */
	url: string;
	state: TestServerState;
	/** Requests that reached the server (every route), since start. */
	readonly requests: number;
	/** Every request but CORS preflights: method, path and query, and headers (lower-case names). */
	readonly seen: Array<{ method: string; url: string; headers: Record<string, string> }>;
	/** Take the origin down: refuse connections, hang every request, or answer every request with a status. */
	down(mode: DownMode): Promise<void>;
	/** Bring it back. */
	up(): Promise<void>;
	close(): Promise<void>;
}

export const startApi = async (): Promise<ControlledApi> => {
	const state = createState();
	const handler = createHandler(state);
	let mode: DownMode | 'up' = 'up';
	let requests = 0;
	const seen: ControlledApi['seen'] = [];
	const hanging = new Set<() => void>();
	const controlled = async (request: Request): Promise<Response> => {
		requests++;
		if (request.method !== 'OPTIONS') {
			const url = new URL(request.url);
			seen.push({ method: request.method, url: url.pathname + url.search, headers: Object.fromEntries(request.headers) });
		}

		const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };
		if (mode === 'hang' && request.method !== 'OPTIONS') {
			return new Promise<Response>((done) => {
				const release = () => done(new Response(null, { status: 499, headers: cors }));
				hanging.add(release);
				request.signal?.addEventListener('abort', release);
			});
		}

		if (typeof mode === 'number' && request.method !== 'OPTIONS') {
			return new Response(JSON.stringify({ down: true }), { status: mode, headers: { ...cors, 'content-type': 'application/json' } });
		}

		return handler(request);
	};

	let running: RunningServer | undefined = await serve(controlled);
	const port = Number(new URL(running.url).port);
	return {
		url: running.url,
		state,
		seen,
		get requests() {
			return requests;
		},
		async down(next) {
			mode = next;
			if (next === 'refuse' && running) {
				await running.close();
				running = undefined;
			}
		},
		async up() {
			mode = 'up';
			for (const release of hanging) {
				release();
			}

			hanging.clear();
			running ??= await serve(controlled, port);
		},
		async close() {
			for (const release of hanging) {
				release();
			}

			await running?.close();
		},
	};
};

export interface Chromium {
	browser: Browser;
	/** A fresh context (one "profile"): its pages share storage, channels and locks. */
	context(): Promise<BrowserContext>;
	close(): Promise<void>;
}

/** Uncaught errors (exceptions and unhandled rejections) of the pages this test file opened, not yet reported. */
const pageErrors: Array<{ url: string; error: Error }> = [];

/** Fail the test (or the file, after its last test) during which a page threw; `when` says which. */
const reportPageErrors = (when: string): void => {
	const errors = pageErrors.splice(0);
	if (errors.length > 0) {
		throw new AggregateError(errors.map(({ error }) => error), `${errors.length} uncaught error(s) in a page ${when}: ${errors.map(({ url, error }) => `${url}: ${error.message}`).join('; ')}`);
	}
};

// Registered in the file that imports this helper (at its collection): every test of it is checked.
afterEach(() => reportPageErrors('during this test'));
afterAll(() => reportPageErrors('after the last test of this file'));

export interface OpenPageOptions {
	/**
	 * Where the page's uncaught errors go. By default each one fails the test during which it was
	 * thrown; a test that provokes one on purpose passes this and asserts what it got. (A failed
	 * request the console reports, such as `net::ERR_FAILED`, is a console message, not a page error.)
	 */
	onPageError?: (error: Error) => void;
}

/**
 * Open the test page in a new tab of `context` and wait until `globalThis.steadfetch` is there. An
 * uncaught error in the page fails the test (see `OpenPageOptions.onPageError`).
 */
export const openPage = async (context: BrowserContext, pageServer: PageServer, options: OpenPageOptions = {}): Promise<Page> => {
	const tab = await context.newPage();
	tab.on('pageerror', (error) => {
		if (options.onPageError) {
			options.onPageError(error);
		} else {
			console.error('[page error]', error);
			pageErrors.push({ url: tab.url(), error });
		}
	});
	// The harness's own files must load; a failure here explains a page that never gets `steadfetch`.
	tab.on('requestfailed', (request) => {
		if (request.url().startsWith(pageServer.url)) {
			console.error('[test page] failed to load', request.url(), request.failure()?.errorText);
		}
	});
	await tab.goto(pageServer.url);
	await tab.waitForFunction(() => 'steadfetch' in globalThis);
	return tab;
};

export const launchChromium = async (): Promise<Chromium> => {
	const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
	return {
		browser,
		context: async () => browser.newContext(),
		close: async () => browser.close(),
	};
};

/**
 * What stands for the object `started()` gives once a hook has started it: each property read is read from it (a
 * method, bound to it).
 */
export const standIn = <T extends object>(started: () => T): T => new Proxy({} as T, {
	get: (_, property) => {
		const target = started();
		const value: unknown = Reflect.get(target, property);
		return typeof value === 'function' ? value.bind(target) : value;
	},
});

/** What `chromiumForFile` starts: the browser, the page server and the controlled API. */
export interface ChromiumFile {
	chromium: Chromium;
	pages: PageServer;
	api: ControlledApi;
}

/**
 * Chromium, a page server and the controlled API for every test of the file: started before the first, closed
 * after the last (after `beforeClose`, if given: the file's last browser context, say). The three returned
 * stand for the started ones: each property read is read from them (a method, bound to them).
 */
export const chromiumForFile = (beforeClose?: () => Promise<unknown>): ChromiumFile => {
	let started: ChromiumFile | undefined;
	beforeAll(async () => {
		const [browser, server, controlled] = await Promise.all([launchChromium(), startPageServer(), startApi()]);
		started = { chromium: browser, pages: server, api: controlled };
	});
	afterAll(async () => {
		await beforeClose?.();
		await Promise.all([started?.chromium.close(), started?.pages.close(), started?.api.close()]);
	});
	return { chromium: standIn(() => started!.chromium), pages: standIn(() => started!.pages), api: standIn(() => started!.api) };
};

/** Every key and value of every IndexedDB database of the page, as text. */
export const dumpIndexedDb = async (page: Page): Promise<string> => page.evaluate(async () => {
	const text = (value: unknown): string => JSON.stringify(value, (_key, inner: unknown) =>
		inner instanceof ArrayBuffer ? new TextDecoder().decode(inner) : ArrayBuffer.isView(inner) ? new TextDecoder().decode(inner) : inner);
	const parts: string[] = [];
	for (const { name } of await indexedDB.databases()) {
		const database = await new Promise<IDBDatabase>((resolve, reject) => {
			const request = indexedDB.open(name!);
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		for (const storeName of database.objectStoreNames) {
			const store = database.transaction(storeName).objectStore(storeName);
			const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map(async (request) => new Promise<unknown>((resolve) => {
				request.onsuccess = () => resolve(request.result);
			})));
			parts.push(`${name}/${storeName}: ${text(keys)} ${text(values)}`);
		}

		database.close();
	}

	return parts.join('\n');
});
