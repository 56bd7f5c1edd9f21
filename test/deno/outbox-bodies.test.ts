// The outbox in real Deno, against the edge build (dist/edge/): a body fetch reads once as it sends it —
// a ReadableStream, an async iterable, a generator of bytes (Deno's fetch takes all three) — is sent whole
// as with `outbox: false`, never read for the outbox (which would leave its first attempt nothing to send)
// and never queued; its failure is the caller's.
import * as lib from '../../dist/edge/index.js';
import { assert } from './helpers.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
};

Deno.test({
	name: 'outbox (Deno): a stream, an async iterable or a generator body is sent whole, never read for the outbox nor queued',
	sanitizeOps: false,
	sanitizeResources: false,
	async fn() {
		const seen: string[] = [];
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, async (request) => {
			const { searchParams } = new URL(request.url);
			seen.push(await request.text());
			return new Response('answered', { status: searchParams.has('fail') ? 503 : 201 });
		});
		const api = lib.createClient({ baseUrl: `http://127.0.0.1:${server.addr.port}/`, name: `deno-bodies-${crypto.randomUUID()}`, retry: 0, breaker: false, outbox: lib.outbox() });
		const bytes = (): Uint8Array[] => ['chunk-1;', 'chunk-2'].map((chunk) => new TextEncoder().encode(chunk));
		const bodies: Array<[string, () => unknown]> = [
			['a ReadableStream', () => ReadableStream.from(bytes())],
			['an async generator', () => (async function* () {
				yield* bytes();
			})()],
			['a generator', () => (function* () {
				yield* bytes();
			})()],
		];
		try {
			for (const [name, body] of bodies) {
				seen.length = 0;
				const status = await api.post('upload', { body: body() as BodyInit }).then((response: Response) => response.status, String);
				assert(status === 201 && JSON.stringify(seen) === JSON.stringify(['chunk-1;chunk-2']), `${name}: sent whole (${status}, ${JSON.stringify(seen)})`);
				const failed = await api.post('upload?fail', { body: body() as BodyInit }).then(() => 'answered', (error: unknown) => lib.classify(error).code);
				assert(failed === 'HTTP_5XX', `${name}: its failure is the caller's, not queued (${failed})`);
			}

			const stats = await api.outbox.stats();
			assert(JSON.stringify(stats) === JSON.stringify({ entries: 0, dead: 0, bytes: 0 }), `nothing stored: ${JSON.stringify(stats)}`);
		} finally {
			api.close();
			await server.shutdown();
		}
	},
});
