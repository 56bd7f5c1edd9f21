/**
 * Cache keys. A key is the request URL, prefixed by a credential partition when the request has
 * credentials, then, when the stored response has a `Vary`, the values of the request headers it
 * names. A partition is a SHA-256 of the client name and the credential headers' values: the values
 * themselves are never part of a key or a record. A `Vary` on a credential header adds nothing to
 * the key (the partition already separates it) so its value is not stored either.
 */
export class Keyer {
	readonly #name: string;
	readonly #sensitive: ReadonlySet<string>;
	/** Recent partitions by credential string (the hash once known), so repeated calls with one token hash once. */
	readonly #memo = new Map<string, Promise<string> | string>();

	constructor(name: string, sensitive: ReadonlySet<string>) {
		this.#name = name;
		this.#sensitive = sensitive;
	}

	/** The credential headers of a request as one string, or undefined when it has none. */
	credentials(headers: Headers): string | undefined {
		let found: string | undefined;
		for (const name of this.#sensitive) {
			const value = headers.get(name);
			if (value !== null) {
				found = `${found ?? ''}${name}:${value}\n`;
			}
		}

		return found;
	}

	/**
	 * The partition prefix of a key: `''` without credentials, else `~<sha-256 hex>~` — a string
	 * at once when hashed recently, else a promise of it.
	 */
	partition(credentials: string | undefined): string | Promise<string> {
		if (credentials === undefined) {
			return '';
		}

		let hash = this.#memo.get(credentials);
		if (hash === undefined) {
			if (this.#memo.size >= 16) {
				this.#memo.delete(this.#memo.keys().next().value!);
			}

			hash = crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${this.#name}\n${credentials}`)).then((digest) => {
				const value = `~${[...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}~`;
				this.#memo.set(credentials, value);
				return value;
			});
			hash.catch(() => this.#memo.delete(credentials));
			this.#memo.set(credentials, hash);
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
