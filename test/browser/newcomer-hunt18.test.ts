/**
 * Defect hunt, eighteenth round (the newcomer's path), in real Chromium: a URL whose scheme the browser's `fetch` does
 * not send (a host typed without `http://`, `ftp:`, `ws:`) is refused without I/O with the TypeError ky calls a
 * `NetworkError`. README "Errors": `INVALID_REQUEST` is "bad input found before any I/O (an invalid URL …)".
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore } from '../../src/entries/index.js';
import { createClient as coreClient } from '../../src/entries/core.js';

describe('a URL whose scheme fetch does not send is bad input (Chromium)', () => {
	const clients: Array<[string, (options: { name: string }) => ReturnType<typeof coreClient>]> = [
		['the preset', (options) => createClient({ ...options, store: memoryStore, retry: { limit: 2, backoffLimit: 1 } })],
		['steadfetch/core', (options) => coreClient({ ...options, store: memoryStore, retry: { limit: 2, backoffLimit: 1 } })],
	];
	for (const [name, make] of clients) {
		it(`${name}: InvalidRequestError, not retried, no breaker failure, not unreachable`, async () => {
			for (const url of ['localhost:3000/api/users', 'ftp://files.example.com/a', 'ws://127.0.0.1:9/a']) {
				const api = make({ name: `h18-${Math.random().toString(36).slice(2)}` });
				const retries: unknown[] = [];
				api.on('retry', (event) => retries.push(event));
				const error = await api.get(url).then(() => undefined, (thrown: unknown) => thrown);
				expect(error, url).toBeInstanceOf(InvalidRequestError); // before: ky's NetworkError
				expect(retries, url).toEqual([]);
				expect(api.reachability(url), url).not.toBe('unreachable');
				const breaker = (api as unknown as { breaker?: (url: string) => { consecutiveFailures: number } }).breaker;
				if (breaker) {
					expect(breaker(url).consecutiveFailures, url).toBe(0);
				}

				api.close();
			}
		});
	}
});
