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
