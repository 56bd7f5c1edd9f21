/**
 * The thirty-sixth round on auth and request contexts (defect hunt): redirects followed by steadfetch itself (with
 * `deadlineHeader`) through a custom `fetch` whose Responses carry no `url`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => `${response.status} ${response.url}`, (error: unknown) => (error instanceof AuthError ? 'AuthError' : String(error)));

describe('a redirect steadfetch follows itself (deadlineHeader), through a custom fetch whose Responses have no url', () => {
	it('a third party\'s 401 at the end of it refreshes nothing, and the answer names the URL that gave it', async () => {
		const sent: string[] = [];
		let refreshes = 0;
		const client = createClient({
			name: `h36-auth-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			deadlineHeader: 'request-timeout-ms', throwHttpErrors: false,
			auth: auth({ origins: ['https://api.test'], token: () => 'old', refresh: () => {
				refreshes++;
			} }),
			// A mock (or a Worker binding): `new Response()`, no `url`.
			fetch: (async (input: Request) => {
				sent.push(`${input.url} ${input.headers.get('authorization')}`);
				return input.url.startsWith('https://api.test/') ? new Response(null, { status: 302, headers: { location: 'https://third.test/x' } }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never);
		made.push(client);
		const answer = await outcome(client.get('a'));
		// Before: refreshes 1 and the call sent twice (the third party's 401 taken as the origin's), its answer's url ''.
		expect([answer, refreshes, sent]).toEqual(['401 https://third.test/x', 0, ['https://api.test/a Bearer old', 'https://third.test/x null']]);
	});
});
