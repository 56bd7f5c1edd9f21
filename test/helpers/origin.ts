/** A loopback origin of the test server's handler that records what reached it and can be made to fail. */
import { serve, type RunningServer } from './node-server.js';
import { createHandler, createState, type TestServerState } from './server-handler.js';

export interface Origin {
	server: RunningServer;
	state: TestServerState;
	/** Requests that reached it, by path. */
	seen: string[];
	/** While set, every request is answered with this status. */
	failWith?: number | undefined;
}

/** Start an origin on a free port (`origin.server.close()` stops it). */
export const startOrigin = async (): Promise<Origin> => {
	const state = createState();
	const handler = createHandler(state);
	const origin: Origin = { state, seen: [], server: undefined as unknown as RunningServer };
	origin.server = await serve(async (request) => {
		const url = new URL(request.url);
		origin.seen.push(`${request.method} ${url.pathname}${url.search}`);
		return origin.failWith ? new Response('down', { status: origin.failWith }) : handler(request);
	});
	return origin;
};
