// The stale cache on the Cache API in real Deno, against the edge build (dist/edge/, what the `deno` export condition resolves): cacheApiStore holds the records.
import * as lib from '../../dist/edge/index.js';
import { createHandler } from '../helpers/server-handler.ts';
import { assert } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
};

Deno.test({
	name: 'cache (Deno): stored in the Cache API, served stale by a new client, shared by default, cleared',
	sanitizeOps: false,
	sanitizeResources: false,
	async fn() {
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, createHandler());
		const base = `http://127.0.0.1:${server.addr.port}/`;
		const name = `deno-cache-${crypto.randomUUID()}`;
		let down = false;
		const make = (options: Record<string, unknown> = {}) => lib.createClient({
			baseUrl: base, name, retry: 0, breaker: false,
			fetch: async (request: Request, init?: RequestInit) => {
				if (down) {
					throw new TypeError('error sending request: Connection refused');
				}

				return globalThis.fetch(request, init);
			},
			...options,
		});
		try {
			const first = make();
			const stored = new Promise((resolve) => first.on('cache:stored', resolve));
			await first.get('json?id=deno1').text();
			await stored;
			await new Promise((resolve) => setTimeout(resolve, 50));
			const keys = await lib.cacheApiStore(`${name}/cache`).keys();
			assert(keys.length === 1 && keys[0] === `r:~~${base}json?id=deno1`, `Cache API keys: ${keys.join()}`);

			const credentialed: string[] = [];
			first.on('cache:stored', (event) => credentialed.push(event.url));
			await first.get('json?id=deno2', { headers: { authorization: 'Bearer t' } }).text();
			await first.get('json?id=deno3&cc=private').text();
			await new Promise((resolve) => setTimeout(resolve, 100));
			assert(credentialed.length === 0, `shared by default in Deno: ${credentialed.join()}`);

			down = true;
			const second = make();
			const response = await second.get('json?id=deno1');
			assert(lib.isStale(response), 'served stale');
			assert(/detail=network$/.test(response.headers.get('cache-status') ?? ''), String(response.headers.get('cache-status')));
			const body = await response.json() as { n: number };
			assert(body.n === 1, JSON.stringify(body));
			await second.clear();
			assert((await lib.cacheApiStore(`${name}/cache`).keys()).length === 0, 'cleared');
		} finally {
			await server.shutdown();
		}
	},
});
