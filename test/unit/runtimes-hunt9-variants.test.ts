/**
 * Defect hunt, ninth round (runtimes and what comes from outside): variants of earlier fixes, each
 * failing before its fix.
 */
import { describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { harnessEachTest, type Harness } from './outbox-helpers.js';

/**
 * Run `task` where `navigator.locks` exists but refuses every request, as a browser's does in an
 * opaque origin (a sandboxed iframe without `allow-same-origin`, a `file:` page): `SecurityError`.
 */
const withRefusingLocks = async <T>(task: () => Promise<T>): Promise<T> => {
	const refusing = {
		request: async () => {
			throw new DOMException('Access to the Locks API is denied in this context.', 'SecurityError');
		},
	};
	Object.defineProperty(navigator, 'locks', { value: refusing, configurable: true });
	try {
		return await task();
	} finally {
		delete (navigator as { locks?: unknown }).locks;
	}
};

describe('a Web Lock manager that refuses (an opaque origin): the documented fallback, as without Web Locks', () => {
	let h: Harness;
	harnessEachTest((harness) => {
		h = harness;
	});

	it('the outbox still queues and delivers a write: flush() sends it, as where there are no Web Locks', async () => {
		await withRefusingLocks(async () => {
			const client = h.make();
			const queued = await client.post('mutate?id=locks-refused&fail=503&times=1', { json: { n: 1 } }).catch((error: unknown) => error);
			expect(queued).toMatchObject({ code: 'QUEUED' });
			const flushed = await client.outbox.flush().catch((error: unknown) => error);
			expect(flushed).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
			expect(h.sentOf('locks-refused')).toHaveLength(2);
		});
	});

	it('auth still refreshes on a 401 and sends the call again with the new token, as where there are no Web Locks', async () => {
		await withRefusingLocks(async () => {
			let token = 'locks-auth-stale';
			const client = h.make({ auth: auth({ token: () => token, refresh: async () => {
				token = 'locks-auth-fresh';
			} }) });
			const answer = await client.get('auth?id=locks-auth').then((response) => response.status, (error: unknown) => error);
			expect(answer).toBe(200);
		});
	});
});
