import type { PolicyContext } from '../core/policy.js';
import { identityDigest, sha256 } from '../utils/digest.js';
import { sensitiveOf } from '../core/sensitive-of.js';
import { splitSensitive, withoutFragment } from '../utils/sensitive.js';
import type { CacheRecord } from './record.js';
import type { CacheState } from './state.js';

const ignore = (): undefined => undefined;

/** How many times a pattern occurs in a text. */
const count = (text: string, pattern: RegExp): number => text.split(pattern).length - 1;

/** The URL part of a key of the cache (`r:<identity digest>~<credentials digest>~<URL>`); undefined for another part's key in a shared store. */
export const urlOf = (key: string): string | undefined => /^r:\w*~\w*~(.*)/s.exec(key)?.[1];

/**
 * A URL's percent-encodings as RFC 3986 6.2.2 normalises them: an unreserved character's decoded (`%7E` is `~`), the
 * others' hex digits upper-cased (`%2f` is `%2F`, never `/`). Inlined in outbox/pending-writes.ts and dedupe/flight.ts (the dist's chunks).
 */
export const normalised = (url: string): string => url.includes('%') ? url.replace(/%[\da-f]{2}/gi, (code) => {
	const char = String.fromCharCode(Number.parseInt(code.slice(1), 16));
	return /[\w.~-]/.test(char) ? char : code.toUpperCase();
}) : url;

/**
 * A URL without its query, its fragment and the slashes that end its path, its percent-encodings
 * normalised (`normalised`): what the copies of a written URL, its collection or its parent path
 * share (`/todos/` is `/todos`, for an API whose paths end with a slash; `/todos/%7E` is `/todos/~`).
 */
export const pathOf = (url: string): string => {
	const at = url.search(/[?#]/);
	const path = normalised(at < 0 ? url : url.slice(0, at));
	// Its ending slashes counted back from the end (a pattern tried each run of slashes from each of its starts: a URL
	// of 40,000 slashes, a server's redirect, took 4 s); most paths end without one.
	let end = path.length;
	while (path[end - 1] === '/') {
		end--;
	}

	return path.slice(0, end);
};

/**
 * Whether a copy was stored before a write of its path, or of the path the origin finally answered it from (`final`: a
 * redirect's), was delivered (`CacheState.written`): it never answers, nor gives its validators.
 */
export const outdated = ({ written }: CacheState, { url, storedAt, final }: Pick<CacheRecord, 'url' | 'storedAt' | 'final'>): boolean =>
	storedAt < Math.max(written.get(pathOf(url)) ?? 0, (final && written.get(final)) || 0);

/**
 * The keys of stored copies. A key is `r:` + the digest of the call's identity (the one
 * `client.clear({ identity })` and the outbox know it by) + `~` + a SHA-256 of the client name and
 * the request's credentials (the values of its credential and `sensitiveHeaders` headers and of
 * its `sensitiveParams` query parameters; the raw URL too when one of those is decoded with loss; its
 * `credentials` mode when it is `omit` or `include`, not fetch's default `same-origin`) + `~` + the URL with those query values removed (and without
 * its fragment, which fetch never sends; its percent-encodings `normalised`); each
 * digest is empty when there is nothing to hash. Neither an identity nor a credential is ever part
 * of a key or a record. Digests once made are kept (the last 64 of each kind), as strings, never as promises:
 * a Worker's request never waits on another's.
 */
export const keys = (context: PolicyContext, manyUsers: boolean) => {
	const { headers: sensitive, params } = sensitiveOf(context);
	/** Made digests: of calls with credentials by `[identity, credentials]` as JSON; of the others (most calls), by identity alone. */
	const made = new Map<string | undefined, string>();
	const plain = new Map<string | undefined, string>();
	/** The last URL with a percent-encoding and its `normalised` spelling: a client's calls of one URL make it once. */
	let spelled: [string, string] = ['', ''];
	/** `<identity digest>~<credentials digest>`: a string once made, else a promise of it. */
	const partition = (identity: string | undefined, credentials: string): string | Promise<string> => {
		const memos = credentials === '' ? plain : made;
		const memo = credentials === '' ? identity : JSON.stringify([identity, credentials]);
		return memos.get(memo) ?? Promise.all([
			identity === undefined ? '' : identityDigest(context.name, identity),
			credentials && sha256(`${context.name}\n${credentials}`),
		]).then((digests) => {
			if (memos.size > 63) {
				memos.clear();
			}

			const joined = digests.join('~');
			memos.set(memo, joined);
			return joined;
		});
	};

	return {
		/** The prefix of the keys of an identity's copies (`r:<identity digest>~`). */
		who: async (identity: string | undefined): Promise<string> => `r:${await partition(identity, '')}`,
		/**
		 * The key of a request's copy: a string when its digests are known, else a promise of it;
		 * undefined when its response is never stored (credentials in a shared cache).
		 */
		of(request: Request, identity: string | undefined): string | Promise<string> | undefined {
			let credentials = '';
			for (const name of sensitive) {
				const value = request.headers.get(name);
				if (value !== null) {
					credentials += `${name}:${value}\n`;
				}
			}

			// The URL as fetch sends it: without its fragment (`/a#1` is `/a#2`), its percent-encodings as RFC 3986 6.2.2
			// normalises them (`/%7Eu` is `/~u`, `?a=%41` is `?a=A`, `/a%2fb` is `/a%2Fb`: one resource, one copy).
			let url = withoutFragment(request.url);
			if (url.includes('%')) {
				if (spelled[0] !== url) {
					spelled = [url, normalised(url)];
				}

				url = spelled[1];
			}

			const { found = '', redacted } = splitSensitive(url, params);
			// A sensitive value decoded with loss (`%FF` and `%FE` are both U+FFFD; one the URL spells `%EF%BF%BD` is not), or
			// holding a line break (`token=a%0Aaccess_token=b` is `token=a&access_token=b` in lines), or a `;` (`token=x%3Bpage%3D2`
			// is `token=x;page=2`, whose `;page=2` is cut with the value too): two users' tokens, or two resources, would be
			// one digest. The raw URL goes in too then; every other key stays as it was.
			const inValue = (pattern: RegExp): number => count(url, pattern) - count(redacted, pattern);
			credentials += found && (count(found, /\uFFFD/g) > inValue(/%EF%BF%BD/gi) || inValue(/%0A|%3B/gi) > 0) ? found + url : found;
			if (credentials && manyUsers) {
				return undefined;
			}

			// The credentials mode when it is not fetch's default: an `omit` call (no cookies) and an `include` one are two requests.
			const { credentials: mode } = request;
			const prefix = partition(identity, mode === 'omit' || mode === 'include' ? `${credentials}credentials:${mode}\n` : credentials);
			if (typeof prefix === 'string') {
				return `r:${prefix}~${redacted}`;
			}

			// A digest that fails (no `crypto.subtle`: a page over plain http) is reported (`storage:error`) by the write or serve that
			// awaits the key; one nobody awaits (an answer not copied, a deadline not reached) is no unhandled rejection.
			const key = prefix.then((done) => `r:${done}~${redacted}`);
			key.catch(ignore);
			return key;
		},
	};
};
