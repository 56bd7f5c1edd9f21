import type { CacheCore } from './core.js';
import { planStore, varyNames, type Timing } from './policy.js';
import { readCapped, storedHeaders, type CacheRecord } from './record.js';

/** How long a GET copy stands for the same response arriving again (see `CacheOptions`), in ms. */
export const coalesceMs = 1000;

/**
 * Store a successful GET or HEAD response behind the caller (write-behind). The body is read from a
 * clone taken at once, before the caller gets the response, or from the response itself when
 * nobody else reads it (`clone` false: a background refresh). A HEAD stores nothing new: it
 * refreshes the headers and timing of the stored GET copy, or drops that copy when its validators
 * (`ETag`, `Last-Modified`) changed. A `Content-Length` over `maxBodyBytes` is skipped uncopied.
 *
 * Write coalescing: a GET is not written, and emits no `cache:stored`, when its key (URL, credential
 * partition, `Vary` values) was stored, or is being written, less than `coalesceMs` ago (injected
 * clock) with the same signature: body size and `Cache-Control`, `Expires`, `Age`, `ETag`,
 * `Last-Modified` (so the same timing relative to its arrival). A copy is thus never more than
 * `coalesceMs` older than the latest response. It is told at once, with no clone and no parsing,
 * when `Content-Length` gives the size and the credential partition is hashed already; else once
 * the copy is read.
 */
export const store = async (core: CacheCore, request: Request, response: Response, clone: boolean, startEpoch: number): Promise<void> => {
	const { context, options, keyer, entries } = core;
	const { headers } = response;
	const { index } = entries;
	const now = context.clock.now();
	const credentials = keyer.credentials(request.headers);
	const vary = varyNames(headers);
	const get = request.method === 'GET';
	/** True when a GET with this primary key and body size repeats (see above), else its signature. */
	const repeats = (primary: string, bytes: number): string | true => {
		const meta = index.get(keyer.full(primary, vary, request.headers));
		const sig = [bytes, ...['cache-control', 'expires', 'age', 'etag', 'last-modified'].map((name) => headers.get(name))].join('\n');
		return (meta?.sig === sig && now >= meta.storedAt && now - meta.storedAt < coalesceMs) || sig;
	};

	// A shared cache never stores a credentialed request's response, so it has nothing to purge either.
	const partition = credentials !== undefined && options.shared ? undefined : keyer.partition(credentials);
	const length = headers.get('content-length');
	const plan = partition === undefined || Number(length) > options.maxBodyBytes
		|| (get && typeof partition === 'string' && length && repeats(partition + request.url, Number(length)) === true)
		? 'skip'
		: planStore(request.headers, response, options, now);
	const copy = !get ? undefined : !clone ? response : typeof plan === 'object' ? response.clone() : undefined;
	const primary = plan === 'skip' ? undefined : await partition + request.url;
	await entries.ready();
	const outdated = () => startEpoch < core.clearedAt || (core.invalidated.get(request.url) ?? 0) > startEpoch;
	if (primary === undefined || typeof plan === 'string' || outdated()) {
		void copy?.body?.cancel().catch(() => undefined);
		if (plan === 'purge') {
			await entries.remove(index.deleteWhere((meta) => meta.primary === primary), true);
		}

		return;
	}

	const key = keyer.full(primary, vary, request.headers);
	let record: CacheRecord | undefined;
	let sig: string | true | undefined;
	if (copy) {
		const body = await readCapped(copy, Math.min(options.maxBodyBytes, options.maxBytes));
		sig = body && repeats(primary, body.byteLength);
		if (body && sig !== true && !outdated()) {
			if (index.varyOf(primary)?.join() !== vary.join()) {
				// Stored under other Vary names, older variants could no longer be found.
				void entries.remove(index.deleteWhere((meta) => meta.primary === primary));
			}

			record = { v: 1, key, primary, url: request.url, storedAt: now, bytes: body.byteLength, vary, ...plan, status: response.status, statusText: response.statusText, headers: storedHeaders(headers), body, sig };
		}
	} else {
		record = await freshened(core, key, response, plan, now);
	}

	if (record && await entries.put(record)) {
		context.emit('cache:stored', { scope: context.scopeOf(record.url), method: copy ? 'GET' : 'HEAD', url: record.url, bytes: record.bytes });
	}
};

const freshened = async (core: CacheCore, key: string, response: Response, plan: Timing, now: number): Promise<CacheRecord | undefined> => {
	const meta = core.entries.index.get(key);
	const record = meta && await core.entries.read(meta);
	if (!record) {
		return undefined;
	}

	const headers = new Headers(record.headers);
	for (const name of ['etag', 'last-modified']) {
		const value = response.headers.get(name);
		if (value !== null && headers.has(name) && headers.get(name) !== value) {
			await core.entries.remove([record]);
			return undefined;
		}
	}

	for (const [name, value] of storedHeaders(response.headers)) {
		headers.set(name, value);
	}

	return { ...record, ...plan, storedAt: now, headers: storedHeaders(headers) };
};
