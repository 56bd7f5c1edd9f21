import { sha256 } from '../utils/digest.js';

/** The most digests a `digests()` keeps; past it they are computed again. */
const maxDigests = 1000;

/**
 * SHA-256 of a text, each kept once computed (at most `maxDigests`, then forgotten all at once): a
 * fleet's key is asked on every sync of its scope and computed once. The digest is kept, never the
 * pending promise (in workerd a promise of one request may not be awaited by another).
 */
export const digests = (): ((text: string) => Promise<string>) => {
	const known = new Map<string, string>();
	return async (text) => {
		const kept = known.get(text);
		if (kept !== undefined) {
			return kept;
		}

		const digest = await sha256(text);
		if (known.size >= maxDigests) {
			known.clear();
		}

		known.set(text, digest);
		return digest;
	};
};

const fleetDigest = digests();

/**
 * What the Durable Object and Deno KV coordinators keep a fleet's state of one scope under (the
 * object's name, the KV key): a SHA-256 of the client's `name` and the scope, so clients of
 * different names never share a scope's breaker or throttle, and neither the name nor the scope's
 * URL is in a key (a Durable Object's name is visible to the object, `ctx.id.name`). Computed once
 * per name and scope (`digests`).
 */
export const fleetKey = async (name: string, scope: string): Promise<string> => fleetDigest(JSON.stringify(['steadfetch fleet', name, scope]));
