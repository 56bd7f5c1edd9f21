// The contract spec in real Deno, against the edge build (dist/edge/, what the `deno` export condition resolves), with the loopback API served by Deno itself.
import * as lib from '../contract/library-edge.ts';
import { contractCases } from '../contract/spec.ts';
import { createHandler } from '../helpers/server-handler.ts';

declare const Deno: {
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
	listen(options: { port: number; hostname: string }): { addr: { port: number }; close(): void };
};

const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, createHandler());
const closed = Deno.listen({ port: 0, hostname: '127.0.0.1' });
const refusedUrl = `http://127.0.0.1:${closed.addr.port}`;
closed.close();

const cases = contractCases(lib as never, { baseUrl: `http://127.0.0.1:${server.addr.port}`, refusedUrl, runtime: 'deno' });
for (const { name, run } of cases) {
	// The server lives for the whole file and hanging requests are aborted by design: the op sanitizers would flag both.
	Deno.test({ name: `contract (Deno): ${name}`, fn: run, sanitizeOps: false, sanitizeResources: false });
}

Deno.test({ name: 'contract (Deno): shut the server down', fn: async () => server.shutdown(), sanitizeOps: false, sanitizeResources: false });
