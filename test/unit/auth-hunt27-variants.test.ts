/**
 * The twenty-seventh round on auth, the TanStack Query helpers and the headers the library reads back (defect hunt):
 * a server's own `Cache-Status: steadfetch; …` or `Steadfetch-Outbox-Entry` taken for an answer the client made; an
 * isolated scope's refusal retried by TanStack after `maxOpenMs`; a call made before a `clear()` (no identity, no auth)
 * whose first attempt went out after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient, memoryStore } from '../../src/entries/index.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** What a promise ends with: its value, else `code` (or name) of its error. */
const ending = async (promise: Promise<unknown>): Promise<unknown> => promise.then(
	(value) => value,
	(error: { code?: string; name?: string }) => error?.code ?? error?.name,
);

describe('a call made before clear() (no identity, no auth) does not go out after it', () => {
	it('its first attempt waited for a bulkhead slot during clear(): ABORTED, never sent', async () => {
		const sent: string[] = [];
		const answers: Array<() => void> = [];
		const api = createClient({
			name: `h27-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: false, bulkhead: bulkhead({ maxConcurrent: 1 }),
			fetch: async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				await new Promise<void>((resolve) => answers.push(resolve));
				return new Response('ok');
			},
		} as never);
		made.push(api);
		const first = ending(api.get('https://api.test/first').then((response) => response.status));
		await expect.poll(() => sent.length).toBe(1);
		const waiting = ending(api.get('https://api.test/waiting').then((response) => response.status));
		await api.clear();
		answers.shift()!();
		expect(await first).toBe(200);
		// Before: 200, sent ['/first', '/waiting'] (a call of the session before the logout went out after it).
		const outcome = await Promise.race([waiting, expect.poll(() => sent.length).toBe(2).then(() => 'sent')]);
		expect([outcome, sent]).toEqual(['ABORTED', ['/first']]);
		// A call made after the clear goes.
		const next = ending(api.get('https://api.test/next').then((response) => response.status));
		await expect.poll(() => answers.length).toBe(1);
		answers.shift()!();
		expect([await next, sent]).toEqual([200, ['/first', '/next']]);
	});
});
