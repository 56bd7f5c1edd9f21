// `pending-writes=N` (API.md "Read your own writes") in real Deno, against the edge build (dist/edge/): that
// build has no channel to other tabs (outbox/pending-tabs-edge.ts), and the client still counts its own
// queue: a stale answer of a URL says how many of the current identity's writes to it are pending.
import * as lib from '../../dist/edge/index.js';
import { waitFor } from '../helpers/wait-for.ts';
import { assert } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
};

Deno.test({
	name: 'pending-writes (Deno, edge build): the client\'s own queued writes to a URL are counted on its stale answers, none once delivered',
	sanitizeOps: false,
	sanitizeResources: false,
	async fn() {
		let n = 0;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, async (request) => {
			await request.arrayBuffer();
			return Response.json({ n: ++n, method: request.method });
		});
		const base = `http://127.0.0.1:${server.addr.port}/`;
		let down = false;
		const api = lib.createClient({
			baseUrl: base, name: `deno-pending-${crypto.randomUUID()}`, retry: 0, breaker: false, outbox: lib.outbox(),
			fetch: async (request: Request, init?: RequestInit) => {
				if (down) {
					throw new TypeError('error sending request: Connection refused');
				}

				return globalThis.fetch(request, init);
			},
		});
		/** The `Cache-Status` of a read while the API is unreachable (a stale copy's, or none). */
		const statusWhileDown = async (path: string): Promise<string> => {
			const was = down;
			down = true;
			try {
				const response = await api.get(path).catch(() => undefined);
				await response?.body?.cancel();
				return response?.headers.get('cache-status') ?? '';
			} finally {
				down = was;
			}
		};

		const queued = async (call: Promise<unknown>): Promise<void> => {
			const error = await call.then(() => undefined, (caught: unknown) => caught);
			assert(error instanceof lib.OutboxQueuedError, `told queued: ${String(error)}`);
		};

		try {
			await api.get('todos/1').text();
			await api.get('todos/2').text();
			await waitFor(async () => /detail=network$/.test(await statusWhileDown('todos/1')), 'the copy of todos/1 served stale');
			await waitFor(async () => /detail=network$/.test(await statusWhileDown('todos/2')), 'the copy of todos/2 served stale');
			down = true;
			await queued(api.patch('todos/1', { json: { done: true } }));
			await queued(api.patch('todos/1', { json: { title: 'b' } }));
			const pending = await statusWhileDown('todos/1');
			assert(/; detail=network; pending-writes=2$/.test(pending), `two writes pending to todos/1: ${pending}`);
			const other = await statusWhileDown('todos/2');
			assert(/detail=network$/.test(other), `none to todos/2: ${other}`);
			down = false;

			await waitFor(async () => {
				await api.outbox.flush();
				return await api.outbox.size() === 0;
			}, 'the writes delivered');
			await api.get('todos/1').text();
			await waitFor(async () => /detail=network$/.test(await statusWhileDown('todos/1')), 'a new copy of todos/1, with no write pending');
			await api.clear();
		} finally {
			api.close();
			await server.shutdown();
		}
	},
});
