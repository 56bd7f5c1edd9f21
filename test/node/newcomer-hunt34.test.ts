/**
 * The thirty-fourth hunt, the newcomer's frictions: what a newcomer reads in the README and what the
 * package does when they follow it (or make a common mistake).
 */
import { describe, expect, it } from 'vitest';

const fetch = async (): Promise<Response> => new Response('{}', { headers: { 'content-type': 'application/json' } });

describe('a client used after its `close()` says what to do', () => {
	// A common way to meet it: a module-level client closed in a React effect's cleanup, which StrictMode
	// runs once on mount; every later call of the page then rejects.
	const advice = /^The client is closed: `close\(\)` ends it for good; make another \(`createClient\(\)`, or `withContext\(ctx\)` for a request\) — a page or a Worker keeps one for its whole life$/;

	it('a call, a member that would act, and a request\'s client after their close(): CLIENT_CLOSED, naming what to do', async () => {
		const { createClient, memoryStore, outbox, SteadfetchError } = await import('../../src/entries/index.js');
		const api = createClient({ baseUrl: 'https://api.example.com/v1/', store: memoryStore, fetch, outbox: outbox() });
		const request = api.withContext({ waitUntil: () => undefined });
		request.close();
		const fromRequest = await request.get('users/1').then(() => undefined, (error: unknown) => error);
		api.close();
		const errors = await Promise.all([api.get('users/1'), api.outbox.flush(), api.clear()].map(async (call) => call.then(() => undefined, (error: unknown) => error)));
		for (const error of [fromRequest, ...errors]) {
			expect(error).toBeInstanceOf(SteadfetchError);
			expect((error as InstanceType<typeof SteadfetchError>).code).toBe('CLIENT_CLOSED');
		}

		// Before: 'The client is closed' alone, nothing on what to do.
		expect([fromRequest, ...errors].map((error) => (error as Error).message).filter((message) => !advice.test(message))).toEqual([]);
	});
});
