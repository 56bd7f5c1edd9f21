/**
 * Hunt 22: the regular expressions and string loops of src/ in time linear in what arrives from outside (a server's
 * status text and headers, a redirect's URL, an error's message). Each test builds the worst input of a size that can
 * arrive, times it through the entry point that reads it, and checks the result is what it was for ordinary inputs.
 */
import { describe, expect, it } from 'vitest';
import { createClient, OutboxQueuedError } from '../../src/entries/index.js';
import { redact, redactText, sensitiveParamSet, splitSensitive } from '../../src/utils/sensitive.js';
import { harnessEachTest } from './outbox-helpers.js';

const params = sensitiveParamSet({});

/** A generator of the same numbers on every run (xorshift). */
const seeded = (seed: number) => () => {
	seed ^= seed << 13;
	seed ^= seed >>> 17;
	seed ^= seed << 5;
	return (seed >>> 0) / 2 ** 32;
};

/** `splitSensitive`'s redaction as it was (a splice per `;` taken): what it cut is what must go. */
const previously = (url: string): string => {
	const start = url.search(/[?#]/);
	const parts = url.slice(start + 1).split(/([?&;#])/);
	for (let index = 0; index < parts.length; index += 2) {
		let part = parts[index]!;
		const equals = part.indexOf('=');
		if (equals !== -1 && splitSensitive(`?${part.slice(0, equals)}=x`, params).found !== undefined) {
			while (parts[index + 1] === ';') {
				part += parts.splice(index + 1, 2).join('');
			}

			parts[index] = part.slice(0, equals + 1);
		}
	}

	return start === -1 ? url : `${url.slice(0, start + 1)}${parts.join('')}`;
};

/** `run()`'s result and the ms it took. */
const timed = async <T>(run: () => T | Promise<T>): Promise<[T, number]> => {
	const started = performance.now();
	const result = await run();
	return [result, performance.now() - started];
};

describe('a sensitive value followed by a run of semicolons is cut in linear time (splitSensitive)', () => {
	it('a status text of 128 KB, "?token=" then semicolons: the retry event shows its error at once', async () => {
		// Before: each `;` after the value was spliced out of the list of parts (a shift of the rest of it): 2 to 7 s here.
		// (A browser takes a response head of up to 256 KB.)
		const statusText = `?token=${';'.repeat(131_072)}`;
		const api = createClient({ name: `h22-redos-${Math.random()}`, breaker: false, retryBudget: false, staleCache: false, retry: { limit: 1, delay: () => 0 }, fetch: async () => new Response(null, { status: 503, statusText }) });
		const messages: string[] = [];
		api.on('retry', ({ error }) => messages.push((error as Error).message));
		const [error, ms] = await timed(() => api.get('https://a.test/x').then(() => undefined, (failed: unknown) => failed));
		expect((error as Error).name).toBe('HTTPError');
		expect(messages).toEqual(['Request failed with status code 503 ?token= GET https://a.test/x']); // Its `:` in the value.
		expect(ms).toBeLessThan(1_000); // about 20 ms
	});

	it('a URL of 100,000 characters, a sensitive value then semicolons: redact and redactText in linear time', async () => {
		// Before: 3.5 s each (a redirect's Location names it; every event's URL, cache key and stored write reads it).
		const url = `https://a.test/x?token=${';'.repeat(100_000)}`;
		const [shown, ms] = await timed(() => [redact(url, params), redactText(`GET ${url} failed`, params)]);
		expect(shown).toEqual(['https://a.test/x?token=', 'GET https://a.test/x?token= failed']);
		expect(ms).toBeLessThan(1_000); // a few ms
	});

	it('cuts what it cut: a value up to the next & (its semicolons in it), each found value as a line, the rest byte for byte', () => {
		expect(splitSensitive('https://a.test/x?a=1;token=x;y;z&b=2;c', params)).toEqual({ found: 'token=x;y;z\n', redacted: 'https://a.test/x?a=1;token=&b=2;c' });
		expect(splitSensitive('https://a.test/x?token=a;;b;&token=c;#access_token=d;e?f', params)).toEqual({ found: 'token=a;;b;\ntoken=c;\naccess_token=d;e\n', redacted: 'https://a.test/x?token=&token=#access_token=?f' });
		expect(splitSensitive('https://a.test/x?q=1;;r=2;token', params)).toEqual({ found: undefined, redacted: 'https://a.test/x?q=1;;r=2;token' });
		expect(splitSensitive('https://a.test/x?token=;', params)).toEqual({ found: 'token=;\n', redacted: 'https://a.test/x?token=' });
		expect(redact(`https://a.test/x#access_token=${';b'.repeat(3)}&q=1`, params)).toBe('https://a.test/x#access_token=&q=1');
	});

	it('cuts what it cut on 100,000 random URLs of query characters (a fixed seed)', () => {
		const random = seeded(22);
		const alphabet = ['token=', 'a=', ';', ';', '&', '?', '#', 'b', '='];
		const differ: string[] = [];
		for (let i = 0; i < 100_000; i++) {
			let url = 'https://a.test/x?';
			for (let length = 1 + Math.floor(random() * 12); length > 0; length--) {
				url += alphabet[Math.floor(random() * alphabet.length)];
			}

			if (redact(url, params) !== previously(url)) {
				differ.push(url);
			}
		}

		expect(differ).toEqual([]);
	});
});

describe('coalesce: a superseded write whose precondition holds many placeholders is taken over without a copy per placeholder', () => {
	const { h, win } = harnessEachTest();

	it('an If-Match of 3,000 placeholders (a stored record as another tab or build wrote it): the superseding PUT queues at once, with all of them', async () => {
		const api = h.make({ outbox: { coalesce: true } });
		win.setOnline(false, false);
		const parent = await api.post('echo?id=parent', { json: { title: 't' } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(parent).toBeInstanceOf(OutboxQueuedError);
		const refs = Array.from({ length: 3_000 }, (_, index) => api.outbox.ref(parent.entryId, `/n${index}`));
		await expect(api.put('echo?id=doc', { json: { v: 1 }, headers: { 'if-match': refs.map((ref) => `"${ref}"`).join(', ') } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// Before: each placeholder found copied the refs taken so far and stringified the precondition again: 4 s here.
		const [edit, ms] = await timed(() => api.put('echo?id=doc', { json: { v: 2 } }).catch((error: unknown) => error) as Promise<OutboxQueuedError>);
		expect(edit).toBeInstanceOf(OutboxQueuedError);
		expect(ms).toBeLessThan(1_000); // about 150 ms
		expect((await api.outbox.list()).map((entry) => [entry.id, entry.dependsOn])).toEqual([[parent.entryId, undefined], [edit.entryId, [parent.entryId]]]);
	});
});
