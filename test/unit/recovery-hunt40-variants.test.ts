/**
 * The fortieth round on recovery you can see: no event after `close()` from work that was in flight at it (a call whose
 * failure would open the breaker, turn the scope unhealthy or unreachable).
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { health } from '../../src/entries/health.js';
import { waitFor } from '../helpers/wait-for.js';

describe('events of work in flight at close()', () => {
	for (const [ends, closing] of [['503', true], ['network', true], ['503', false]] as const) {
		it(`a call in flight ${closing ? 'at close()' : '(no close: the control)'} that then ends by ${ends} ${closing ? 'tells nothing after the close' : 'opens the breaker'}`, async () => {
			let hold = false;
			const pending: Array<() => void> = [];
			const client = createClient({
				name: `h40-close-${crypto.randomUUID()}`, store: memoryStore, retry: 0, staleCache: false,
				breaker: { consecutiveFailures: 3, openMs: 30_000 }, health: health({ threshold: 0.5 }),
				fetch: (async () => {
					if (hold) {
						await new Promise<void>((resolve) => {
							pending.push(resolve);
						});
					}

					if (ends === 'network') {
						throw new TypeError('fetch failed');
					}

					return new Response('{}', { status: 503 });
				}) as typeof fetch,
			} as never);
			const events: string[] = [];
			let closed = false;
			client.on('*', (event) => {
				if (closed) {
					events.push(event.type);
				}
			});
			// Two failures in a row: the third, in flight at the close, would open the breaker.
			await client.get('https://api.test/x').catch(() => undefined);
			await client.get('https://api.test/x').catch(() => undefined);
			hold = true;
			const last = client.get('https://api.test/x').catch(() => undefined);
			await waitFor(() => pending.length === 1, 'the last call in flight');
			if (closing) {
				client.close();
			}

			closed = true;
			for (const resolve of pending.splice(0)) {
				resolve();
			}

			await last;
			expect(closing ? events : events.filter((type) => type === 'breaker:open')).toEqual(closing ? [] : ['breaker:open']);
			client.close();
		});
	}
});

/** A client extend() made lives on after its parent's close() (its calls still go: only its own close ends them). */
describe('waitForHealthy in a client extend() made, at a close', () => {
	for (const closes of ['parent', 'child', 'sibling'] as const) {
		it(`the ${closes}'s close() ${closes === 'child' ? 'rejects the child\'s pending wait at once' : 'leaves the child\'s wait pending, its own close() rejects it'}`, async () => {
			const parent = createClient({
				name: `h40-wait-${crypto.randomUUID()}`, store: memoryStore, retry: 0, staleCache: false, breaker: { consecutiveFailures: 1, openMs: 60_000 },
				fetch: (async () => new Response('{}', { status: 503 })) as typeof fetch,
			} as never);
			const child = parent.extend({ headers: { 'x-child': '1' } });
			const sibling = parent.extend({ headers: { 'x-sibling': '1' } });
			try {
				await parent.get('https://api.test/x').catch(() => undefined);
				expect(child.breaker('https://api.test').state).toBe('open');
				let settled: string | undefined;
				const waiting = child.waitForHealthy('https://api.test', { timeoutMs: 30_000 }).then(() => 'resolved', (error: { code?: string }) => error.code ?? 'rejected');
				void waiting.then((value) => {
					settled = value;
				});
				({ parent, child, sibling })[closes].close();
				if (closes !== 'child') {
					await child.get('https://api.test/x').catch(() => undefined);
					expect(settled).toBeUndefined();
					child.close();
				}

				expect(await waiting).toBe('CLIENT_CLOSED');
			} finally {
				parent.close();
				child.close();
				sibling.close();
			}
		});
	}
});
