import { sha256 } from '../shared/digest.js';
import { splitSensitive } from '../shared/sensitive.js';

/** What a request is keyed by, before hashing: see `Keyer.subject`. */
export interface Subject {
	/** The URL with the values of sensitive query parameters removed: what keys and records hold. */
	url: string;
	/** Credential headers and sensitive parameters as one string; undefined when the request has none. */
	credentials: string | undefined;
	/** The call's identity (never stored: only its digest). */
	identity: string | undefined;
}

/**
 * Cache keys. A key is the request URL (sensitive query values removed), prefixed by a partition
 * when the request has credentials or the call an identity, then, when the stored response has a
 * `Vary`, the values of the request headers it names. A partition is a SHA-256 of the client name,
 * the identity, the credential headers' values and the sensitive parameters' values: none of them is
 * ever part of a key or a record. A `Vary` on a credential header adds nothing to the key (the
 * partition already separates it) so its value is not stored either.
 */
export class Keyer {
	readonly #name: string;
	readonly #sensitive: ReadonlySet<string>;
	readonly #params: ReadonlySet<string>;
	/** Recent partitions by credential string (the hash once known), so repeated calls with one token hash once. */
	readonly #memo = new Map<string, Promise<string> | string>();

	constructor(name: string, sensitive: ReadonlySet<string>, params: ReadonlySet<string>) {
		this.#name = name;
		this.#sensitive = sensitive;
		this.#params = params;
	}

	/** What a request is keyed by: its redacted URL, its credentials, the call's identity. */
	subject(request: Request, identity: string | undefined): Subject {
		let credentials: string | undefined;
		const { headers } = request;
		for (const name of this.#sensitive) {
			const value = headers.get(name);
			if (value !== null) {
				credentials = `${credentials ?? ''}${name}:${value}\n`;
			}
		}

		const { found, redacted } = splitSensitive(request.url, this.#params);
		if (found !== undefined) {
			credentials = `${credentials ?? ''}${found}`;
		}

		return { url: redacted, credentials, identity };
	}

	/**
	 * The partition prefix of a key: `''` without credentials or identity, else `~<sha-256 hex>~` —
	 * a string at once when hashed recently, else a promise of it.
	 */
	partition({ credentials, identity }: Subject): string | Promise<string> {
		if (credentials === undefined && identity === undefined) {
			return '';
		}

		const memoKey = `${identity ?? ''}\u0000${credentials ?? ''}`;
		let hash = this.#memo.get(memoKey);
		if (hash === undefined) {
			if (this.#memo.size >= 16) {
				this.#memo.delete(this.#memo.keys().next().value!);
			}

			hash = sha256(`${this.#name}\n${identity === undefined ? '' : `identity:${identity}`}\n${credentials ?? ''}`).then((hex) => {
				const value = `~${hex}~`;
				this.#memo.set(memoKey, value);
				return value;
			});
			hash.catch(() => this.#memo.delete(memoKey));
			this.#memo.set(memoKey, hash);
		}

		return hash;
	}

	/** The full key: the primary key (partition + URL) and the values of the headers `vary` names. */
	full(primary: string, vary: readonly string[] | undefined, headers: Headers): string {
		if (!vary?.length) {
			return primary;
		}

		return primary + vary.map((name) => `\n${name}=${this.#sensitive.has(name) ? '' : headers.get(name)?.trim() ?? '\u0000'}`).join('');
	}
}
