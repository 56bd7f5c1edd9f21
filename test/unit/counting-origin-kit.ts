/** Shared setup of the bulkhead, dedupe and aborted-signal tests: a counting loopback origin, and a transport the test answers by hand. */
import { afterAll, beforeAll } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';

/** The origin's URL, once `useCountingOrigin()`'s origin has started. */
export const server = { url: '' };
/** Requests open at the origin now, the most at once, and in all. */
export const open = { now: 0, max: 0, total: 0 };

/** A loopback origin for the test file that counts requests open at once; `?ms=` waits that long (5 by default). */
export const useCountingOrigin = (): void => {
	let running: RunningServer;
	beforeAll(async () => {
		running = await serve(async (request) => {
			const url = new URL(request.url);
			open.now++;
			open.total++;
			open.max = Math.max(open.max, open.now);
			try {
				await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 5)));
				return new Response(JSON.stringify({ path: url.pathname, body: 'x'.repeat(1000), tenant: request.headers.get('x-tenant') }), { headers: { 'content-type': 'application/json' } });
			} finally {
				open.now--;
			}
		});
		server.url = running.url;
	});
	afterAll(async () => running.close());
};

/** A transport whose answers the test releases by hand. */
export const held = () => {
	const pending: Array<{ request: Request; release: (response?: Response) => void }> = [];
	const fetch = async (request: Request) => new Promise<Response>((resolve, reject) => {
		pending.push({ request, release: (response = new Response('ok')) => resolve(response) });
		request.signal.addEventListener('abort', () => reject(request.signal.reason));
	});
	return { pending, fetch: fetch as typeof globalThis.fetch };
};

/** A transport whose attempts the test answers by hand with a status, in the order they were sent. */
export const scripted = () => {
	const attempts: Array<{ request: Request; answer: (status: number) => void }> = [];
	const fetch = (async (request: Request) => new Promise<Response>((resolve, reject) => {
		attempts.push({ request, answer: (status) => resolve(new Response(String(status), { status })) });
		request.signal.addEventListener('abort', () => reject(request.signal.reason));
	})) as typeof globalThis.fetch;
	return { attempts, fetch };
};
