/**
 * A client's `close()` with a call in flight (the thirty-eighth hunt): "further calls reject" (API.md), and so does any
 * further attempt of a call made before it (a retry; a hedge's timer stops at the close) — as a rate limiter's waiting retry was (the thirty-seventh
 * hunt). Before: a closed client went on retrying its calls in flight, each retry sent (3 arrivals where 1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: RunningServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

/** An origin that counts arrivals and answers each after `release()` with `status`. */
const heldOrigin = async (status: number) => {
	let arrivals = 0;
	const waiting: Array<() => void> = [];
	server = await serve(async () => {
		arrivals++;
		await new Promise<void>((resolve) => waiting.push(resolve));
		return new Response('x', { status });
	});
	return {
		url: `${server.url}/x`,
		arrivals: () => arrivals,
		release: () => {
			for (const resolve of waiting.splice(0)) {
				resolve();
			}
		},
		waiting: () => waiting.length,
	};
};

const codeOf = (call: Promise<Response>): Promise<string> => call.then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);

describe('close() with a call in flight', () => {
	it('refuses its retry: CLIENT_CLOSED, nothing more sent', async () => {
		const origin = await heldOrigin(503);
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, staleCache: false, breaker: false, name: `h38-close-${crypto.randomUUID()}` });
		const call = codeOf(api.get(origin.url));
		await waitFor(() => origin.waiting() === 1, 'the first attempt at the origin');
		api.close();
		origin.release();
		expect([await call, origin.arrivals()]).toEqual(['CLIENT_CLOSED', 1]);
	});

	it('refuses the retry of an attempt that timed out after it', async () => {
		const origin = await heldOrigin(200);
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, timeout: 200, staleCache: false, breaker: false, name: `h38-close-${crypto.randomUUID()}` });
		const call = codeOf(api.get(origin.url));
		await waitFor(() => origin.waiting() === 1, 'the first attempt at the origin');
		api.close();
		const outcome = await call;
		origin.release();
		expect([outcome, origin.arrivals()]).toEqual(['CLIENT_CLOSED', 1]);
	});

	it('still gives the answer of its attempt under way (a guard)', async () => {
		const origin = await heldOrigin(200);
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, name: `h38-close-${crypto.randomUUID()}` });
		const call = codeOf(api.get(origin.url));
		await waitFor(() => origin.waiting() === 1, 'the first attempt at the origin');
		api.close();
		origin.release();
		expect([await call, origin.arrivals()]).toEqual(['200', 1]);
	});
});
