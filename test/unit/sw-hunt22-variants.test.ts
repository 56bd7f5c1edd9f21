/** steadfetch/sw, hunt 22: what the worker's 503 says of an error that did not come from steadfetch (an app's hook's). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { showUrls } from '../../src/sw/index.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** The page's answer, and the ms it took, when the worker's client fails the call with what an app's `afterResponse` hook throws. */
const answerFor = async (thrown: (response: Response) => Promise<unknown>) => {
	vi.stubGlobal('location', new URL('https://app.example/sw.js'));
	// The origin answers 400 with its own text; the app's hook fails the call on it (before the worker sees the answer).
	const origin = (async () => new Response(`a.${'a.'.repeat(65_536)}`, { status: 400, statusText: 'Bad Request' })) as typeof fetch;
	const api = createClient({ name: `sw-h22-${Math.random()}`, retry: 0, breaker: false, staleCache: false, fetch: origin, hooks: { afterResponse: [async ({ response }: { response: Response }) => {
		throw await thrown(response);
	}] } } as never);
	const handle = fetchHandler(api, { match: () => true });
	let answer: Promise<Response> | undefined;
	const started = performance.now();
	handle({ request: new Request('https://app.example/api/todos'), respondWith: (response) => {
		answer = Promise.resolve(response);
	} });
	try {
		const result = await answer!.then(async (response) => [response.status, response.headers.get('steadfetch-error'), (await response.json() as { message: string }).message],
			(error: unknown) => ['rejected', String(error)]);
		return [result, performance.now() - started] as const;
	} finally {
		api.close();
	}
};

describe('fetchHandler: the message of an app\'s error, in the worker\'s 503', () => {
	it('a server\'s text of 128 KB in it (a run of dotted words): the page has its 503 at once, its URLs still shown as events show them', { timeout: 60_000 }, async () => {
		// Before: 5.5–16 s (`/\b[a-z][\w+.-]*:\/\/\S+/gi` read the run to its end from each of its 65,537 words).
		const [[status, code, message], ms] = await answerFor(async (response) => new Error(`GET https://app.example/api/todos?token=s3cret answered: ${await response.text()}`));
		expect([status, code, message === `GET https://app.example/api/todos?token= answered: a.${'a.'.repeat(65_536)}`]).toEqual([503, 'UNKNOWN', true]);
		expect(ms).toBeLessThan(1_000); // a few ms
	});

	it('an object with no string form, or an Error whose message is not a string: the page gets the worker\'s 503 UNKNOWN, never a network error', async () => {
		// Before: ['rejected', 'TypeError: Cannot convert object to primitive value'], ['rejected', 'TypeError: text.indexOf is not a function'] and, for a message getter that throws, ['rejected', 'Error: no message'].
		expect((await answerFor(async () => Object.create(null)))[0]).toEqual([503, 'UNKNOWN', 'object']);
		expect((await answerFor(async () => Object.assign(new Error('x'), { message: 42 })))[0]).toEqual([503, 'UNKNOWN', 'object']);
		const throwing = new Error('x');
		Object.defineProperty(throwing, 'message', { get: () => {
			throw new Error('no message');
		} });
		expect((await answerFor(async () => throwing))[0]).toEqual([503, 'UNKNOWN', 'object']);
		// As before: an Error's own message, and a string thrown.
		expect((await answerFor(async () => new Error('bad payload')))[0]).toEqual([503, 'UNKNOWN', 'bad payload']);
		expect((await answerFor(async () => 'bad payload'))[0]).toEqual([503, 'UNKNOWN', 'bad payload']);
	});
	it('an app\'s error with a code of its own that no header may carry (a line break, a character past Latin-1): the page gets the 503, its code percent-encoded in Steadfetch-Error', async () => {
		// Before: ['rejected', 'TypeError: Headers.append: "E\nX" is an invalid header value.'] (and for 'ÉCHEC—失败'): a network error to the page.
		expect((await answerFor(async () => Object.assign(new Error('bad'), { code: 'E\nX', transient: false })))[0]).toEqual([503, 'E%0AX', 'bad']);
		expect((await answerFor(async () => Object.assign(new Error('bad'), { code: 'ÉCHEC—失败', transient: false })))[0]).toEqual([503, encodeURIComponent('ÉCHEC—失败'), 'bad']);
		expect((await answerFor(async () => Object.assign(new Error('bad'), { code: 'MY_CODE', transient: false })))[0]).toEqual([503, 'MY_CODE', 'bad']);
	});
});

describe('showUrls: the URLs the former pattern found, in linear time', () => {
	const former = /\b[a-z][\w+.-]*:\/\/\S+/gi;
	const found = (text: string, replace: (text: string, shown: (url: string) => string) => string): string[] => {
		const urls: string[] = [];
		const out = replace(text, (url) => {
			urls.push(url);
			return `<${url.length}>`;
		});
		return [...urls, out];
	};

	it('finds the same URLs, and leaves the rest byte for byte, on 200,000 random texts (a fixed seed)', () => {
		const pieces = ['a', 'Z', 'q', '1', '9', '_', '.', '+', '-', ':', '/', '//', '://', ' ', '\t', '\n', 'ä', 'é', '@', '?', '#', '%', 'K', 'ſ', '\u212a', '\u{1f600}', 'http', 'https://', 'x.y'];
		let seed = 22;
		const next = (below: number): number => {
			seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
			return seed % below;
		};
		let differ = 0;
		for (let round = 0; round < 200_000; round++) {
			let text = '';
			for (let length = next(24); length > 0; length--) {
				text += pieces[next(pieces.length)];
			}

			const [before, after] = [found(text, (t, shown) => t.replace(former, shown)), found(text, showUrls)];
			if (JSON.stringify(before) !== JSON.stringify(after)) {
				expect([text, after]).toEqual([text, before]);
				differ++;
			}
		}

		expect(differ).toBe(0);
	});

	it('a dotted run, a run of `a:`, of `1.`, of scheme characters without `://`, each of 128 KB: a few ms', () => {
		for (const text of ['a.'.repeat(65_536), 'a:'.repeat(65_536), '1.a'.repeat(43_690), `${'a+'.repeat(65_536)}:/`, `x ${'a-b.'.repeat(32_768)}://`]) {
			const started = performance.now();
			showUrls(text, (url) => url);
			expect([text.slice(0, 8), performance.now() - started < 500]).toEqual([text.slice(0, 8), true]);
		}

		expect(showUrls('see 1.a://h/p?q and https://a/b, -x+y://z ::// 9://n', (url) => `[${url}]`)).toBe('see 1.[a://h/p?q] and [https://a/b,] -[x+y://z] ::// 9://n');
	});
});
