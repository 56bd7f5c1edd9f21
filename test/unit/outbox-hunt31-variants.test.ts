/**
 * Defect hunt, thirty-first round (the outbox's drains): a reload's drain hurries the entries queued before the page
 * loaded — also when the page's first write drained first — and not a write the page queued while that drain waited
 * (`resumeJitterMs`), whose backoff stands.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { harnessEachTest, queued } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('outbox hunt 31: a reload\'s drain', () => {
	it('replays what an earlier page left at once, but not the write this page queued during its wait (the contract\'s 412 case: a flush() then found nothing)', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=left&fail=503&times=1', { json: { n: 1 } }));
		first.close();
		h.clock.advance(1);
		// A reload: its drain waits 0.5 × 400 ms (the harness's random), then makes due what was queued before it.
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		h.clock.advance(1); // The page's write is answered after it loaded.
		const drained: string[] = [];
		page.on('outbox:sent', (event) => drained.push(event.entryId));
		const mine = await queued(page.post('mutate?id=mine&fail=503&times=1', { json: { n: 2 } }));
		await waitFor(() => h.state.applied.get('left')?.length === 1, 'the earlier page\'s write delivered by the reload\'s drain');
		// The reload's drain is over (the earlier page's write delivered); this page's write kept its minute of backoff.
		await waitFor(async () => (await page.outbox.size()) === 1, 'one entry left');
		expect(h.sentOf('mine')).toHaveLength(1);
		expect((await page.outbox.list()).map((entry) => entry.id)).toEqual([mine]);
		expect(drained).toHaveLength(1);
		// flush() replays it (it may join the reload's drain as its pass ends, and count that pass's write too).
		expect(await page.outbox.flush()).toMatchObject({ failed: 0, dead: 0, remaining: 0 });
		expect(h.sentOf('mine')).toHaveLength(2);
		expect(h.state.applied.get('mine')).toHaveLength(1);
		expect(drained).toHaveLength(2);
		expect(drained[1]).toBe(mine);
	});

	it('an entry another tab queued before this page loaded is due too, whatever its scope; the online event still hurries every entry', async () => {
		const other = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(other.post(`${h.api.url.replace('127.0.0.1', 'localhost')}/mutate?id=elsewhere&fail=503&times=1`, { json: {} }));
		other.close();
		h.clock.advance(1);
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 200 } });
		h.clock.advance(1);
		await queued(page.post('mutate?id=later&fail=503&times=1', { json: {} }));
		await waitFor(() => h.state.applied.get('elsewhere')?.length === 1, 'the other scope\'s write delivered by the reload\'s drain');
		await waitFor(async () => (await page.outbox.size()) === 1, 'one entry left');
		expect(h.sentOf('later')).toHaveLength(1);
		// A scope coming back is not a reload: every pending entry is due at once, after the wait.
		win.setOnline(true);
		await waitFor(() => h.state.applied.get('later')?.length === 1, 'the online event\'s drain');
	});

	it('a write queued after the page\'s drain started its wait (the contract case: its timer fired first) keeps its backoff (the contract\'s 412 case: that drain replayed it early, and a flush() then counted nothing)', async () => {
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		await new Promise((resolve) => setTimeout(resolve, 20)); // The client's start timer (0 ms) fired: its drain waits 200 ms.
		h.clock.advance(1);
		const mine = await queued(page.post('mutate?id=during&fail=503&times=1', { json: {} }));
		const before = Date.now();
		// Well past the wait (real time): the drain ran, found nothing queued before the load, and left the write alone.
		await waitFor(() => Date.now() - before > 600, 'the wait over');
		expect(h.sentOf('during')).toHaveLength(1);
		expect((await page.outbox.list()).map((entry) => [entry.id, entry.attempts])).toEqual([[mine, 1]]);
	});
});

describe('outbox hunt 31: neighbours of the reload\'s drain', () => {
	it('a reload with the clock stepped back (a minute): what the earlier page left is still replayed at once, not after its backoff', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=back&fail=503&times=1', { json: { n: 1 } }));
		first.close();
		h.clock.advance(-60_000); // The device's clock corrected back a minute before the page loads again.
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 200 } });
		await waitFor(() => h.state.applied.get('back')?.length === 1, 'the earlier page\'s write delivered by the reload\'s drain');
		// Its entry goes once the answer is back (the server applied it first): waited for, as a busy machine is late with it.
		await waitFor(async () => (await page.outbox.size()) === 0, 'the delivered entry removed');
		expect(h.state.applied.get('back')).toHaveLength(1);
	});
});

describe('outbox hunt 31: a dependent write while its parent\'s delivery reads a slow answer', () => {
	it('is told it is queued within storageTimeoutMs, not after the parent\'s answer is read (its entry lock)', async () => {
		let stalled = false;
		let parentAttempts = 0;
		let release!: () => void;
		const released = new Promise<void>((resolve) => {
			release = resolve;
		});
		// The parent's replay: its headers at once, its body (the id the dependent asks for) 3 s later.
		const slow: typeof fetch = async (input, init) => {
			const request = input as Request;
			if (request.url.includes('id=parent') && ++parentAttempts > 1) {
				stalled = true;
				const encoder = new TextEncoder();
				const body = new ReadableStream<Uint8Array>({
					async start(controller) {
						controller.enqueue(encoder.encode('{"id":'));
						await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 3_000))]);
						controller.enqueue(encoder.encode('"p-1"}'));
						controller.close();
					},
				});
				return new Response(body, { status: 201, headers: { 'content-type': 'application/json' } });
			}

			return fetch(request, init);
		};
		const api = h.make({ fetch: slow, outbox: { baseBackoffMs: 60_000 } });
		const parent = await queued(api.post('mutate?id=parent&fail=503&times=1', { json: { n: 1 } }));
		const placeholder = api.outbox.ref(parent, '/id');
		const flushed = api.outbox.flush();
		await waitFor(() => stalled, 'the parent\'s replay answered, its body under way');
		await new Promise((resolve) => setTimeout(resolve, 50)); // Its delivery reads the answer (under the entry's lock).
		const started = Date.now();
		const child = await queued(api.put(`mutate?id=child&parent=${placeholder}`, { json: { parent: placeholder } }));
		const waited = Date.now() - started;
		release();
		await flushed;
		expect(child).toBeTypeOf('string');
		// Before: about 3 000 ms (the parent's answer read in full).
		expect(waited).toBeLessThan(1_500);
		await waitFor(() => h.state.applied.get('child')?.length === 1, 'the dependent delivered with the parent\'s id');
		expect(JSON.parse(h.state.applied.get('child')![0]!.body)).toEqual({ parent: 'p-1' });
	});
});

describe('outbox hunt 31: the reload\'s wait, neighbours that hold', () => {
	it('close() during the reload\'s wait: no drain after it, nothing sent', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=closed&fail=503&times=1', { json: {} }));
		first.close();
		h.clock.advance(1);
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		await new Promise((resolve) => setTimeout(resolve, 20)); // Its start timer fired: its drain waits 200 ms.
		page.close();
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the wait over');
		expect(h.sentOf('closed')).toHaveLength(1);
	});

	it('flush() during the reload\'s wait counts what it replays; the reload\'s drain after it finds nothing more', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=fl1&fail=503&times=1', { json: {} }));
		await queued(first.post('mutate?id=fl2&fail=422', { json: {} })); // Held behind the first (its scope's order): never sent yet.
		first.close();
		h.clock.advance(1);
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await page.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 1, remaining: 0 });
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the wait over');
		expect([h.sentOf('fl1').length, h.sentOf('fl2').length]).toEqual([2, 1]);
	});
});
