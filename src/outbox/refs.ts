import type { PolicyCall } from '../core/policy.js';
import type { World } from '../core/world.js';
import { isObject, isPrintableId } from '../utils/validate.js';
import { maxListed } from './record.js';
import { randomUuid } from '../utils/runtime.js';

/**
 * `outbox.ref(entryId, pointer)` (API.md "Writes that depend on earlier writes"): placeholders for a
 * value of a queued entry's eventual answer. A placeholder is `steadfetch-ref-<nonce>-<n>`, the nonce
 * random per client: only the placeholders this client's `ref()` returned are ever replaced (a
 * look-alike string, or one edited to name another entry or pointer, is not in `made` and is sent as
 * written). The dependent's record carries what each of its placeholders stands for (`refs`), so any
 * tab replays it; the parent's record carries the pointers asked for (`pointers`), so any tab that
 * delivers it keeps their values (`v|<id>`, `Values`).
 */

/** The whole answer of an entry delivered early, held in memory until `until` (epoch ms), and its call's world (`Refs.early`). */
export interface Early {
	answer: unknown;
	until: number;
	world: World;
	/** Its world no longer held (`Queue.hold`): called once, as the answer is let go. */
	letGo: () => void;
}

/** What one placeholder stands for, as a dependent's record stores it. */
export interface Ref {
	entry: string;
	pointer: string;
}

/** The kept values of a delivered entry's answer (store key `v|<id>`): only the pointers asked for. */
export interface Values {
	v: 1;
	values: Record<string, unknown>;
	/** Epoch ms of the delivery. */
	at: number;
	identity?: string | undefined;
	/**
	 * The entries queued with its placeholders before its delivery (their `linkKey`s then), at most `maxListed`: kept while one of them is
	 * stored (pending or dead). Written for a tab of an older build sharing the store, whose prune reads this list, never the link keys.
	 */
	dependents?: string[];
}

/** How long the values of a delivered entry are kept at least, in ms (then until no dependent of it is stored). */
export const keptMs = 86_400_000;

/** How long an entry delivered by the attempt of a call told "queued" keeps its whole answer in memory, in ms. */
export const earlyMs = 60_000;

/** An RFC 6901 JSON pointer: `''`, or `/`-separated tokens where `~` is only `~0` or `~1`. */
const pointerSyntax = /^(?:\/(?:[^~/]|~[01])*)*$/;

export const valuesKey = (id: string): string => `v|${id}`;

/** A text backwards (an involution): `linkKey`'s ids. */
export const turned = (text: string): string => [...text].reverse().join('');

/**
 * The key recording that `dependent` was queued with a placeholder of entry `parent` (`l|<parent>|<dependent>`, each id
 * written backwards: a key holding an entry's id as it is stays its record's or its kept values'): one small key per
 * dependent, so a dependent's write never writes its parent's record (or kept values) again with every dependent before
 * it (`Queue.linked` reads them back).
 */
export const linkKey = (parent: string, dependent: string): string => `l|${turned(parent)}|${turned(dependent)}`;

/** The entries `refs` name, each once: their kept values are read (and written) once per call, not once per placeholder. */
export const parentsOf = (refs: Record<string, Ref> = {}): Set<string> => new Set(Object.values(refs).map((ref) => ref.entry));

export const isValues = (value: unknown): value is Values => {
	const kept = value as Values | undefined;
	return kept?.v === 1 && typeof kept.values === 'object' && kept.values !== null && Number.isFinite(kept.at);
};

/** The dependents kept values name, distrusted (read from storage): a list, at most `maxListed` of it; else none. */
export const dependentsOf = ({ dependents }: Values): string[] => Array.isArray(dependents) ? dependents.slice(0, maxListed) : [];

/** The value at `pointer` in `document` (own properties only), or `undefined` when it holds none. */
export const at = (document: unknown, pointer: string): { value: unknown } | undefined => {
	let value = document;
	for (const token of pointer === '' ? [] : pointer.slice(1).split('/')) {
		const name = token.replace(/~1/g, '/').replace(/~0/g, '~');
		if (Array.isArray(value) ? !/^(?:0|[1-9]\d*)$/.test(name) || Number(name) >= value.length : typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) {
			return undefined;
		}

		value = (value as Record<string, unknown>)[name];
	}

	// `undefined`: an answer that is no JSON (a JSON document holds no `undefined`) holds nothing, not even at `''`.
	return value === undefined ? undefined : { value };
};

/** What a placeholder this client made stands for, and whose identity made it. */
type Made = Ref & { who: string | undefined };

/** The placeholders this client made, and whose identity made each. */
export class Refs {
	#nonce: string | undefined;
	#count = 0;
	#syntax: RegExp | undefined;
	readonly #made = new Map<string, Made>();
	/** The placeholder made for each entry, pointer and identity: `ref()` called again (each render) gives it again, nothing more kept. */
	readonly #given = new Map<string, string>();
	/**
	 * Whole answers of entries delivered early (`networkTimeoutMs`), until `until` (epoch ms), and the
	 * world their call started in: memory only, used only while it is current (no clear since, in any
	 * client of the name). That world is held (`Queue.hold`: the removals of other entries noted meanwhile,
	 * however many, never count as its own) until the answer is let go: `letGo`, once (queue.ts `letGoEarly`).
	 */
	readonly early = new Map<string, Early>();

	/**
	 * `ref()`: a `TypeError` for an `entryId` that is not a string or a pointer that is not RFC 6901; then `whoNow()`, the
	 * identity it belongs to, read (what it throws, thrown: nobody known makes none).
	 */
	make(entry: unknown, pointer: unknown, whoNow: () => string | undefined): string {
		if (typeof entry !== 'string') {
			throw new TypeError('outbox.ref(entryId, pointer): entryId must be a string');
		}

		if (typeof pointer !== 'string' || !pointerSyntax.test(pointer)) {
			throw new TypeError('outbox.ref(entryId, pointer): pointer must be a JSON pointer (RFC 6901: \'\' or starting with \'/\')');
		}

		const who = whoNow();
		const asked = JSON.stringify([entry, pointer, who]);
		let placeholder = this.#given.get(asked);
		if (!placeholder) {
			this.#nonce ??= randomUuid().replace(/-/g, '');
			placeholder = `steadfetch-ref-${this.#nonce}-${this.#count++}`;
			this.#made.set(placeholder, { entry, pointer, who });
			this.#given.set(asked, placeholder);
		}

		return placeholder;
	}

	/**
	 * This client's placeholders in a call's URL (with its `searchParams`), `idempotencyKey`, headers (the client's
	 * `defaults`, the call's, a `Request` input's: every header the request is made with), `json`
	 * (as `stringify`, the client's `stringifyJson`, writes it: a value `JSON.stringify` refuses, a BigInt, may
	 * be the app's to serialize), a text body (a string, `URLSearchParams`, a FormData's names and string values) and a
	 * `Blob` body's type (its Content-Type),
	 * with what each stands for; none without a `ref()` made.
	 */
	in(call: PolicyCall, href: string | undefined, defaults?: unknown, stringify: (value: unknown) => string = JSON.stringify): Map<string, Made> {
		const found = new Map<string, Made>();
		if (!this.#nonce) {
			return found;
		}

		const { headers, json, body } = call.options as { headers?: unknown; json?: unknown; body?: unknown };
		let text: string;
		try {
			// A FormData's file parts by their field and file names and types (`inFiles`: refused there, never replaced).
			// A Blob body's type too: it is the request's Content-Type (unless the call gives one), a header as any other.
			const form = body instanceof FormData ? [...body].map(([name, value]) => typeof value === 'string' ? [name, value] : [name, value.name, value.type])
				: typeof body === 'string' || body instanceof URLSearchParams ? `${body}` : body instanceof Blob && body.type;
			const given = [defaults, headers, call.input instanceof Request && call.input.headers, form].map((each) => each instanceof Headers ? [...each] : each);
			text = `${href} ${call.idempotencyKey} ${JSON.stringify(given)} ${json === undefined ? '' : stringify(json)}`;
		} catch {
			return found; // An unserializable body: the wrapper's own check names it.
		}

		return this.#scan(text, found);
	}

	/**
	 * This client's placeholders in the field and file names and the types (its `Content-Type`) of a FormData body's file parts: a
	 * file part is replayed byte-identical, its head included (API.md "Files"), so a placeholder there could never be replaced (the call's `InvalidRequestError`).
	 */
	inFiles(body: unknown): Map<string, Made> {
		const files = body instanceof FormData ? [...body].flatMap(([name, value]) => typeof value === 'string' ? [] : [name, value.name, value.type]) : [];
		return this.#scan(files.join(' '), new Map());
	}

	/** Whether this client made any placeholder (`ref()`): else no body needs reading for one. */
	get making(): boolean {
		return this.#nonce !== undefined;
	}

	/** This client's placeholders in the URL or a header value of an attempt as it goes out (as its hooks made them: enqueue.ts `hookedRef`). */
	inSent(value: string): Map<string, Made> {
		return this.#scan(value, new Map());
	}

	/**
	 * This client's placeholders in the bytes of a `Request` input's body, or of an attempt's body as its hooks made it (enqueue.ts
	 * `hookedBody`), read as UTF-8: neither is ever read for placeholders to replace, so one there is refused.
	 */
	inBytes(body: ArrayBuffer): Map<string, Made> {
		return this.#scan(this.#nonce ? new TextDecoder().decode(body) : '', new Map());
	}

	#scan(text: string, found: Map<string, Made>): Map<string, Made> {
		if (this.#nonce) {
			this.#syntax ??= new RegExp(`steadfetch-ref-${this.#nonce}-\\d{1,16}`, 'g');
			for (const match of text.match(this.#syntax) ?? []) {
				const placeholder = knownIn(match, this.#made);
				if (placeholder) {
					found.set(placeholder, this.#made.get(placeholder)!);
				}
			}
		}

		return found;
	}
}

/**
 * The placeholder of `known` that `match` (a placeholder and any digits written after it) begins with, the longest: `…-1`
 * then `0` is `…-1`'s (a placeholder followed by a digit, `todos/${ref}7`), unless `…-10` is one too.
 */
const knownIn = (match: string, known: ReadonlyMap<string, unknown>): string | undefined => {
	for (let end = match.length; match[end - 1] !== '-'; end--) {
		if (known.has(match.slice(0, end))) {
			return match.slice(0, end);
		}
	}

	return undefined;
};

/** Whether `value` has a JSON form (`JSON.stringify` gives a text: no BigInt, no `undefined`, no cycle). */
const jsonForm = (value: unknown): boolean => {
	try {
		return JSON.stringify(value) !== undefined;
	} catch {
		return false;
	}
};

/** `bytes` read a byte a character (U+0000 to U+00FF): a text whose characters give back the same bytes. */
const byteText = (bytes: Uint8Array): string => {
	let text = '';
	for (let start = 0; start < bytes.length; start += 8192) {
		text += String.fromCharCode(...bytes.subarray(start, start + 8192));
	}

	return text;
};

/**
 * A placeholder as `Refs.make` writes it (any client's nonce), its count's digits at most 16 (a count below 2^53): found in
 * one reading of a text, whatever the number of placeholders (one reading per placeholder took seconds for thousands).
 * Literals, not `new RegExp`: a module-level call would keep this module in bundles that import none of it.
 */
const inTexts = /steadfetch-ref-[\da-f]+-\d{1,16}/g;
/**
 * In a JSON text: a whole string value (its opening quote not escaped: an even run of backslashes before it), not a
 * key; else a placeholder inside a string (or a key).
 */
const inJson = /(?<!\\)(\\*)"(steadfetch-ref-[\da-f]+-\d{1,16})"(?!\s*:)|steadfetch-ref-[\da-f]+-\d{1,16}/g;

/**
 * A stored request with its placeholders replaced, or why it cannot be sent (a `'parent'` dead letter). Its `idempotencyKey`
 * (a key the call gave as its `Idempotency-Key` header, which the record keeps apart from its headers) takes its values as a
 * header does, and must still be one the client takes (1–255 printable ASCII characters): every attempt sends the same key.
 */
export const substitute = (parts: { url: string; headers: Record<string, string>; body?: ArrayBuffer; idempotencyKey?: string; json?: boolean | undefined }, refs: Record<string, Ref>, values: ReadonlyMap<string, Record<string, unknown>>): typeof parts | string => {
	const found = new Map<string, unknown>();
	for (const [placeholder, { entry, pointer }] of Object.entries(refs)) {
		const kept = values.get(entry);
		// A value with no JSON form (a BigInt, `undefined`: kept values read from storage, distrusted) is none held.
		if (!kept || !Object.hasOwn(kept, pointer) || !jsonForm(kept[pointer])) {
			return `The answer of ${entry} holds no value at ${pointer}`;
		}

		found.set(placeholder, kept[pointer]);
	}

	const stringOf = (value: unknown): string => typeof value === 'string' ? value : JSON.stringify(value);
	// Each placeholder read once, in one pass over the text: a value put in is never read again (one that reads like another
	// placeholder stays as it is). Its digits as far as a placeholder of `refs` has them (`…-1` then `0` is `…-1`'s, unless `…-10` is one too).
	// `objects`: an object or array becomes its JSON text (in a body), else it cannot go there (a URL, a header).
	const inText = (text: string, encode: (value: string) => string, objects = false): string | undefined => {
		let refused = false;
		const result = text.replace(inTexts, (match) => {
			const placeholder = knownIn(match, found);
			if (placeholder === undefined) {
				return match;
			}

			const value = found.get(placeholder);
			refused ||= isObject(value) && !objects;
			return encode(stringOf(value)) + match.slice(placeholder.length);
		});
		return refused ? undefined : result;
	};

	// URL-encoded as the URL parser and `URLSearchParams` encode text (its UTF-8 bytes: a lone surrogate, which a server's JSON
	// may hold and `encodeURIComponent` throws on, is U+FFFD's).
	const uriEncoded = (value: string): string => encodeURIComponent(value.replace(/\p{Cs}/gu, '\uFFFD'));
	const url = inText(parts.url, uriEncoded);
	if (url === undefined) {
		return 'An object or array cannot go in a URL';
	}

	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(parts.headers)) {
		const replaced = inText(value, (text) => text);
		// CR, LF or NUL, or a character beyond U+00FF (fetch takes a header value as bytes): not a header value.
		if (replaced === undefined || /[\0\n\r\u0100-\uffff]/.test(replaced)) {
			return `Not a header value: ${name}`;
		}

		headers[name] = replaced;
	}

	const idempotencyKey = parts.idempotencyKey && inText(parts.idempotencyKey, (text) => text);
	if (parts.idempotencyKey && !isPrintableId(idempotencyKey)) {
		return 'Not an Idempotency-Key';
	}

	let { body } = parts;
	const type = parts.headers['content-type'] ?? '';
	// JSON by its Content-Type, or given as `json` (`parts.json`) and sent as another type (`text/plain`, to keep a request simple).
	if (body && !parts.json && !/[/+]json\b/i.test(type)) {
		// Text, a form (its values form-encoded, byte for byte as `URLSearchParams` would send them) or a FormData's multipart body: read a byte a character, so every byte but
		// the placeholders' (ASCII) stays as it is; a value goes in as its UTF-8 bytes. A multipart body's file parts (those
		// whose head names a `filename`, outside its quoted names: a field named `a; filename=b` is text) are never read: replayed
		// byte-identical (API.md "Files"), only its text fields take values.
		// A text field takes a value as FormData serializes one (the multipart/form-data encoding): its line breaks CR LF, and
		// in its name (the part's head) those and quotes escaped (`%0D%0A`, `%22`): a server's value never breaks the part.
		const text = byteText(new Uint8Array(body));
		const form = /^application\/x-www-form-urlencoded\b/i.test(type);
		const boundary = /^multipart\/form-data\b.*;\s*boundary="?([^";\s]+)/i.exec(type)?.[1];
		const delimiter = `--${boundary}`;
		const utf8 = (value: string): string => byteText(new TextEncoder().encode(value));
		// A form's value as `URLSearchParams` (a form's own encoding) writes it: a space as `+`, `~!'()` encoded, a lone surrogate as U+FFFD.
		const formEncoded = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);
		const lines = (value: string): string => value.replace(/\r\n|\r|\n/g, '\r\n');
		const named = (value: string): string => lines(value).replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
		const result = (boundary ? text.split(delimiter) : [text]).map((part) => {
			const end = boundary ? part.indexOf('\r\n\r\n') : -1;
			if (boundary && /;\s*filename\*?=/i.test(part.slice(0, end).replace(/"[^"]*"/g, ''))) {
				return part;
			}

			return end < 0 ? inText(part, (value) => utf8(form ? formEncoded(value) : boundary ? lines(value) : value), true)!
				: inText(part.slice(0, end), (value) => utf8(named(value)), true)! + inText(part.slice(end), (value) => utf8(lines(value)), true)!;
		}).join(delimiter);
		if (result !== text) {
			body = Uint8Array.from(result, (char) => char.charCodeAt(0)).buffer;
		}
	} else if (body) {
		// In the text as the client's `stringifyJson` wrote it (a big integer keeps its digits, keys their order): a
		// placeholder is only ever inside a JSON string. A whole string value (its opening quote not escaped: after an
		// even run of backslashes), not a key, becomes the JSON value; in a longer string or a key, the value's string form.
		// A placeholder followed by digits (`${ref}7`) is in a longer string, as in a text.
		const inString = (match: string): string => {
			const placeholder = knownIn(match, found);
			return placeholder === undefined ? match : JSON.stringify(stringOf(found.get(placeholder))).slice(1, -1) + match.slice(placeholder.length);
		};
		const text = new TextDecoder().decode(body);
		const result = text.replace(inJson, (match, escapes: string | undefined, whole: string | undefined) =>
			whole === undefined ? inString(match)
			: !found.has(whole) || escapes!.length % 2 ? `${escapes}"${inString(whole)}"`
			: escapes + JSON.stringify(found.get(whole)));
		if (result !== text) {
			try {
				JSON.parse(result);
			} catch {
				return 'Its JSON body could not be read';
			}

			body = new TextEncoder().encode(result).buffer as ArrayBuffer;
		}
	}

	return { url, headers, ...body && { body }, ...idempotencyKey && { idempotencyKey } };
};
