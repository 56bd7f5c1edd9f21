/**
 * Defect hunt, thirty-eighth round (the open pipeline and bad input). A request Node's own `fetch` refuses for what it is
 * (a URL of a scheme fetch does not send, a port fetch blocks) is bad input, as the URLs and headers it refuses by code are:
 * an `InvalidRequestError`, never a network failure retried, counted against the origin or queued for ever.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { serve } from '../helpers/node-server.js';

/** A layer that counts the attempts that reach it (`attempts()`), then hands each to Node's own `fetch`. */
const counted = () => {
	let attempts = 0;
	const policy = {
		slot: 'audit',
		create: () => ({ layer: (next: (request: Request, init?: RequestInit) => Promise<Response>) => (request: Request, init?: RequestInit) => {
			attempts++;
			return next(request, init);
		} }),
	} as unknown as Policy<'audit'>;
	return { policy, attempts: () => attempts };
};

const codeOf = (call: Promise<Response>): Promise<string> => call.then((response) => String(response.status), (error: unknown) => `${(error as Error).constructor.name} ${classify(error).code}`);

describe('Node\'s fetch refusing a URL it never sends: an InvalidRequestError, not a network failure', () => {
	// Before: the first call's attempt was a `NetworkError` (NETWORK: 'fetch failed', its cause undici's 'unknown scheme',
	// 'bad port'…), its retry went (2 attempts), the breaker opened and both calls ended `CIRCUIT_OPEN`, the scope `unreachable`:
	// '["CircuitOpenError CIRCUIT_OPEN","CircuitOpenError CIRCUIT_OPEN"] 2 unreachable open'.
	for (const url of ['ftp://files.test/a', 'ws://api.test/socket', 'mailto:someone@api.test', 'about:blank', 'file:///etc/hosts', 'http://127.0.0.1:6000/x', 'https://api.test:1/x']) {
		it(`${url}: refused at its first attempt, not retried, the scope's breaker and reachability untouched`, async () => {
			const { policy, attempts } = counted();
			const api = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false, breaker: { consecutiveFailures: 2 }, audit: policy } as never);
			const outcomes = [await codeOf(api.get(url)), await codeOf(api.get(url))];
			expect(`${JSON.stringify(outcomes)} ${attempts()} ${api.reachability(url)} ${api.breaker(url).state}`)
				.toBe('["InvalidRequestError INVALID_REQUEST","InvalidRequestError INVALID_REQUEST"] 2 unknown closed');
			api.close();
		});
	}

	it('a write to a blocked port is refused, not queued in the outbox to be replayed for ever', async () => {
		// Before: `OutboxQueuedError QUEUED`, one entry pending (its replays fail the same way, each a network failure).
		const api = createClient({ retry: 0, store: memoryStore, outbox: outbox() });
		expect(await codeOf(api.post('http://127.0.0.1:6000/notes', { json: { a: 1 } }))).toBe('InvalidRequestError INVALID_REQUEST');
		expect((await api.outbox.list()).length).toBe(0);
		api.close();
	});

	it('an origin\'s redirect to a blocked port is the origin\'s answer, not the caller\'s bad input: a network failure still', async () => {
		const origin = await serve(() => new Response(null, { status: 302, headers: { location: 'http://127.0.0.1:6000/x' } }));
		const api = createClient({ retry: 0 });
		expect(await codeOf(api.get(`${origin.url}/moved`))).toBe('NetworkError NETWORK');
		api.close();
		await origin.close();
	});
});
