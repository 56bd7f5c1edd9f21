/**
 * In-flight dedupe when the caller that made the shared request aborts (defect hunt, fifth round):
 * the request goes on for the others, and how it ends counts for the scope as any attempt does. The
 * parts below dedupe (the breaker, the throttle, reachability, `attempt:end`) read the first caller's
 * signal to tell "the caller aborted" from a real failure: the shared request's own signal says it.
 */
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { classify } from '../../src/entries/index.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { trace } from '../../src/entries/trace.js';

describe('dedupe: the first caller aborts, a follower waits on', () => {
	it('the shared request\'s network failure counts for the breaker, the throttle and attempt:end', async () => {
		const fail: Array<() => void> = [];
		const api = createClient({
			retry: 0, dedupe: dedupe(), trace: trace(), breaker: breaker({ consecutiveFailures: 1 }), adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }),
			fetch: (async (request: Request) => new Promise<Response>((_resolve, reject) => {
				fail.push(() => reject(new TypeError('fetch failed')));
				request.signal.addEventListener('abort', () => reject(request.signal.reason));
			})) as typeof fetch,
		});
		const ends: unknown[] = [];
		api.on('attempt:end', ({ code }) => ends.push(code));
		const controller = new AbortController();
		const first = api.get('https://api.test/a', { signal: controller.signal }).catch((error: unknown) => classify(error).code);
		await vi.waitFor(() => expect(fail).toHaveLength(1), { timeout: 5000 });
		const follower = api.get('https://api.test/a').catch((error: unknown) => classify(error).code);
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ dedupe: { shared: 1 } }), { timeout: 5000 });
		controller.abort();
		expect(await first).toBe('ABORTED');
		fail[0]!();
		expect(await follower).toBe('NETWORK');
		// Before: ['closed', ['ABORTED']] — the follower's network failure taken for the first caller's abort.
		expect([api.breaker('https://api.test').state, ends]).toEqual(['open', ['NETWORK']]);
		expect(api.stats()['https://api.test']).toMatchObject({ throttle: { requests: 1, accepts: 0 } });
		api.close();
	}, 20_000);

	it('when every caller aborted, the shared request\'s end counts as nothing (ABORTED)', async () => {
		const started: Request[] = [];
		const api = createClient({
			retry: 0, dedupe: dedupe(), trace: trace(), breaker: breaker({ consecutiveFailures: 1 }),
			fetch: (async (request: Request) => new Promise<Response>((_resolve, reject) => {
				started.push(request);
				request.signal.addEventListener('abort', () => reject(request.signal.reason));
			})) as typeof fetch,
		});
		const ends: unknown[] = [];
		api.on('attempt:end', ({ code }) => ends.push(code));
		const controllers = [new AbortController(), new AbortController()];
		const call = async (controller: AbortController) => api.get('https://api.test/a', { signal: controller.signal }).catch((error: unknown) => classify(error).code);
		// The second call is made once the first's request is out (then it can only join it), as in the test above.
		const calls = [call(controllers[0]!)];
		await vi.waitFor(() => expect(started).toHaveLength(1), { timeout: 5000 });
		calls.push(call(controllers[1]!));
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ dedupe: { shared: 1 } }), { timeout: 5000 });
		for (const controller of controllers) {
			controller.abort();
		}

		expect(await Promise.all(calls)).toEqual(['ABORTED', 'ABORTED']);
		await vi.waitFor(() => expect(ends).toEqual(['ABORTED']), { timeout: 5000 });
		expect([api.breaker('https://api.test').state, api.reachability('https://api.test')]).toEqual(['closed', 'unknown']);
		api.close();
	}, 20_000);
});
