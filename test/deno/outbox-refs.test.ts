// outbox.ref() in real Deno, against the edge build (dist/edge/): a todo made offline, then edited
// with the server's id it will get; both stored (the Cache API store, Deno's default), the dependent
// queued behind its parent, replayed in order once the API is back, with the id in its URL and body.
import * as lib from '../../dist/edge/index.js';
import { assert } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
};

Deno.test({
	name: 'outbox.ref() (Deno): a dependent waits for its parent and is replayed with the server\'s id',
	sanitizeOps: false,
	sanitizeResources: false,
	async fn() {
		const seen: Array<{ method: string; path: string; body: string; key: string | null }> = [];
		let next = 7;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, async (request) => {
			const { pathname } = new URL(request.url);
			seen.push({ method: request.method, path: pathname, body: await request.text(), key: request.headers.get('idempotency-key') });
			return request.method === 'POST' ? Response.json({ id: next++ }, { status: 201 }) : Response.json({ ok: true });
		});
		const base = `http://127.0.0.1:${server.addr.port}/`;
		let down = true;
		const api = lib.createClient({
			baseUrl: base, name: `deno-refs-${crypto.randomUUID()}`, retry: 0, breaker: false, outbox: lib.outbox(),
			fetch: async (request: Request, init?: RequestInit) => {
				if (down) {
					throw new TypeError('error sending request: Connection refused');
				}

				return globalThis.fetch(request, init);
			},
		});
		const waiting: unknown[] = [];
		api.on('outbox:waiting', (event: { dependsOn?: unknown }) => waiting.push(event.dependsOn));
		const queued = async (call: Promise<unknown>): Promise<string> => {
			const error = await call.then(() => undefined, (caught: unknown) => caught);
			assert(error instanceof lib.OutboxQueuedError, `told queued: ${String(error)}`);
			return (error as { entryId: string }).entryId;
		};

		try {
			const parent = await queued(api.post('todos', { json: { title: 'made offline' } }));
			const id = api.outbox.ref(parent, '/id');
			const child = await queued(api.patch(`todos/${id}`, { json: { done: true, parent: id } }));
			const listed = await api.outbox.list();
			assert(JSON.stringify(listed.map((each: { id: string; dependsOn?: string[] }) => [each.id, each.dependsOn ?? null])) === JSON.stringify([[parent, null], [child, [parent]]]), `listed: ${JSON.stringify(listed)}`);
			assert(JSON.stringify(waiting) === JSON.stringify([[parent]]), `outbox:waiting: ${JSON.stringify(waiting)}`);
			assert(seen.length === 0, 'nothing reached the server while offline');
			down = false;
			await api.outbox.flush();
			for (let i = 0; i < 200 && (await api.outbox.size()) > 0; i++) {
				await api.outbox.flush();
				await new Promise((resolve) => setTimeout(resolve, 25));
			}

			const writes = seen.map((each) => `${each.method} ${each.path}`);
			assert(JSON.stringify(writes) === JSON.stringify(['POST /todos', 'PATCH /todos/7']), `in order, once each: ${writes.join(', ')}`);
			assert(seen[1]!.body === '{"done":true,"parent":7}', `the id in the body: ${seen[1]!.body}`);
			assert(seen[0]!.key !== null && seen[1]!.key !== null && seen[0]!.key !== seen[1]!.key, 'each write keeps its own Idempotency-Key');
			assert((await api.outbox.deadLetters()).length === 0, 'no dead letter');
			await api.clear();
		} finally {
			api.close();
			await server.shutdown();
		}
	},
});
