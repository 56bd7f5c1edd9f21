/**
 * `PolicyCall.whenGivenUp`: a layer learns that ky gave its attempt up (ky's timeout, a hedge that lost) when ky
 * decides about the call next — its next attempt, its run's end, the call's end — whatever the transport does with the
 * aborted request, with no abort listener of its own (what the breaker and the adaptive throttle count with).
 */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import type { Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';

const origin = 'https://given-up.test';

/** A transport whose first `hung` requests never settle, whatever their signal does; the others answer 200 at once. */
const transport = (hung: number) => {
	const urls: string[] = [];
	const fetch = async (input: RequestInfo | URL): Promise<Response> => {
		urls.push((input as Request).url);
		return urls.length <= hung ? new Promise<Response>(() => {}) : new Response('ok');
	};
	return { urls, fetch };
};

declare module 'steadfetch/core' {
	interface Slots {
		givenUpProbe: Policy<'givenUpProbe'>;
	}
}

/** An app's own layer that writes down, per attempt, what `whenGivenUp` told it, in the order things happened. */
const watching = (log: string[]): Policy<'givenUpProbe'> => ({
	slot: 'givenUpProbe',
	create: () => ({
		layer: (next) => (request, init) => {
			const call = init!.steadfetch!;
			const attempt = call.attempts;
			call.whenGivenUp(request, (reason) => {
				log.push(`given up ${attempt}: ${(reason as Error).name}`);
			});
			return next(request, init).then((response) => {
				log.push(`answered ${attempt}`);
				return response;
			}, (error: unknown) => {
				log.push(`failed ${attempt}: ${(error as Error).name}`);
				throw error;
			});
		},
	}),
});

describe('PolicyCall.whenGivenUp', () => {
	it('tells a layer that ky gave its hung attempt up before the retry goes out, once; never an attempt that answered', async () => {
		const log: string[] = [];
		const { urls, fetch } = transport(1);
		const api = createClient({ clock: new ManualClock(), random: () => 0, retry: { limit: 1, delay: () => 0 }, timeout: 30, fetch, givenUpProbe: watching(log) });
		const response = await api.get(`${origin}/a`);
		log.push('caller');
		expect(await response.text()).toBe('ok');
		expect(urls).toHaveLength(2);
		expect(log).toEqual(['given up 1: AbortError', 'answered 2', 'caller']);
	});

	it('tells it before the caller sees the call fail, when no retry follows', async () => {
		const log: string[] = [];
		const { fetch } = transport(1);
		const api = createClient({ clock: new ManualClock(), retry: 0, timeout: 30, fetch, givenUpProbe: watching(log) });
		const error = await api.get(`${origin}/b`).catch((error_: unknown) => error_);
		log.push(`caller: ${(error as Error).name}`);
		expect(log).toEqual(['given up 1: AbortError', 'caller: TimeoutError']);
	});

	it('an attempt whose transport rejects at its abort is told by its own rejection; `ended` may follow and the layer ignores it', async () => {
		const log: string[] = [];
		const fetch = async (input: RequestInfo | URL): Promise<Response> => new Promise((_resolve, reject) => {
			const { signal } = input as Request;
			signal.addEventListener('abort', () => reject(signal.reason as Error));
		});
		const api = createClient({ clock: new ManualClock(), retry: 0, timeout: 30, fetch, givenUpProbe: watching(log) });
		const error = await api.get(`${origin}/c`).catch((error_: unknown) => error_);
		expect(error).toMatchObject({ name: 'TimeoutError' });
		expect(log[0]).toMatch(/^failed 1: /);
		expect(log.filter((line) => line.startsWith('given up'))).toHaveLength(1);
	});

	it('the breaker counts a hung attempt ky timed out before ky retries: the retry finds it open and nothing more is sent', async () => {
		const { urls, fetch } = transport(5);
		const clock = new ManualClock();
		const api = createClient({ clock, random: () => 0, retry: { limit: 1, delay: () => 0 }, timeout: 30, fetch, breaker: breaker({ consecutiveFailures: 1, openMs: 60_000, share: false }) });
		const error = await api.get(`${origin}/d`).catch((error_: unknown) => error_);
		expect(urls).toHaveLength(1);
		expect(api.breaker(origin)).toMatchObject({ state: 'open' });
		expect(error).toBeInstanceOf(Error);
	});
});
