/**
 * A registered service worker in real Chromium (test/helpers/pages.ts): the worker's source bundled from the repository,
 * served at `/sw.js` by the page server, and a page it controls.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import type { Page } from 'playwright';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, openPage, standIn, startPageServer, type Chromium, type PageServer } from './pages.js';

const root = join(import.meta.dirname, '../..');

/**
 * The end of a worker that takes control of its pages at once and passes each fetch event to `onFetch` (code, with
 * `event` in scope; by default the worker's `handle`).
 */
export const claimingWorker = (onFetch = 'handle(event);'): string => `
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => { ${onFetch} });
`;

/**
 * A worker (for `workerForFile`) whose client, `createClient(${client})` (`imports`: what it takes from steadfetch),
 * answers with fetchHandler the page's calls under `${apiOrigin}${under}`, and that claims its pages.
 */
export const handlerWorker = (client: string, { imports = 'createClient', under = '/' } = {}) => (apiOrigin: string): string => `
import { ${imports} } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient(${client});
const handle = fetchHandler(api, { match: (request) => request.url.startsWith(${JSON.stringify(`${apiOrigin}${under}`)}) });
${claimingWorker()}`;

/** CORS headers that let a page of another origin send anything and read everything. */
export const openCors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };

/** Chromium, and a page server serving `source` (bundled: `steadfetch` resolved in this repository) at `/sw.js` (and `redirects`: `startPageServer`). */
export const startWorkerPages = async (source: string, redirects?: Record<string, string>): Promise<[Chromium, PageServer]> => {
	const bundle = await build({
		stdin: { contents: source, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'error',
	});
	return Promise.all([launchChromium(), startPageServer({ '/sw.js': bundle.outputFiles[0]!.text }, redirects)]);
};

/** Wait until `page` is controlled by the worker. */
export const controlled = async (page: Page): Promise<void> => {
	await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
};

/** `/sw.js` registered from `page`, and the page controlled by it. */
export const registerWorker = async (page: Page): Promise<Page> => {
	await page.evaluate(async () => {
		await navigator.serviceWorker.register('/sw.js', { type: 'module' });
		await navigator.serviceWorker.ready;
	});
	await controlled(page);
	return page;
};

/** A page of a new context of `chromium` (its own profile), controlled by the worker at `/sw.js`; `close()` closes the context. */
export const controlledPage = async (chromium: Chromium, pages: PageServer) => {
	const context = await chromium.context();
	const page = await registerWorker(await openPage(context, pages));
	return { context, page };
};

/** What `workerForFile` starts: the browser, the page server (with the worker) and the origin. */
export interface WorkerFile<Origin> {
	chromium: Chromium;
	pages: PageServer;
	origin: Origin;
}

/**
 * For every test of the file: the origin `startOrigin()` starts, then Chromium and a page server serving the worker
 * `worker(origin.url)` gives (and the page server's `redirects(origin.url)`: `startPageServer`); started before the first
 * test, closed after the last. The three returned stand for the started ones (each property read is read from them).
 */
export const workerForFile = <Origin extends { url: string; close(): Promise<void> }>(startOrigin: () => Promise<Origin>, worker: (originUrl: string) => string, redirects?: (originUrl: string) => Record<string, string>): WorkerFile<Origin> => {
	let origin: Origin | undefined;
	let browser: [Chromium, PageServer] | undefined;
	beforeAll(async () => {
		origin = await startOrigin();
		browser = await startWorkerPages(worker(origin.url), redirects?.(origin.url));
	}, 60_000);
	afterAll(async () => {
		await Promise.all([browser?.[0].close(), browser?.[1].close(), origin?.close()]);
	});
	return { chromium: standIn(() => browser![0]), pages: standIn(() => browser![1]), origin: standIn(() => origin!) };
};
