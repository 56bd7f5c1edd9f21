import { storageError } from '../shared/deadline.js';
import type { CacheCore } from './core.js';
import { identityDigest } from '../shared/digest.js';
import { planStore, varyNames, type Plan, type Timing } from './policy.js';
import { readCapped, storedResponseHeaders, type CacheRecord } from './record.js';

/** How long a GET copy stands for the same response arriving again (see `CacheOptions`), in ms. */
export const coalesceMs = 1000;

/**
 * Store a successful GET or HEAD response behind the caller (write-behind), from a clone taken at
 * once, before ky or the caller can read the body. Returns undefined, having done nothing else, when
 * there is nothing to store; else the promise of the write. A HEAD stores nothing new: it
 * refreshes the headers and timing of the stored GET copy, or drops that copy when its validators
 * (`ETag`, `Last-Modified`) changed. A `Content-Length` over `maxBodyBytes` is skipped uncopied.
 *
 * Write coalescing: a GET is not written, and emits no `cache:stored`, when its key (URL, credential
 * partition, `Vary` values) was stored, or is being written, less than `coalesceMs` ago (injected
 * clock) with the same signature: body size and `Cache-Control`, `Expires`, `Age`, `ETag`,
 * `Last-Modified` (so the same timing relative to its arrival). A copy is thus never more than
 * `coalesceMs` older than the latest response. It is told at once, with no clone, no parsing and no
 * promise, when `Content-Length` gives the size and the credential partition is hashed already;
 * else once the copy is read.
 */
const isOk = (response: Response | undefined): boolean => response?.ok === true;
const refused = (): boolean => false;

/** A body at most this long (by `Content-Length`) is read once and handed on as bytes, instead of teed. */
export const bufferedBytes = 65_536;

/**
 * What to hand on after `store()`: the response itself, or — when a small GET body was read once
 * for the copy — a response made from the same bytes (a tee of the stream costs more than the read).
 */
type Handed = Response | Promise<Response>;

export const store = (core: CacheCore, request: Request, identity: string | undefined, response: Response, startEpoch: number, network: Promise<Response> | undefined): Handed => {
	const { options, keyer } = core;
	const { headers } = response;
	const now = core.context.clock.now();
	const subject = keyer.subject(request, identity);
	// A shared cache never stores a credentialed request's response, so it has nothing to purge either.
	const partition = subject.credentials !== undefined && options.shared ? undefined : keyer.partition(subject);
	const length = headers.get('content-length');
	if (partition === undefined || Number(length) > options.maxBodyBytes) {
		return response;
	}

	const get = request.method === 'GET';
	const vary = varyNames(headers);
	if (get && typeof partition === 'string' && length
		&& recent(core, keyer.full(partition + subject.url, vary, request.headers), now)?.sig === signatureOf(headers, Number(length))) {
		return response;
	}

	const plan = planStore(request.headers, response, options, now);
	const pending = { partition, url: subject.url, identity, vary, now, startEpoch, network };
	const report = (error: unknown): void => {
		storageError(core.context, 'cache', 'set', error, request.url);
	};
	if (!get || typeof plan !== 'object' || !response.body) {
		write(core, request, response, undefined, plan, pending).catch(report);
		return response;
	}

	if (length === null || Number(length) > bufferedBytes) {
		write(core, request, response, response.clone(), plan, pending).catch(report);
		return response;
	}

	return response.arrayBuffer().then((bytes) => {
		write(core, request, response, bytes, plan, pending).catch(report);
		return rebuilt(response, bytes);
	});
};

/** A response with the status, headers, URL and redirect flag of `response` and these bytes as its body. */
const rebuilt = (response: Response, bytes: ArrayBuffer): Response => {
	const copy = new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
	Object.defineProperties(copy, { url: { value: response.url }, redirected: { value: response.redirected } });
	return copy;
};

/** The write-coalescing signature of a response whose body has `bytes` bytes: one string, no arrays (it is made for nearly every GET). */
const signatureOf = (headers: Headers, bytes: number): string =>
	`${bytes}\n${headers.get('cache-control') ?? ''}\n${headers.get('expires') ?? ''}\n${headers.get('age') ?? ''}\n${headers.get('etag') ?? ''}\n${headers.get('last-modified') ?? ''}`;

/** The copy stored (or being written) under `key` less than `coalesceMs` before `now`, if any. */
const recent = (core: CacheCore, key: string, now: number) => {
	const meta = core.entries.index.get(key);
	return meta && now >= meta.storedAt && now - meta.storedAt < coalesceMs ? meta : undefined;
};

interface Pending {
	partition: string | Promise<string>;
	/** The request URL without sensitive query values. */
	url: string;
	identity: string | undefined;
	vary: string[];
	now: number;
	startEpoch: number;
	/** The call's run: a copy is written once it resolved with ky's response (the caller's `afterResponse` hooks accepted it). */
	network: Promise<Response> | undefined;
}

const write = async (core: CacheCore, request: Request, response: Response, copy: Response | ArrayBuffer | undefined, plan: Plan, { partition, url, identity, vary, now, startEpoch, network }: Pending): Promise<void> => {
	const { context, options, keyer, entries } = core;
	const { index } = entries;
	const primary = plan === 'skip' ? undefined : await partition + url;
	const who = identity === undefined ? undefined : await identityDigest(context.name, identity);
	await entries.ready();
	if (network && !await network.then(isOk, refused)) {
		cancel(copy);
		return;
	}

	const outdated = () => startEpoch < core.clearedAt || (core.invalidated.get(url) ?? 0) > startEpoch
		|| (who !== undefined && (core.clearedFor.get(who) ?? 0) > startEpoch);
	if (primary === undefined || typeof plan === 'string' || outdated()) {
		cancel(copy);
		if (plan === 'purge') {
			await entries.remove(index.deleteWhere((meta) => meta.primary === primary), true);
		}

		return;
	}

	const key = keyer.full(primary, vary, request.headers);
	let record: CacheRecord | undefined;
	if (copy) {
		const max = Math.min(options.maxBodyBytes, options.maxBytes);
		const body = copy instanceof ArrayBuffer ? (copy.byteLength <= max ? copy : undefined) : await readCapped(copy, max);
		const sig = body && signatureOf(response.headers, body.byteLength);
		if (body && sig && recent(core, key, now)?.sig !== sig && !outdated()) {
			const known = index.varyOf(primary);
			if (known && known.join() !== vary.join()) {
				// Stored under other Vary names, older variants could no longer be found.
				void entries.remove(index.deleteWhere((meta) => meta.primary === primary));
			}

			record = { v: 1, key, primary, url, ...(who === undefined ? {} : { who }), storedAt: now, bytes: body.byteLength, vary, ...plan, status: response.status, statusText: response.statusText, headers: storedResponseHeaders(response.headers), body, sig };
		}
	} else {
		record = await freshened(core, key, response, plan, now);
	}

	if (record && await entries.put(record)) {
		context.emit('cache:stored', { scope: context.scopeOf(record.url), method: copy ? 'GET' : 'HEAD', url: record.url, bytes: record.bytes });
	}
};

const cancel = (copy: Response | ArrayBuffer | undefined): void => {
	if (copy instanceof Response) {
		void copy.body?.cancel().catch(() => undefined);
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

	for (const [name, value] of storedResponseHeaders(response.headers)) {
		headers.set(name, value);
	}

	return { ...record, ...plan, storedAt: now, headers: storedResponseHeaders(headers) };
};
