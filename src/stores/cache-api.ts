import type { KeyValueStore, StoreFactory } from './types.js';
import { wallNow } from '../utils/clock.js';
import { readCapped } from '../utils/read-capped.js';

const origin = 'https://steadfetch.invalid/';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The bytes of base64 `text`, or `null` when it is not base64 (a malformed record: as a `$bin` outside the bytes). */
const fromBase64 = (text: string): Uint8Array | null => {
	let binary: string;
	try {
		binary = atob(text);
	} catch {
		return null;
	}

	const bytes = new Uint8Array(binary.length);
	for (let index = 0; index < binary.length; index++) {
		bytes[index] = binary.charCodeAt(index);
	}

	return bytes;
};

/** An undefined field or element being read (`decode`). */
const absent = Symbol();

/** The Content-Type of a value as stored (`encode`): its JSON, then its binary data raw. */
const framed = 'application/vnd.steadfetch.framed';
/** The header of a stored value that gives its JSON's length in bytes. */
const jsonBytes = 'x-steadfetch-json-bytes';
/** The header of a stored value that names the segment of the key index that lists its key (`Index`). */
const segmentHeader = 'x-steadfetch-segment';

/**
 * `value` itself, or when it is an object (not an array) with a key that `names` matches, a copy with each such key
 * renamed (`to`): an app's own `$bin` is written as `$$bin` (`$$bin` as `$$$bin`, …) and read back as it was, so
 * no app object reads as the marker of binary data. `Object.fromEntries` keeps an own `__proto__` key a field.
 */
const rekeyed = (value: unknown, names: RegExp, to: (name: string) => string): unknown =>
	value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((name) => names.test(name))
		? Object.fromEntries(Object.entries(value).map(([name, field]) => [names.test(name) ? to(name) : name, field]))
		: value;

/**
 * A value as stored: its JSON (each `ArrayBuffer` or typed array as `{ $bin: [offset, length] }`, an app object's
 * own `$bin` or `$num` key escaped: `rekeyed`) followed by the binary data itself, raw: a 10 MB photo queued by the outbox
 * takes 10 MB, not the 13.3 MB of base64 (nor its encoding time).
 */
const encode = (value: unknown, segment = 0): Response => {
	const parts: Uint8Array[] = [];
	let size = 0;
	const text = new TextEncoder().encode(JSON.stringify(value, function (this: Record<string, unknown>, key) {
		const raw = this[key];
		const kind = typeof raw === 'object' && raw ? Object.prototype.toString.call(raw).slice(8, -1) : typeof raw;
		if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
			const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
			parts.push(bytes);
			size += bytes.byteLength;
			// A view's kind (`Float64Array`, `DataView`), read back as that kind (`asView`); an `ArrayBuffer`'s `false`.
			return { $bin: [size - bytes.byteLength, bytes.byteLength], $view: raw !== bytes.buffer && kind };
		}

		// A number JSON has no text for (NaN, ±Infinity: `null`; -0: `0`; a BigInt: a TypeError), as `{ $num: 'NaN' }`, `{ $num: '5n' }`
		// (`decode`); so is an undefined field or element (JSON: none; `null` in an array), as a structured clone keeps it, and an
		// array's hole (`hole`).
		const num = typeof raw === 'bigint' ? raw + 'n' : Object.is(raw, -0) ? '-0' : raw === undefined ? key in this ? 'undefined' : 'hole'
			: typeof raw === 'number' && !Number.isFinite(raw) && String(raw);
		if (num) {
			return { $num: num };
		}

		// What JSON would keep as something else (a Date, a Map, a Blob: `{}`; a function: nothing) is refused, as a structured
		// clone refuses a function; a class instance is kept as its fields, as a structured clone keeps it.
		if (!/^(Object|Array|string|number|boolean|undefined)$/.test(kind) && raw !== null) {
			throw new TypeError(`A ${kind} is not stored in the Cache API (plain data and bytes only)`);
		}

		return rekeyed(raw, /^\$+(bin|num)$/, (name) => '$' + name) as Json;
	}));
	return new Response(new Blob([text, ...parts as BlobPart[]]), {
		headers: { 'content-type': framed, [jsonBytes]: String(text.byteLength), [segmentHeader]: String(segment), 'cache-control': 'max-age=31536000' },
	});
};

/**
 * `bytes` as the view a stored value names (`encode`): a typed array or `DataView` of the kind it was stored as, a
 * `Uint8Array` for any other name (`true`: as views were stored before; a kind this runtime lacks), or `null` when its
 * length is no whole number of the kind's elements (a malformed record).
 */
const asView = (bytes: Uint8Array, kind: unknown): unknown => {
	const View = typeof kind === 'string' && /^(Big)?(Ui|I)nt\d+(Clamped)?Array$|^Float\d+Array$|^DataView$/.test(kind)
		? (globalThis as Record<string, unknown>)[kind] as (new (buffer: ArrayBuffer) => unknown) | undefined : undefined;
	try {
		return View ? new View(bytes.buffer as ArrayBuffer) : bytes;
	} catch {
		return null;
	}
};

/**
 * A stored value read back (distrusted): framed (`encode`), or JSON whose binary data is
 * base64-tagged (`$bytes`: as values were stored before; in a framed value, a key of the app's: a header
 * named `$bytes`). An escaped app key reads as it was written (`rekeyed`); a `$bin` that is no array is
 * an app's (written before keys were escaped). A `$bin` that does not lie within the
 * stored bytes reads as `null`, as a `$bytes` that is not base64 does (an outbox record then fails its checks: a dead letter, never a
 * crash); a JSON length that does not throws, as JSON that does not parse does (`read`).
 */
const decode = (all: Uint8Array, headers: Headers): unknown => {
	const isFramed = headers.get('content-type') === framed;
	const length = isFramed ? Number(headers.get(jsonBytes)) : all.byteLength;
	if (!(Number.isInteger(length) && length >= 0 && length <= all.byteLength)) {
		throw new TypeError('A stored value whose JSON length is not within its bytes');
	}

	const data = all.subarray(length);
	// No JSON at all: `undefined` was stored (as values were stored before it was `{ $num: 'undefined' }`).
	const value: unknown = length === 0 ? undefined : JSON.parse(new TextDecoder().decode(all.subarray(0, length)), (_key, value: unknown) => {
		const tagged = value as { $bytes?: unknown; $bin?: unknown; $view?: unknown; $num?: unknown } | null;
		const num = tagged?.$num;
		if (typeof num === 'string' && /^(NaN|-?Infinity|-0|undefined|hole|-?\d+n)$/.test(num)) {
			// An undefined as `absent` until its holder is revived (a reviver's `undefined` removes the field: so is a hole made).
			return num === 'undefined' ? absent : num === 'hole' ? undefined : num.endsWith('n') ? BigInt(num.slice(0, -1)) : Number(num);
		}

		// Objects and arrays only (a for-in over a string walks its every character).
		const holder = (typeof value === 'object' ? value : undefined) as Record<string, unknown> | null | undefined;
		for (const name in holder) {
			if (holder![name] === absent) {
				holder![name] = undefined;
			}
		}

		const bin = Array.isArray(tagged?.$bin) ? tagged.$bin as unknown[] : undefined;
		const [offset, size] = bin as [number, number] | undefined ?? [];
		// `$bytes` only in a value stored before the framed form: a framed value's objects are the app's.
		const bytes = typeof tagged?.$bytes === 'string' && !isFramed ? fromBase64(tagged.$bytes)
			: !bin ? undefined
				: Number.isInteger(offset) && Number.isInteger(size) && offset! >= 0 && size! >= 0 && offset! + size! <= data.byteLength ? data.slice(offset, offset! + size!) : null;
		return bytes === undefined ? rekeyed(value, /^\$\$+(bin|num)$/, (name) => name.slice(1)) : bytes && (tagged!.$view ? asView(bytes, tagged!.$view) : bytes.buffer);
	});
	return value === absent ? undefined : value;
};

/** How long this isolate's own changes of the key index are merged into every index write, in ms. */
const changesKeptMs = 60_000;
/** Keys a segment of the key index lists before new keys go to the next (`Index`): no index write lists many more. */
const segmentKeys = 128;
/** Characters of keys a segment lists before new keys go to the next (but its first): long keys (a URL of a few KB) make no index write of megabytes. */
const segmentChars = 65_536;

/**
 * Keys a segment of the key index may list (`stored`): a segment isolates added to at once may list more than `segmentKeys`
 * (each counts the keys it read and its own), never this many. One that lists more was written by no store (planted, garbled):
 * as a malformed one, it is none, so no listing, `delete` or `clear` walks (or writes back) its keys.
 */
const segmentListed = 4 * segmentKeys;
/** Bytes of a segment of the key index read (`read`): one larger (a planted one under `segmentListed`) is, as a malformed one, none. */
const segmentBytes = 2 ** 20;

/** A set() (its value, and the segment its value names) or delete() (`absent`) of a key, and whether its write (or delete) landed. */
type Call = { value: unknown; segment?: number | undefined; landed?: boolean };

/** The namespace's cache, opened for one operation. */
const open = async (namespace: string): Promise<Cache> => {
	if (typeof caches === 'undefined') {
		throw new TypeError('The Cache API is not available in this runtime: use `autoStore` (the default: IndexedDB, else the Cache API, else memory) or `memoryStore`');
	}

	return caches.open(`steadfetch:${namespace}`);
};

/**
 * `text` percent-encoded as `encodeURIComponent` gives it, a lone surrogate too (which it refuses: a URIError) as the
 * three bytes WTF-8 gives it (`\uD800`: `%ED%a0%80`), bytes no well-formed text is encoded to: every string (as IndexedDB
 * and memory keep it) has a URL of its own.
 */
const escaped = (text: string): string =>
	text.split(/(\p{Cs})/u).map((part, n) => n % 2 ? '%ED' + [part.charCodeAt(0) >> 6, part.charCodeAt(0)].map((bits) => '%' + (0x80 | bits & 0x3f).toString(16)).join('') : encodeURIComponent(part)).join('');

/**
 * Where a key's value lives in the namespace's cache: an app's key named as the key index (`\u0000index`, or one
 * already escaped: `\u0000\u0000index`, …) with one `\u0000` more, so no key's value is the index (`indexOf`).
 */
const urlOf = (namespace: string, key: string): string => origin + escaped(namespace) + '/' + escaped(/^\0+index$/.test(key) ? '\0' + key : key);

/**
 * Where segment `n` of the namespace's key index lives (`Index`): where no key's value does (`urlOf`); the first where
 * the whole index was kept before it had segments, the others under it (a `/`, which no encoded key has).
 */
const indexOf = (namespace: string, n = 0): string => urlOf(namespace, '') + '%00index' + (n ? '/' + n : '');

/**
 * The value at `url` (`urlOf`, `indexOf`); one that does not decode rejects, or with `lenient` (the key index) reads as absent,
 * as one over `segmentBytes` does (its read cancelled there).
 */
const read = async (cache: Cache, url: string, lenient?: boolean): Promise<unknown> => {
	const response = await cache.match(url);
	if (response) {
		// Over the bound (`null`): as no bytes, which no segment is (its JSON length not within them, or no list).
		const all = lenient ? await readCapped(response, segmentBytes) : await response.arrayBuffer();
		try {
			return decode(new Uint8Array(all ?? new ArrayBuffer(0)), response.headers);
		} catch (error) {
			if (!lenient) {
				throw error;
			}
		}
	}

	return undefined;
};

const write = async (cache: Cache, url: string, value: unknown, segment?: number): Promise<void> => {
	await cache.put(url, encode(value, segment));
};

/**
 * The keys segment `n` of the stored index lists, `undefined` when there is none. A malformed segment (also one listing more
 * than `segmentListed` keys, or over `segmentBytes`: `read`) is as none (it is
 * written anew at the next change), rather than failing every `set`, `delete`, `keys` and `clear` for good; one the
 * Cache API could not read still fails them.
 */
const stored = async (cache: Cache, namespace: string, n = 0): Promise<Set<string> | undefined> => {
	const index = await read(cache, indexOf(namespace, n), true);
	return Array.isArray(index) && index.length <= segmentListed ? new Set(index.filter((key): key is string => typeof key === 'string')) : undefined;
};

/** Segments of the key index read at once by `segments`: a run of fewer lost ones (evicted) hides none after it. */
const readAhead = 4;

/**
 * Every segment of the stored index (`Index`), `readAhead` at a time until a whole batch is missing: one missing (evicted, or
 * malformed) is as an empty one, so the segments after it stay listed (and are cleared) until it is written anew.
 */
const segments = async (cache: Cache, namespace: string): Promise<Array<Set<string>>> => {
	const all: Array<Set<string> | undefined> = [];
	while (!all.length || all.slice(-readAhead).some(Boolean)) {
		all.push(...await Promise.all(Array.from({ length: readAhead }, async (_, n) => stored(cache, namespace, all.length + n))));
	}

	while (all.length > 1 && !all.at(-1)) {
		all.pop();
	}

	return all.map((keys) => keys ?? new Set());
};

/** The segment the value of `key` names (`encode`; `0` for one stored before segments), `undefined` for no value; distrusted. */
const segmentOfValue = async (cache: Cache, url: string): Promise<number | undefined> => {
	const value = await cache.match(url);
	await value?.body?.cancel();
	const n = Number(value?.headers.get(segmentHeader));
	return value && (Number.isInteger(n) && n >= 0 ? n : 0);
};

/**
 * A namespace's key index as this isolate changes it: what it added or removed lately, merged into
 * every index it writes or lists, and the order its index writes landed in. The index is kept in segments
 * (`indexOf`), each listing up to about `segmentKeys` keys: a new key is added to the last, a key's value names its
 * segment (`segmentOfValue`), so a change writes one segment, whatever the number of keys (the whole index, rewritten
 * at each new key, made adding n keys cost n² bytes written).
 */
class Index {
	readonly #namespace: string;
	/** This isolate's changes of the key index: key → [present, when (epoch ms), segment]. */
	readonly #changes = new Map<string, [boolean, number, number]>();
	/** Index writes started so far, and per segment the latest-started one known to have landed. */
	#started = 0;
	readonly #landed = new Map<number, number>();
	/** The segment new keys go to (or, if full, one after it): the last this isolate found. */
	last = 0;
	/** The `clear()` calls made so far: a `set()` called before one (its value may land after that clear's delete) is undone. */
	clears = 0;
	/** Writes, deletes and clears under way: with none, every change is in the stored index. */
	#busy = 0;

	constructor(namespace: string) {
		this.#namespace = namespace;
	}

	/** The segment this isolate lately added `key` to (and did not remove it since), else `undefined`. */
	added(key: string): number | undefined {
		const change = this.#changes.get(key);
		return change?.[0] ? change[2] : undefined;
	}

	/** Whether this isolate lately removed `key` (its index write may be under way). */
	gone(key: string): boolean {
		return this.#changes.get(key)?.[0] === false;
	}

	/**
	 * Note `key` come to `segment` (`set`, before its value is written: set()s under way at once fill a segment to
	 * `segmentKeys`, no more), or gone: a write that did not happen, which no index write of this isolate lists from here on.
	 */
	note(key: string, present: boolean, segment = 0): void {
		this.#changes.set(key, [present, wallNow(), segment]);
	}

	/** `keys` (of `segment`, or every one) with this isolate's recent changes applied (older ones are forgotten). */
	merged(keys: Set<string>, segment?: number): Set<string> {
		// A store has no client, so no injected clock: how long the Cache API may lag is real time.
		const now = wallNow();
		for (const [key, [present, at, n]] of this.#changes) {
			if (now - at > changesKeptMs) {
				this.#changes.delete(key);
			} else if (present) {
				if (segment === undefined || n === segment) {
					keys.add(key);
				}
			} else {
				keys.delete(key);
			}
		}

		return keys;
	}

	/**
	 * Note that `keys` came to `segment` (`present`) or went, and write that segment: what is stored (`listed`, read
	 * by the caller) merged with every recent change of this isolate.
	 */
	async update(cache: Cache, segment: number, listed: Set<string> | undefined, keys: readonly string[], present: boolean): Promise<void> {
		for (const key of keys) {
			this.#changes.set(key, [present, wallNow(), segment]);
		}

		for (let index = listed; ; index = await stored(cache, this.#namespace, segment)) {
			const seq = ++this.#started;
			await write(cache, indexOf(this.#namespace, segment), [...this.merged(index ?? new Set(), segment)]);
			// A write of the segment started after this one landed first, and this older list replaced it: write again.
			const landed = this.#landed.get(segment) ?? 0;
			this.#landed.set(segment, Math.max(landed, seq));
			if (landed < seq) {
				return;
			}
		}
	}

	/** A change of the store: counted from before its index read until it is done. */
	async changing(task: (cache: Cache) => Promise<void>): Promise<void> {
		this.#busy++;
		try {
			await task(await open(this.#namespace));
		} finally {
			// A change whose request ended first never gets here: then only time forgets the changes.
			if (--this.#busy === 0) {
				this.#changes.clear();
			}
		}
	}
}

/**
 * A store in the Cache API (Cloudflare Workers, Deno, browsers): one cache per namespace
 * (`steadfetch:<namespace>`). Values are kept as JSON, with their binary data raw after it (`encode`),
 * so an `ArrayBuffer`, a typed array (`Uint8Array`, `Float64Array`, …) or a `DataView` round-trips at its own size and
 * as its own kind, as a structured clone keeps it (a view reads back over a buffer of its own bytes only); so does
 * every number (NaN, ±Infinity and -0 too, which JSON alone would read back as `null` or `0`; a BigInt, which it refuses), and an undefined
 * field or array element and an array's hole (JSON: none, or `null`): a value reads back as IndexedDB and `memoryStore` keep it. workerd and Deno have no `cache.keys()`, so the
 * store keeps its own key index (`Index`), in segments of about 128 keys (fewer long ones: at most 64 Ki characters): adding or removing a key writes one
 * segment, whatever the number of keys; `keys()` and `clear()` read every segment. A segment listing more than 512 keys, or
 * over 1 MiB (another program's, garbled), is read as none.
 *
 * Safe across the request contexts of a Cloudflare Worker (one store serving every request of an
 * isolate): it shares state, never I/O. Each operation opens the cache itself (cheap; no promise or
 * `Cache` object outlives it) and none is chained behind another, so nothing a request started (and
 * that ended with it) is ever awaited by another. Each index update reads the stored index and
 * merges this isolate's own changes into it, so updates that overlap (two requests at once) lose
 * none; an update that finds a later-started one landed first writes again. The changes are
 * forgotten once no change of this store is under way (or after 60 s, for one whose request ended
 * before it did). Calls of one key take effect in the order they are called (`KeyValueStore`), though the Cache API keeps
 * no order between their writes: a value write (or delete) that lands after a later call's one writes that call's effect again.
 *
 * Two isolates (or tabs) that change one segment at once may lose one's change of the index: the Cache API has no
 * compare-and-set, so the later write of the segment lands over the other's. A key added so stays stored (`get` reads
 * it) but `keys()` does not list it until it is set again; where the Cache API lists no entries (workerd, Deno) `clear()`
 * leaves it; a key removed so may stay listed, with no value (`get` answers `undefined`). Where that matters, use a store with transactions (IndexedDB) or one isolate per namespace.
 *
 * In Cloudflare Workers the Cache API is per data center and may evict at any time: treat it as a
 * best-effort store. A key whose value was evicted stays listed (`get` answers `undefined`); set again by an isolate
 * whose new keys go to a later segment, it is listed by both, and a `delete()` unlists it from the one its value names
 * only: `keys()` lists it, with no value, until `clear()` (finding the other would read every segment at each new key).
 * A value JSON would keep as something else (a Map, a Set, a Date, a Blob, a function) is
 * refused: `set` rejects with a `TypeError` (use plain objects and epoch ms).
 */
export const cacheApiStore: StoreFactory = (namespace: string): KeyValueStore => {
	const index = new Index(namespace);
	/** Per key, its set() and delete() calls under way: how many, and the latest called. */
	const calls = new Map<string, { count: number; latest: Call }>();
	/** `task`, a set() of `key` (its `value`) or a delete() (`absent`), noted its key's latest call from the moment it is called. */
	const called = async (key: string, value: unknown, task: (done: (cache: Cache) => Promise<boolean>, call: Call) => Promise<void>): Promise<void> => {
		const call: Call = { value };
		const entry = calls.get(key) ?? { count: 0, latest: call };
		entry.count++;
		entry.latest = call;
		calls.set(key, entry);
		// Once its value write (or delete) landed: a later call of the key that landed before it (the Cache API keeps no order
		// between them) is written again, so the latest called wins. True when a later one was called: that one lists or unlists the key.
		const done = async (cache: Cache): Promise<boolean> => {
			call.landed = true;
			for (let last = call; entry.latest !== last && entry.latest.landed;) {
				last = entry.latest;
				const url = urlOf(namespace, key);
				await (last.value === absent ? cache.delete(url) : write(cache, url, last.value, last.segment));
			}

			return entry.latest !== call;
		};

		return task(done, call).finally(() => {
			if (!--entry.count) {
				calls.delete(key);
			}
		});
	};

	return {
		async get<T>(key: string) {
			return await read(await open(namespace), urlOf(namespace, key)) as T | undefined;
		},
		set: async (key, value) => called(key, value, async (done, call) => {
			const clears = index.clears;
			return index.changing(async (cache) => {
				const url = urlOf(namespace, key);
				// The segment this isolate lately added it to (its write may be under way), or its value names if that lists it; else
				// the last (the first not full from the last this isolate found): one segment lists it (`delete` writes one).
				const added = index.added(key);
				// A key this isolate lately removed is not listed, whatever a stored segment says: its removal may land after.
				const gone = index.gone(key);
				const listing = async (n: number) => stored(cache, namespace, n).then((keys) => {
					if (gone) {
						keys?.delete(key);
					}

					return keys;
				});
				let segment = added ?? await segmentOfValue(cache, url);
				let listed = segment === undefined ? undefined : await listing(segment);
				let noted = false;
				if (!listed?.has(key) && added === undefined) {
					// The first segment (from the last this isolate found) that lists it or has room (`segmentKeys`, `segmentChars`),
					// counting the keys this isolate's set()s under way noted for it (`note`); a missing one too (evicted, or none yet).
					for (segment = index.last; ; segment++) {
						listed = await listing(segment);
						const keys = [...index.merged(new Set(listed), segment)];
						if (listed?.has(key) || !keys.length || keys.length < segmentKeys && keys.join('').length + key.length <= segmentChars) {
							break;
						}
					}

					index.last = segment;
					// Not once a clear() was called since: it may have read the index before this note.
					noted = !listed?.has(key) && clears === index.clears;
					if (noted) {
						index.note(key, true, segment);
					}
				}

				// A new key whose value or index write failed (a quota error) is not stored: its value goes, and no index lists it. An
				// index write of it may have landed (the first, when a second failed) or be under way (one that merged it): the index
				// is written anew without it, and one landing after is written again (`update`). Its caller was told (an outbox
				// entry refused: nothing queued), of the first failure (its name: the quota's).
				const unlist = async (error: unknown): Promise<never> => {
					index.note(key, false);
					await cache.delete(url).catch(() => false);
					await stored(cache, namespace, segment).then(async (keys) => index.update(cache, segment!, keys, [], false)).catch(() => undefined);
					throw error;
				};

				call.segment = segment;
				// Not once a later call of the key was made: that one writes (or deletes) its value and lists (or unlists) it.
				await write(cache, url, value, segment).catch(async (error: unknown) => noted && calls.get(key)?.latest === call ? unlist(error) : Promise.reject(error));
				if (clears !== index.clears) {
					// A clear() called after this set() (which wrote its index without this key, or noted it gone): the value goes too.
					call.value = absent;
					await cache.delete(url);
				}

				if (!await done(cache) && clears === index.clears && !listed?.has(key)) {
					await index.update(cache, segment!, listed, [key], true).catch(unlist);
				}
			});
		}),
		delete: async (key) => called(key, absent, async (done) => index.changing(async (cache) => {
			const url = urlOf(namespace, key);
			const added = index.added(key);
			const segment = added ?? await segmentOfValue(cache, url);
			await cache.delete(url);
			if (await done(cache)) {
				return;
			}

			// A key with no value (lost, or listed by a write that failed), or whose value names a segment that does not list it
			// (forged, garbled), is looked for in every segment.
			const named = segment === undefined ? undefined : await stored(cache, namespace, segment);
			const listed = added !== undefined || named?.has(key) ? [named] : await segments(cache, namespace);
			await Promise.all(listed.map(async (keys, n) => keys?.has(key) || added !== undefined ? index.update(cache, keys === named ? segment! : n, keys, [key], false) : undefined));
		})),
		async keys() {
			return [...index.merged(new Set((await segments(await open(namespace), namespace)).flatMap((keys) => [...keys])))];
		},
		clear: async () => {
			index.clears++;
			return index.changing(async (cache) => {
				// Where the Cache API lists its entries (browsers), every one goes: also a value whose index write never landed (a page
				// closed between the two), which `get` would still find. workerd (keys() "not implemented") and Deno (none) list none:
				// the index is all there is.
				let all: readonly Request[] = [];
				try {
					all = await cache.keys();
				} catch {
					// Listed by the index alone.
				}

				// The index read after that listing, and each key's value deleted too: a key a set() of this isolate added meanwhile
				// is gone whole (its value listed, or not yet: its key in the index), never left listed with no value, nor a value unlisted.
				const listed = await segments(cache, namespace);
				const keys = [...index.merged(new Set(listed.flatMap((segment) => [...segment])))];
				await Promise.all([...new Set([...all.map(({ url }) => url), ...keys.map((key) => urlOf(namespace, key))])].map(async (url) => cache.delete(url)));
				// Each segment written empty, not removed: a later one stays found (`segments`); new keys go to the first again.
				index.last = 0;
				await Promise.all(listed.map(async (segment, n) => index.update(cache, n, segment, keys, false)));
			});
		},
	};
};
