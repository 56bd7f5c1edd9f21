import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
	/** `http://127.0.0.1:<port>` (no trailing slash). */
	url: string;
	server: Server;
	close(): Promise<void>;
}

/** Serve a fetch handler on loopback, port 0. */
export const serve = async (handler: (request: Request) => Promise<Response> | Response, port = 0): Promise<RunningServer> => {
	const server = createServer(async (incoming: IncomingMessage, outgoing: ServerResponse) => {
		const controller = new AbortController();
		outgoing.on('close', () => controller.abort());
		const chunks: Buffer[] = [];
		try {
			for await (const chunk of incoming) {
				chunks.push(chunk as Buffer);
			}
		} catch {
			// The client reset the connection mid-body (a request body stream that failed as it was sent): nobody to answer.
			outgoing.destroy();
			return;
		}

		const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
		const headers = new Headers();
		for (const [key, value] of Object.entries(incoming.headers)) {
			if (typeof value === 'string') {
				headers.set(key, value);
			} else if (Array.isArray(value)) {
				headers.set(key, value.join(', '));
			}
		}

		const request = new Request(`http://${incoming.headers.host ?? '127.0.0.1'}${incoming.url ?? '/'}`, {
			method: incoming.method ?? 'GET',
			headers,
			signal: controller.signal,
			...(body && incoming.method !== 'GET' && incoming.method !== 'HEAD' ? { body } : {}),
		});
		try {
			const response = await handler(request);
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, key) => {
				responseHeaders[key] = value;
			});
			outgoing.writeHead(response.status, responseHeaders);
			outgoing.end(Buffer.from(await response.arrayBuffer()));
		} catch (error) {
			outgoing.writeHead(500);
			outgoing.end(String(error));
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		// A backlog for a burst of 1,000 connections at once (budget.test): at Node's 511 a busy machine's accept queue
		// overflowed and some connections were reset (ECONNRESET: attempts the client sent that no handler saw).
		server.listen({ port, host: '127.0.0.1', backlog: 4096 }, resolve);
	});
	const address = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${address.port}`,
		server,
		close: async () => new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
};

/** A loopback port nothing listens on: connections to it are refused. */
export const refusedUrl = async (): Promise<string> => {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return `http://127.0.0.1:${port}`;
};
