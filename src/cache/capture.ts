import type { CacheCore } from './core.js';
import { planStore, varyNames, type Timing } from './policy.js';
import { readCapped, storedHeaders, type CacheRecord } from './record.js';

/**
 * Store a successful response behind the caller (write-behind). The body is read from `copy` — a
 * clone taken before the caller got the response, or the response itself when nobody else reads it
 * (a background refresh). A HEAD stores nothing new: it refreshes the headers and timing of the
 * stored GET copy, or drops that copy when its validators (`ETag`, `Last-Modified`) changed.
 */
export const store = async (core: CacheCore, request: Request, response: Response, copy: Response | undefined, startEpoch: number): Promise<void> => {
	const { context, options, keyer, entries } = core;
	const now = context.clock.now();
	const credentials = keyer.credentials(request.headers);
	const plan = planStore(request.headers, response, options, credentials !== undefined, now);
	const primary = plan === 'skip' ? undefined : await keyer.partition(credentials) + request.url;
	await entries.ready();
	const outdated = () => startEpoch < core.clearedAt || (core.invalidated.get(request.url) ?? 0) > startEpoch;
	if (primary === undefined || typeof plan === 'string' || outdated()) {
		void copy?.body?.cancel().catch(() => undefined);
		if (plan === 'purge') {
			await entries.remove(entries.index.deleteWhere((meta) => meta.primary === primary));
		}

		return;
	}

	const vary = varyNames(response.headers);
	const key = keyer.full(primary, vary, request.headers);
	let record: CacheRecord | undefined;
	if (copy) {
		const body = await readCapped(copy, Math.min(options.maxBodyBytes, options.maxBytes));
		if (body && !outdated()) {
			if (entries.index.varyOf(primary)?.join() !== vary.join()) {
				// Stored under other Vary names, older variants could no longer be found.
				void entries.remove(entries.index.deleteWhere((meta) => meta.primary === primary));
			}

			record = { v: 1, key, primary, url: request.url, storedAt: now, bytes: body.byteLength, vary, ...plan, status: response.status, statusText: response.statusText, headers: storedHeaders(response.headers), body };
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
