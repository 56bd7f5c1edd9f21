/**
 * A loopback origin for a test file that notes what each request carried, and the preset's clients over it: the input
 * hunts' set-up (test/unit/input-hunt41*.test.ts). Node only (a real server).
 */
import { afterAll, beforeAll } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { serve, type RunningServer } from './node-server.js';

/**
 * An origin served before the file's tests and closed after them, that notes each request's method, Content-Type and
 * body and answers `{}`. `url`: its address. `outcome(call)`: the call's end (its status, or its error's class, code and
 * message) and what the origin got for it. `name()`: a client name of its own (`<prefix>-<n>`). `client(options)`: a
 * client over the origin (`prefix` its URL, a name of its own, `store: memoryStore`, no retries, then `options`).
 */
export const notingOriginForFile = (prefix: string) => {
	let origin: RunningServer;
	/** What the origin got: method, Content-Type and body of each request. */
	const seen: string[] = [];
	let made = 0;
	beforeAll(async () => {
		origin = await serve(async (request) => {
			seen.push(`${request.method} ${request.headers.get('content-type')} ${JSON.stringify(await request.text())}`);
			return Response.json({});
		});
	});
	afterAll(async () => origin.close());
	const name = (): string => `${prefix}-${++made}`;
	return {
		get url(): string {
			return origin.url;
		},
		outcome: async (call: Promise<Response>): Promise<string> => {
			seen.length = 0;
			const result = await call.then((response) => String(response.status), (error: unknown) => `${(error as Error).constructor.name} ${classify(error).code} ${(error as Error).message}`);
			return `${result}; sent: ${seen.join(', ') || 'nothing'}`;
		},
		name,
		client: (options: object) => createClient({ prefix: origin.url, store: memoryStore, name: name(), retry: 0, ...options }),
	};
};
