/** A call whose signal is already aborted, under each policy that holds or shares an attempt: rejected at once, nothing sent. */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { server, useCountingOrigin } from './counting-origin-kit.js';

useCountingOrigin();

describe('a call whose signal is already aborted', () => {
	const policies = {
		dedupe: { dedupe: dedupe() },
		hedge: { hedge: hedge({ delayMs: 5_000 }) },
		breaker: { breaker: breaker() },
		bulkhead: { bulkhead: bulkhead({ maxConcurrent: 1 }) },
		rateLimit: { rateLimit: rateLimit({ perSecond: 1, burst: 1 }) },
	};
	for (const [name, slot] of Object.entries(policies)) {
		it(`${name}: is rejected at once with its reason, and no request goes out`, async () => {
			// The loopback fetch, counting what it is handed with a live signal (an aborted one sends nothing).
			let sent = 0;
			const api = createClient({
				...slot, retry: 0,
				fetch: (async (request: Request, init?: RequestInit) => {
					sent += request.signal.aborted ? 0 : 1;
					return globalThis.fetch(request, init);
				}) as typeof globalThis.fetch,
			});
			const reason = new Error('the caller left');
			await expect(api.get(`${server.url}/aborted?ms=1`, { signal: AbortSignal.abort(reason) }).text()).rejects.toBe(reason);
			expect(sent).toBe(0);
			// The policy is not left holding anything: the next call goes out and is answered.
			expect(await api.get(`${server.url}/after?ms=1`).json()).toMatchObject({ path: '/after' });
			expect(sent).toBe(1);
			api.close();
		});
	}
});
