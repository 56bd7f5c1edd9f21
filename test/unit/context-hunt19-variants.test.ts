/**
 * Request contexts (defect hunt, nineteenth round): what `withContext(ctx)` closes, and the allowance
 * `budget:exhausted` tells for a small `subrequests`. A fake `fetch` answers at once: no timing.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';

const fresh = () => ({ waitUntil: () => undefined });
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** A fetch that answers `status` and notes each path it was sent. */
const answering = (sent: string[], status = 200) => (async (request: Request) => {
	sent.push(new URL(request.url).pathname);
	return new Response('ok', { status });
}) as typeof fetch;

describe('withContext(ctx).close(): ends that request\'s client, never the shared one', () => {
	it('the original client, and another request\'s, still call; the closed one rejects CLIENT_CLOSED before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent), retry: 0 });
		const here = api.withContext(fresh());
		const other = api.withContext(fresh());
		expect(await code(here.get('https://api.test/1'))).toBe('OK');
		here.close();
		here.close();
		// Before: ['CLIENT_CLOSED', 'CLIENT_CLOSED', 'CLIENT_CLOSED'] (the isolate's client closed for every request).
		expect([await code(api.get('https://api.test/2')), await code(other.get('https://api.test/3')), await code(api.withContext(fresh()).get('https://api.test/4'))]).toEqual(['OK', 'OK', 'OK']);
		expect(await code(here.get('https://api.test/5'))).toBe('CLIENT_CLOSED');
		expect(await code(here.post('https://api.test/6'))).toBe('CLIENT_CLOSED');
		expect(sent).toEqual(['/1', '/2', '/3', '/4']);
		api.close();
	});

	it('its listeners (on() through it) are removed; the client\'s own stay', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent, 503), retry: { limit: 1, delay: () => 0 }, retryBudget: false });
		const heard: string[] = [];
		api.on('retry', () => heard.push('client'));
		const here = api.withContext(fresh());
		here.on('retry', () => heard.push('request'));
		expect(await code(here.get('https://api.test/a'))).toBe('HTTP_5XX');
		here.close();
		expect(await code(api.get('https://api.test/b'))).toBe('HTTP_5XX');
		// Before: the client closed with it (['client', 'request']: /b never sent); or a listener of an ended request told of later ones.
		expect([heard, sent]).toEqual([['client', 'request', 'client'], ['/a', '/a', '/b', '/b']]);
		api.close();
	});

	it('the client its extend() made is the request\'s alone: closed with it, the original not', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent), retry: 0 });
		const extended = api.withContext(fresh()).extend({ headers: { 'x-a': '1' } });
		expect(await code(extended.get('https://api.test/x'))).toBe('OK');
		extended.close();
		expect([await code(extended.get('https://api.test/y')), await code(api.get('https://api.test/z'))]).toEqual(['CLIENT_CLOSED', 'OK']);
		expect(sent).toEqual(['/x', '/z']);
		api.close();
	});

	it('closing the client still ends every request\'s client', async () => {
		const api = createClient({ fetch: answering([]), retry: 0 });
		const here = api.withContext(fresh());
		api.close();
		expect(await code(here.get('https://api.test/1'))).toBe('CLIENT_CLOSED');
	});
});

describe('withContext(ctx, { subrequests }) of 5 or fewer: nothing steadfetch adds goes, told as none allowed', () => {
	it('budget:exhausted says allowed 0, never a negative count', async () => {
		for (const subrequests of [1, 3, 5]) {
			const sent: string[] = [];
			const api = createClient({ fetch: answering(sent, 503), retry: { limit: 2, delay: () => 0 }, retryBudget: false });
			const told: unknown[] = [];
			api.on('budget:exhausted', ({ reason, retries, allowed }) => told.push({ reason, retries, allowed }));
			const here = api.withContext(fresh(), { subrequests });
			expect(await code(here.get('https://api.test/a'))).toBe('HTTP_5XX');
			// Before: allowed 1 − 5 = −4, 3 − 5 = −2, 0.
			expect([sent, told, here.stats().subrequests]).toEqual([['/a'], [{ reason: 'subrequests', retries: 1, allowed: 0 }], 1]);
			api.close();
		}
	});
});
