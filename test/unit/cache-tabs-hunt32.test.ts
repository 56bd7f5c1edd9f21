/**
 * The stale cache after another tab's `clear()` (the thirty-second hunt). Each client made here is a tab of its own (its
 * own view of the copies; the clears reach it over the name's channel). Before: the tab that did not clear kept what it
 * knew of its last copy of a URL, so an unchanged answer (same ETag) was not copied again for 60 s (`renewMs`), nor any
 * answer within 1 s: the copy the other tab removed was gone, and a read offline in that time got a NetworkError.
 */
import { expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const copies = async (): Promise<string[]> => (await h.store.keys()).filter((key) => key.startsWith('r:'));

it('a tab copies an unchanged answer again once another tab cleared the client: offline, its read is answered from the copy', async () => {
	const a = h.make({ staleCache: { maxStaleMs: 86_400_000 } });
	const b = h.make({ staleCache: { maxStaleMs: 86_400_000 } });
	await a.get('doc?id=d1').json();
	await waitFor(async () => (await copies()).length === 1, 'the first copy stored');
	await b.clear();
	expect(await copies()).toEqual([]);
	// Each round: past the one-copy-a-second rule, the same document read again (its ETag unchanged), well within the 60 s
	// an unchanged answer is not copied again. The clear reaches `a` over the channel (real time): wait for its copy.
	let rounds = 0;
	await waitFor(async () => {
		rounds++;
		h.clock.advance(1001);
		await a.get('doc?id=d1').json();
		return (await copies()).length === 1;
	}, 'the copy stored again');
	expect(rounds).toBeLessThan(30);
	win.setOnline(false, false);
	const offline = await a.get('doc?id=d1');
	expect(offline.headers.get('cache-status')).toContain('hit');
});
