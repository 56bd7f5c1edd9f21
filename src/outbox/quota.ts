import { within } from '../utils/within.js';

/**
 * The storage quota (API.md "Offline writes for real apps"): the outbox never stores a write that
 * would leave less than 10 % of `navigator.storage.estimate()`'s quota free.
 */

/**
 * A body of at least this many bytes is checked against the quota before it is stored (64 KiB).
 * Smaller ones are not: they cannot move the quota much, and the estimate (an IPC to the browser)
 * would cost every queued JSON write; the store's own quota error still stops them
 * (`storage:error`, kept in memory).
 */
const quotaFromBytes = 65_536;

interface StorageManagerLike {
	estimate?: () => Promise<{ usage?: unknown; quota?: unknown }>;
}

/**
 * Whether storing `bytes` more would leave less than 10 % of the quota free (`usage + more + bytes >
 * 0.9 × quota`; `more`: the writes being stored meanwhile, which the estimate may not count yet), as
 * `navigator.storage.estimate()` tells within `ms`. False — the check skipped —
 * for a body under `quotaFromBytes`, where there is no estimate (Node, workerd), and when it fails,
 * is late, or answers what is no usage and quota (distrusted: finite, non-negative, a quota above 0).
 */
export const overQuota = async (bytes: number, ms: number, more = 0): Promise<boolean> => {
	const storage = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage;
	if (bytes < quotaFromBytes || typeof storage?.estimate !== 'function') {
		return false;
	}

	try {
		const estimate = await within(storage.estimate(), ms);
		const usage = estimate?.usage;
		const quota = estimate?.quota;
		return typeof usage === 'number' && typeof quota === 'number' && usage >= 0 && quota > 0 && Number.isFinite(usage + quota) && usage + more + bytes > 0.9 * quota;
	} catch {
		return false;
	}
};
