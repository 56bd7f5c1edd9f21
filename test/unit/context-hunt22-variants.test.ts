/**
 * Request contexts (defect hunt, twenty-second round): a context's subrequest count holds the attempts that went out,
 * never one the transport refused after counting it (an attempt at its request's deadline, `deadlineHeader`), so a
 * later call of the same `ctx` still has what the context left, nor a redirect hop steadfetch follows itself once its
 * attempt ended (the caller's abort, the incoming request's end). A fake `fetch` answers at once and an injected clock
 * moves the deadline: no timing.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);
const incoming = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });

/** A `fetch` that notes each path sent and answers `status(path)`. */
const recording = (status: (path: string) => number = () => 200) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		const { pathname } = new URL(request.url);
		sent.push(pathname);
		return new Response('ok', { status: status(pathname) });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('an attempt not sent at its request\'s deadline is none of its context\'s subrequests', () => {
	it('stats().subrequests stays 0 when the clock passed the deadline in a hook', async () => {
		const clock = new ManualClock();
		const { sent, fetch } = recording();
		const api = createClient({ clock, fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, hooks: { beforeRequest: [() => clock.advance(400)] } });
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('300') });
		expect(await code(here.get('own'))).toBe('TIMEOUT');
		// Before: [[], 1] — counted though nothing went out.
		expect([sent, here.stats().subrequests]).toEqual([[], 0]);
		api.close();
	});

	it('a later call of the same ctx keeps the retry the context still has', async () => {
		const clock = new ManualClock();
		const { sent, fetch } = recording((path) => (path === '/flaky' && sent.length === 1 ? 503 : 200));
		const late = { at: false };
		const api = createClient({ clock, fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retryBudget: false, retry: { limit: 1, delay: () => 0, jitter: false }, hooks: { beforeRequest: [() => void (late.at && clock.advance(400))] } });
		const ctx = { waitUntil: () => undefined };
		// subrequests 7: 2 of steadfetch's own attempts.
		late.at = true;
		expect(await code(api.withContext(ctx, { request: incoming('300'), subrequests: 7 }).get('own'))).toBe('TIMEOUT');
		late.at = false;
		const helper = api.withContext(ctx);
		// Before: 'HTTP_5XX' and ['/flaky'] — the retry refused, the context's count 2 after one attempt sent.
		expect(await code(helper.get('flaky'))).toBe('OK');
		expect([sent, helper.stats().subrequests]).toEqual([['/flaky', '/flaky'], 2]);
		api.close();
	});
});

describe('a redirect hop steadfetch follows after its attempt ended is neither sent nor counted', () => {
	/** A `fetch` that refuses an aborted request (no I/O, as the platform's), notes each path sent, and ends the attempt (`end()`) as /hop answers 302. */
	const ending = (end: () => void) => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			request.signal.throwIfAborted();
			const { pathname } = new URL(request.url);
			sent.push(pathname);
			if (pathname === '/hop') {
				end();
				return new Response(null, { status: 302, headers: { location: '/landed' } });
			}

			return new Response('ok');
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};

	it('the caller aborted as the hop answered: ABORTED, one subrequest', async () => {
		const controller = new AbortController();
		const { sent, fetch } = ending(() => controller.abort());
		const api = createClient({ clock: new ManualClock(), fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('300') });
		// Before: 2 — /landed counted, though the platform's fetch refused it unsent.
		expect([await code(here.get('hop', { signal: controller.signal })), sent, here.stats().subrequests]).toEqual(['ABORTED', ['/hop'], 1]);
		api.close();
	});

	it('the incoming request ended as the hop answered: the same', async () => {
		const gone = new AbortController();
		const { sent, fetch } = ending(() => gone.abort());
		const api = createClient({ clock: new ManualClock(), fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0 });
		const request = new Request('https://worker.test/', { headers: { 'request-timeout-ms': '300' }, signal: gone.signal });
		const here = api.withContext({ waitUntil: () => undefined }, { request });
		expect([await code(here.get('hop')), sent, here.stats().subrequests]).toEqual(['ABORTED', ['/hop'], 1]);
		api.close();
	});
});
