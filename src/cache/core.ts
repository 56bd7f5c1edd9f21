import { sensitiveOf } from '../shared/sensitive-of.js';
import type { PolicyContext } from '../core/policy.js';
import { EntryStore } from './entry-store.js';
import { splitSensitive } from '../shared/sensitive.js';
import { Keyer } from './key.js';
import type { CacheMeta } from './record.js';
import type { ResolvedCacheOptions } from './resolve-options.js';
import { ageOf, staleResponse, type StaleReason } from './stale-response.js';

/** What the parts of one client's cache share. */
export class CacheCore {
	readonly context: PolicyContext;
	readonly options: ResolvedCacheOptions;
	readonly keyer: Keyer;
	readonly entries: EntryStore;
	/** Bumped by every invalidation and clear: a capture that started before one must not store. */
	epoch = 0;
	clearedAt = 0;
	/** The epoch of the latest `clear({ identity })`, by identity digest: a capture for it that started before must not store. */
	readonly clearedFor = new Map<string, number>();
	/** Latest invalidation epoch per URL (the last 64 URLs). */
	readonly invalidated = new Map<string, number>();

	constructor(context: PolicyContext, options: ResolvedCacheOptions) {
		this.context = context;
		this.options = options;
		this.keyer = new Keyer(context.name, new Set([...options.sensitive, ...sensitiveOf(context).headers]), sensitiveOf(context).params);
		this.entries = new EntryStore(context, options);
	}

	/** The primary key of a request, or undefined when its response is never stored (credentials in a shared cache). */
	async primary(request: Request, identity: string | undefined): Promise<string | undefined> {
		const subject = this.keyer.subject(request, identity);
		return subject.credentials !== undefined && this.options.shared ? undefined : await this.keyer.partition(subject) + subject.url;
	}

	/** The URL as keys and records hold it: sensitive query values removed. */
	redact(url: string): string {
		return splitSensitive(url, sensitiveOf(this.context).params).redacted;
	}

	/** The stored entry a request would get, without reading storage once the index is loaded. */
	async locate(request: Request, identity: string | undefined): Promise<CacheMeta | undefined> {
		const primary = await this.primary(request, identity);
		if (primary === undefined) {
			return undefined;
		}

		await this.entries.ready();
		const { index } = this.entries;
		return index.get(this.keyer.full(primary, index.varyOf(primary), request.headers));
	}

	/** Forget the stored copies of a URL (every partition and variant). */
	invalidate(rawUrl: string): Promise<unknown> {
		const url = this.redact(rawUrl);
		this.invalidated.delete(url);
		this.invalidated.set(url, ++this.epoch);
		if (this.invalidated.size > 64) {
			this.invalidated.delete(this.invalidated.keys().next().value!);
		}

		const drop = async () => this.entries.remove(this.entries.index.deleteWhere((meta) => meta.url === url), true);
		return this.entries.loaded ? drop() : this.entries.ready().then(drop);
	}

	/**
	 * Answer a request from its stored copy if it is usable until `limit` (`until` on failure,
	 * `swrUntil` for stale-while-revalidate). Expired entries are removed when met. Never rejects.
	 */
	async serve(request: Request, identity: string | undefined, method: string, reason: StaleReason, meta?: CacheMeta): Promise<Response | undefined> {
		try {
			meta ??= await this.locate(request, identity);
			if (!meta && reason !== 'revalidate') {
				await this.entries.reload();
				meta = await this.locate(request, identity);
			}

			const now = this.context.clock.now();
			if (!meta || now > (reason === 'revalidate' ? meta.swrUntil : meta.until)) {
				if (meta && now > meta.until) {
					void this.entries.remove([meta]);
				}

				return undefined;
			}

			const record = await this.entries.read(meta);
			if (!record) {
				return undefined;
			}

			this.entries.index.touch(meta.key);
			this.context.emit('cache:stale', { scope: this.context.scopeOf(record.url), method, url: record.url, reason, age: ageOf(record, now) });
			return staleResponse(record, method, reason, now);
		} catch {
			return undefined;
		}
	}
}
