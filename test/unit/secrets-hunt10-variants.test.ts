/**
 * Secrets kept out of what is shown and stored, in the variants earlier rounds did not cover (defect
 * hunt, tenth round, area G: secrets and identity). API.md "Sensitive data": "Every URL in an event,
 * log record or span has its sensitive query values redacted", and round 5's "a URL's password is
 * hidden in messages": an error's message is what apps log and send to error trackers.
 */
import { describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, createClient } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { fetchNever, shown } from '../helpers/shown.js';
import { recording } from '../helpers/test-stores.js';

/** The error `run` throws or rejects with. */
const failure = async (run: () => unknown): Promise<unknown> => {
	try {
		await run();
	} catch (error) {
		return error;
	}

	throw new Error('did not fail');
};

// A port that is no number: no URL results. The defaults' `token` and `api_key`, the client's own `session`.
const bad = 'https://api.example.com:8O80/x?token=SECRET-1&session=SECRET-2&page=2&api_key=SECRET-3';

// Taken from stop 73's helper I (branch s73-i, 3594757 and 4b9b0c5), redone on failure paths only.
describe('an InvalidRequestError of a URL that does not parse names no sensitive query value', () => {
	it('a call (absolute URL; a path with no base): the defaults\' and the client\'s sensitiveParams values removed, the rest kept', async () => {
		for (const api of [createClient({ fetch: fetchNever, sensitiveParams: ['session'] }), createCore({ fetch: fetchNever, sensitiveParams: ['session'] })]) {
			for (const input of [bad, 'users?token=SECRET-4&session=SECRET-5&page=2']) {
				const error = await failure(() => api.get(input));
				expect(error).toBeInstanceOf(InvalidRequestError);
				expect(shown(error)).toMatch(/page=2/);
				// before: 'Invalid request: Failed to parse URL from https://api.example.com:8O80/x?token=SECRET-1&session=SECRET-2&page=2&api_key=SECRET-3'
				expect(shown(error)).not.toMatch(/SECRET/);
			}

			api.close();
		}
	});

	it('a member that takes a URL (cache.delete, breaker(url), isolate, reset, waitForHealthy, reachability): its "Invalid URL" names none either', async () => {
		const api = createClient({ fetch: fetchNever, sensitiveParams: ['session'] });
		const members: Array<() => unknown> = [
			() => api.cache.delete(bad), () => api.breaker(bad), () => api.breaker.isolate(bad), () => api.breaker.reset(bad),
			() => api.waitForHealthy(bad, { timeoutMs: 10 }), () => api.reachability(bad),
		];
		for (const member of members) {
			const error = await failure(member);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(shown(error)).toMatch(/Invalid URL: .*page=2/);
			// before: 'Invalid URL: https://api.example.com:8O80/x?token=SECRET-1&session=SECRET-2&page=2&api_key=SECRET-3'
			expect(shown(error)).not.toMatch(/SECRET/);
		}

		api.close();
		// The preset's stand-ins (no breaker, no stale cache) check their URLs alike.
		const bare = createClient({ fetch: fetchNever, sensitiveParams: ['session'], breaker: false, staleCache: false });
		for (const member of [() => bare.breaker(bad), () => bare.breaker.reset(bad), () => bare.waitForHealthy(bad)]) {
			expect(shown(await failure(member))).not.toMatch(/SECRET/);
		}

		bare.close();
	});
});

describe('an option naming a URL that does not parse: its error names no sensitive query value', () => {
	it('createClient({ prefix, baseUrl }) and a call\'s own prefix: the default names\' and the client\'s sensitiveParams values removed', async () => {
		for (const name of ['prefix', 'baseUrl']) {
			const error = await failure(() => createClient({ sensitiveParams: ['session'], [name]: 'https://api.example.com:8O80/?api_key=SECRET-6&session=SECRET-14&v=1' }));
			expect(error).toBeInstanceOf(RangeError);
			expect(shown(error)).toMatch(new RegExp(`\`${name}\`.*session=&v=1`));
			// before: '`prefix` must be a URL or false; got "https://api.example.com:8O80/?api_key=SECRET-6&session=SECRET-14&v=1"'
			expect(shown(error)).not.toMatch(/SECRET/);
		}

		for (const api of [createClient({ fetch: fetchNever, sensitiveParams: ['session'] }), createCore({ fetch: fetchNever, sensitiveParams: ['session'] })]) {
			const error = await failure(() => api.get('x', { prefix: 'https://api.example.com:8O80/?access_token=SECRET-7&session=SECRET-15&v=1' }));
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(shown(error)).toMatch(/session=&v=1/);
			expect(shown(error)).not.toMatch(/SECRET/);
			api.close();
		}
	});
});

describe('extend() keeps the sensitive names of the client it extends', () => {
	it('a child given its own sensitiveParams and sensitiveHeaders adds them to its parent\'s (as ky merges a list), never drops them', async () => {
		const written: string[] = [];
		const shownUrls: string[] = [];
		const parent = createClient({
			prefix: 'https://api.example.com/', store: recording(written), staleCache: { shared: false }, retry: 0,
			sensitiveParams: ['session'], sensitiveHeaders: ['x-api-key'],
			fetch: async () => new Response('{}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } }),
		});
		const child = parent.extend({ sensitiveParams: ['other'], sensitiveHeaders: ['x-other'] });
		child.on('*', (event) => 'url' in event && shownUrls.push(String(event.url)));
		await child.get('a?session=SECRET-20&other=SECRET-21&page=1', { headers: { 'X-Api-Key': 'key-of-ann' } }).text();
		await vi.waitFor(() => expect(written.some((text) => text.includes('page=1'))).toBe(true));
		// before: 'r:~26fdab…~https://api.example.com/a?session=SECRET-20&other=&page=1' (the parent's `session` stored; its header not digested)
		expect(written.join('\n')).not.toMatch(/SECRET/);
		expect(written.find((text) => text.includes('page=1'))).toMatch(/^r:~\w+~https:\/\/api\.example\.com\/a\?session=&other=&page=1 /);
		expect(shownUrls.join('\n')).toMatch(/session=&other=&page=1/);
		expect(shownUrls.join('\n')).not.toMatch(/SECRET/);
		// The parent keeps its own lists.
		expect(written.join('\n')).not.toMatch(/key-of/);
		child.close();
		parent.close();
	});
});

describe('TanStack query meta (queryOptionsFor\'s steadfetchUrl) with the call\'s own searchParams', () => {
	it('a URL that does not resolve, or searchParams ky refuses: the input without its sensitive values, never as given', () => {
		const api = createClient({ fetch: fetchNever, sensitiveParams: ['session'] });
		const prefixed = createClient({ prefix: 'https://api.example.com/', fetch: fetchNever, sensitiveParams: ['session'] });
		const urls = [
			// No prefix in Node: no URL results.
			queryOptionsFor(api, 'users?token=SECRET-30&session=SECRET-31&page=1', { searchParams: { sort: 'name' } }),
			queryOptionsFor(api, 'https://api.example.com:8O80/x?api_key=SECRET-32', { searchParams: 'sort=name' }),
			// A pair that is no [name, value]: the call rejects (ky's TypeError).
			queryOptionsFor(prefixed, 'users?token=SECRET-33&page=1', { searchParams: [['sort']] as unknown as string[][] }),
		].map((options) => options.meta.steadfetchUrl);
		// before: 'users?token=SECRET-30&session=SECRET-31&page=1' (the input as given)
		expect(urls).toEqual(['users?token=&session=&page=1', 'https://api.example.com:8O80/x?api_key=', 'https://api.example.com/users?token=&page=1']);
		api.close();
		prefixed.close();
	});
});
