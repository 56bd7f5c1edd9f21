/**
 * Defect hunt, thirty-fourth round (the stale cache): variants of the thirty-third's "a newer answer not kept drops a copy
 * another client of the name and store stored" (`View.overtake`), of the userinfo check on stored headers, and of work
 * that outlives its caller. Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { headerShown, sensitiveParamSet, withoutUserinfo } from '../../src/utils/sensitive.js';
import { afterOtherTabsCopy, type Answer, answering, collect, copiedUrl, next, outcome, settle, t0 } from './cache-kit.js';

const url = copiedUrl;

/** A client `name` (maxBodyBytes 100) over `records` under the identity `who.id`, whose origin answers `state.answer`, or fails while `down`. */
const tab = (records: Map<string, unknown>, clock: ManualClock, who: { id: string | undefined }) => answering('hunt34', records, clock, { identity: () => who.id });

describe('a newer answer not kept, at an identity\'s first call (its key still being digested), drops another tab\'s copy', () => {
	/**
	 * Tab `b` listed the store at its first copy (identity u1); tab `a` (identity u2) stored a copy of `url`; `b`, now u2
	 * (its first call as u2: the key's digest is under way as the answer comes), gets `then`. Whether a copy of `url` is
	 * left, and 60 s on with the origin down, what `b` and `a` answer.
	 */
	const firstCall = async (then: Answer): Promise<[boolean, string, string]> => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const whoA = { id: 'u2' as string | undefined };
		const whoB = { id: 'u1' as string | undefined };
		const { left, after } = await afterOtherTabsCopy(records, clock, tab(records, clock, whoA), tab(records, clock, whoB), then, () => {
			whoB.id = 'u2';
		});
		return [left, ...after];
	};

	it.each([
		['204 No Content', { body: null, status: 204 }],
		['a Content-Length over maxBodyBytes', { body: 'v2'.repeat(100), headers: { 'content-length': '200' } }],
		['max-age=0, must-revalidate', { body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } }],
		['no-store (as before)', { body: 'v2', headers: { 'cache-control': 'no-store' } }],
		['a body over maxBodyBytes, no Content-Length (as before)', { body: 'v2'.repeat(100) }],
	] as Array<[string, Answer]>)('%s', async (_, then) => {
		// Before (204, Content-Length, must-revalidate): [true, 'steadfetch; hit; ttl=-5; detail=network v1', … v1] (the key's digest
		// was under way as the answer came: `b` never looked for the other tab's copy, which answered both).
		expect(await firstCall(then)).toEqual([false, 'NetworkError', 'NetworkError']);
	});
});

describe('neighbour: after such an answer at an identity\'s first call, a copy stored after it answers', () => {
	it('another tab\'s newer copy is served', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const who = { id: 'u1' as string | undefined };
		const a = tab(records, clock, { id: 'u2' });
		const b = tab(records, clock, who);
		b.state.answer = { body: 'other' };
		const listed = next(b.api, 'cache:stored');
		await b.api.get('https://a.test/other').text();
		await listed;
		who.id = 'u2';
		clock.advance(2000);
		b.state.answer = { body: null, status: 204 };
		await b.api.get(url).text();
		await settle();
		clock.advance(2000);
		a.state.answer = { body: 'v3', headers: { 'cache-control': 'max-age=60' } };
		const stored = next(a.api, 'cache:stored');
		await a.api.get(url).text();
		await stored;
		clock.advance(5000);
		b.state.down = true;
		expect(await outcome(b.api)).toBe('steadfetch; hit; ttl=55; detail=network v3');
		a.api.close();
		b.api.close();
	});
});

/** A deterministic generator of numbers in [0, 1) from `seed` (mulberry32): the same strings on every run. */
const seeded = (seed: number) => (): number => {
	seed = (seed + 0x6d2b79f5) | 0;
	let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
	t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
	return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

describe('a header whose URL has odd slashes and @s (`//@\\@`) is kept as the stored copy\'s check reads it', () => {
	it('the copy is served (its header shown once more is itself), with no storage:error', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, state } = tab(records, clock, { id: undefined });
		state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60', 'x-next': 'https://a.test//@\\@/y' } };
		const errors = collect(api, 'storage:error');
		const stored = next(api, 'cache:stored');
		await api.get(url).text();
		await stored;
		clock.advance(5000);
		state.down = true;
		// Before: 'NetworkError' (stored as `https://a.test//\@/y`, which the check shows as `https://a.test//\/y`: refused, a storage:error told).
		expect(await outcome(api)).toBe('steadfetch; hit; ttl=55; detail=network v1');
		expect([errors.length, (await api.get(url)).headers.get('x-next')]).toEqual([0, 'https://a.test//\\/y']);
		api.close();
	});

	it('over 100,000 seeded strings of URL characters, a header shown once more is itself; none keeps userinfo a URL parser finds', () => {
		const params = sensitiveParamSet({});
		const random = seeded(34);
		const alphabet = ['/', '\\', '@', 'a', ':', '?', '#', '=', '&', ';', ' ', '<', '"', 'token=', 'https:', '%40', '.'];
		const unsettled: string[] = [];
		const leaked: string[] = [];
		for (let round = 0; round < 100_000; round++) {
			let text = '';
			for (let length = 1 + Math.floor(random() * 12); length > 0; length--) {
				text += alphabet[Math.floor(random() * alphabet.length)];
			}

			const shown = headerShown(text, params);
			if (headerShown(shown, params) !== shown || withoutUserinfo(withoutUserinfo(text)) !== withoutUserinfo(text)) {
				unsettled.push(text);
			}

			// An absolute URL (`https:` and any slashes), or one relative to the scheme (two slashes), as a whole word.
			const absolute = shown.startsWith('https:') ? shown : /^[/\\]{2}/.test(shown) ? `https:${shown}` : '';
			const parsed = text.includes('@') && absolute && !/[\s<>"]/.test(absolute) ? URL.parse(absolute) : null;
			if (parsed?.username || parsed?.password) {
				leaked.push(text);
			}
		}

		// Before: 8 unsettled (the first '//@/@token=#https:', shown as '///@token=#https:', then '///token=#https:').
		expect([unsettled.length, unsettled.slice(0, 3), leaked.slice(0, 5).map((text) => [text, headerShown(text, params)])]).toEqual([0, [], []]);
		// Before: '///b@c' (a second userinfo the first's removal brought after the slashes).
		expect(withoutUserinfo('//a@/b@c')).toBe('///c');
	}, 30_000);

	it('neighbour: userinfo is removed as before (up to the last @ before the host ends); a path\'s @ and a mailto: stay', () => {
		expect(['https://user:secret@a.test/x', 'https://a@b@a.test/x', '\\\\u:p@a.test/x', 'https://a.test/@x', '<https://a.test/x>; rel="next", <mailto:a@b.test>'].map(withoutUserinfo))
			.toEqual(['https://a.test/x', 'https://a.test/x', '\\\\a.test/x', 'https://a.test/@x', '<https://a.test/x>; rel="next", <mailto:a@b.test>']);
	});
});

describe('a header naming a URL of a special scheme with fewer than two slashes (`https:/u:p@host`) keeps no userinfo', () => {
	/** What a copy whose `content-location` is `value` stores of it, and whether the secret is anywhere in the store. */
	const storedAs = async (value: string): Promise<[string | undefined, boolean]> => {
		const records = new Map<string, unknown>();
		const { api, state } = tab(records, new ManualClock(t0), { id: undefined });
		state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60', 'content-location': value } };
		const stored = next(api, 'cache:stored');
		await api.get(url).text();
		await stored;
		api.close();
		const record = [...records.values()][0] as { headers: Array<[string, string]> };
		return [record.headers.find(([name]) => name === 'content-location')?.[1], JSON.stringify([...records]).includes('secret')];
	};

	it.each([
		['one slash', 'https:/user:secret@a.test/y', 'https:/a.test/y'],
		['no slash', 'https:user:secret@a.test/y', 'https:a.test/y'],
		['a backslash, upper case', 'HTTP:\\user:secret@a.test/y', 'HTTP:\\a.test/y'],
		['wss and ftp', 'wss:user:secret@a.test/y ftp:/secret@a.test/', 'wss:a.test/y ftp:/a.test/'],
	])('%s', async (_, value, kept) => {
		// Before: [<value>, true] (the URL parser reads `user:secret` as its userinfo: the secret stored).
		expect(await storedAs(value)).toEqual([kept, false]);
	});

	it('neighbour: a scheme that is not special (`mailto:`, `foo:/`, `x-https:`) keeps its @, as a URL parser keeps it out of any userinfo', () => {
		const values = ['mailto:user@a.test', 'foo:/a@b', 'x-https:a@b', 'https://a.test/@x'];
		expect(values.map(withoutUserinfo)).toEqual(values);
		expect(values.map((value) => URL.parse(value)?.username ?? '')).toEqual(['', '', '', '']);
	});
});
