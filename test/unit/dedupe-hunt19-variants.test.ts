/**
 * Defect hunt, nineteenth round (dedupe, beside the new `FetchInit.sending`). Its TSDoc: "A layer that
 * sets it calls the one it was given too": an app's layer above dedupe that tells of its attempts so
 * sends them no other way; dedupe still shares a read between identical callers (only a fetch option
 * a Request does not carry, undici's `dispatcher`, or the call's own `fetch`, keep a call apart).
 */
import { expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import type { Policy } from '../../src/entries/policy.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

it('dedupe(): identical reads through an app\'s layer above it that sets `sending` share one request, told once', async () => {
	const { pending, fetch } = held();
	const told: string[] = [];
	const telling: Policy<'tells'> = {
		slot: 'tells',
		at: { layer: 380 },
		create: () => ({ layer: (next) => (request, init) => next(request, {
			...init,
			sending: () => {
				told.push(new URL(request.url).pathname);
				init?.sending?.();
			},
		}) }),
	};
	const api = createClient({ fetch, retry: 0, timeout: false, dedupe: dedupe(), tells: telling } as never);
	const shared = (): number => (api.stats()['https://api.test'] as { dedupe?: { shared: number } } | undefined)?.dedupe?.shared ?? 0;
	const calls = [api.get('https://api.test/x').text(), api.get('https://api.test/x').text(), api.get('https://api.test/x').text()];
	// Each call sent alone, or joined the one request in flight.
	await waitFor(() => pending.length + shared() === 3, 'the three calls sent or joined');
	for (const { release } of pending) {
		release(new Response('shared'));
	}

	expect(await Promise.all(calls)).toEqual(['shared', 'shared', 'shared']);
	// before: 3 (each call went out alone: the layer's `sending` was taken for a transport of its own)
	expect(pending).toHaveLength(1);
	expect(told).toEqual(['/x']);
	api.close();
});
