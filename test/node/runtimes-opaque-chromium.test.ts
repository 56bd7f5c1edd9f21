/**
 * A page of an opaque origin in real Chromium (a sandboxed iframe or page without `allow-same-origin`:
 * a Figma plugin's UI, an embed), where reading `navigator.serviceWorker` (as `caches`, `localStorage`)
 * throws a `SecurityError`: feature detection must not throw. The page is served with
 * `Content-Security-Policy: sandbox allow-scripts` (its origin is `null`), its modules and API with CORS.
 * Uses dist/ (`npm run build`).
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, type Chromium, type PageServer } from '../helpers/pages.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib };

const root = resolve(import.meta.dirname, '../..');
let chromium: Chromium;
let server: PageServer;
let down = false;

beforeAll(async () => {
	const http = createServer(async (request, response) => {
		const path = new URL(request.url ?? '/', 'http://x').pathname;
		const cors = { 'access-control-allow-origin': '*' };
		if (path === '/') {
			response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': 'sandbox allow-scripts' });
			const at = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
			response.end(`<!doctype html><html><head><script type="importmap">{"imports":{"steadfetch":"${at}/dist/browser/index.js","ky":"${at}/node_modules/ky/distribution/index.js","idb-keyval":"${at}/node_modules/idb-keyval/dist/index.js"}}</script>
<script type="module">import * as steadfetch from 'steadfetch'; globalThis.steadfetch = steadfetch;</script></head><body></body></html>`);
			return;
		}

		if (path === '/api/x') {
			if (request.method === 'OPTIONS') {
				response.writeHead(204, { ...cors, 'access-control-allow-methods': '*', 'access-control-allow-headers': '*' });
				response.end();
				return;
			}

			if (down) {
				response.destroy();
				return;
			}

			response.writeHead(200, { ...cors, 'content-type': 'application/json' });
			response.end('{"a":1}');
			return;
		}

		const file = normalize(join(root, path));
		if (!file.startsWith(join(root, 'dist')) && !file.startsWith(join(root, 'node_modules'))) {
			response.writeHead(404, cors);
			response.end();
			return;
		}

		const body = await readFile(file).catch(() => undefined);
		response.writeHead(body ? 200 : 404, { ...cors, 'content-type': 'text/javascript' });
		response.end(body);
	});
	await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
	server = {
		url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
		close: async () => new Promise<void>((done) => {
			http.closeAllConnections();
			http.close(() => done());
		}),
	};
	chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
	await Promise.all([chromium?.close(), server?.close()]);
});

describe('a page of an opaque origin, where reading navigator.serviceWorker throws a SecurityError', () => {
	it('a write the outbox queues is told it is queued (OutboxQueuedError), not a raw SecurityError (was: code 18, classify UNKNOWN, while it was queued)', async () => {
		const context = await chromium.context();
		const tab = await openPage(context, server);
		const seen = await tab.evaluate(() => {
			try {
				return `${self.origin} ${typeof navigator.serviceWorker}`;
			} catch (error) {
				return `${self.origin} ${(error as Error).name}`;
			}
		});
		expect(seen).toBe('null SecurityError'); // The context this test is about.
		down = true;
		const queued = await tab.evaluate(async (api) => {
			const { steadfetch } = globalThis as Scope;
			const writer = steadfetch.createClient({ retry: 0, outbox: steadfetch.outbox() });
			return writer.post(`${api}/api/x`, { json: { a: 1 } }).then(() => 'sent', (error: unknown) => `${(error as Error).name} ${(error as { code?: unknown }).code} ${steadfetch.classify(error).code}`);
		}, server.url);
		down = false;
		expect(queued).toBe('OutboxQueuedError QUEUED QUEUED');
		await context.close();
	}, 60_000);
});

describe('a page of an opaque origin, whose IndexedDB refuses (indexedDB.open throws a SecurityError): autoStore takes memory, as where there is none', () => {
	it('a write queued while the API is down is delivered by flush() once it is back; a copy is stored and served; no storage:error', async () => {
		const context = await chromium.context();
		const tab = await openPage(context, server);
		const seen = await tab.evaluate(() => {
			try {
				indexedDB.open('probe');
				return `${self.origin} ${typeof indexedDB} opened`;
			} catch (error) {
				return `${self.origin} ${typeof indexedDB} ${(error as Error).name}`;
			}
		});
		expect(seen).toBe('null object SecurityError'); // The context this test is about: indexedDB is there, and refuses.
		const stored = await tab.evaluate(async (api) => {
			const { steadfetch } = globalThis as Scope;
			const client = steadfetch.createClient({ retry: 0, outbox: steadfetch.outbox() });
			const errors: string[] = [];
			client.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
			Object.assign(globalThis, { client, errors });
			const copied = new Promise((done) => {
				client.on('cache:stored', done);
			});
			await client.get(`${api}/api/x`).json();
			return Promise.race([copied.then(() => 'stored'), new Promise((done) => setTimeout(done, 2000, 'not stored'))]);
		}, server.url);
		down = true;
		const offline = await tab.evaluate(async (api) => {
			const { client } = globalThis as unknown as { client: ReturnType<Lib['createClient']> };
			const stale = await client.get(`${api}/api/x`).then((response) => response.headers.get('cache-status'), (error: unknown) => (error as Error).name);
			const queued = await client.post(`${api}/api/x`, { json: { a: 1 } }).then(() => 'sent', (error: unknown) => steadfetchOf().classify(error).code);
			return { stale, queued };

			function steadfetchOf(): Lib {
				return (globalThis as Scope).steadfetch;
			}
		}, server.url);
		down = false;
		const back = await tab.evaluate(async () => {
			const { client, errors } = globalThis as unknown as { client: ReturnType<Lib['createClient']> & { outbox: { flush(): Promise<{ sent: number }>; size(): Promise<number> } }; errors: string[] };
			const { sent } = await client.outbox.flush();
			return { sent, size: await client.outbox.size(), errors: [...new Set(errors)] };
		});
		expect([stored, offline, back]).toEqual(['stored', { stale: 'steadfetch; hit; ttl=0; detail=network', queued: 'QUEUED' }, { sent: 1, size: 0, errors: [] }]);
		await context.close();
	}, 60_000);
});
