import { parseRetryAfter, resetMsOf } from '../utils/runtime.js';

/**
 * What a response says of the scope's quota: requests left, and when the window resets (ms from now); when it says
 * them, its limit (requests per window) and its window (ms).
 */
export interface ServerQuota {
	remaining: number;
	resetMs: number;
	limit?: number | undefined;
	windowMs?: number | undefined;
}

/** A non-negative number as a field writes it, else undefined; one too long for a double is `Infinity` (a reset the caller bounds, as a long one). */
const number = (text: string | undefined): number | undefined =>
	text !== undefined && /^\d+(?:\.\d+)?$/.test(text.trim()) ? Number(text) : undefined;

/** How restrictive a quota is, lower is more: a spent one before one with requests left, the later reset of two spent ones, else the fewer left. */
const rank = ({ remaining, resetMs }: ServerQuota): number => remaining < 1 ? -resetMs : remaining;

/**
 * A field's first KiB, whole items only; each quoted string (a policy name, which may hold any
 * separator) percent-encoded: still its name, with no separator in it.
 */
const clip = (field: string): string =>
	(field.length > 1024 ? field.slice(0, Math.max(0, field.lastIndexOf(',', 1024))) : field).replace(/"(?:[^"\\]|\\.)*"/g, (name) => encodeURIComponent(name));

/** A parameter of a policy item (`w`, `q`), else undefined (missing or malformed). */
const parameter = (item: string, name: string): number | undefined => number(new RegExp(`;\\s*${name}\\s*=([^;]*)`, 'i').exec(item)?.[1]);

/**
 * The window (`w`, in seconds) and quota (`q`) of each item of a `RateLimit-Policy` field by policy name: the
 * structured form's name (`"default";q=10;w=2`) or the first form's quota (`10;w=2`). Its first KiB; the first item
 * of a name counts; a malformed value is none.
 */
const policiesOf = (field: string | null): Map<string, [w: number | undefined, q: number | undefined]> =>
	new Map(clip(field ?? '').split(',').reverse().map((item) => [item.split(';')[0]!.trim(), [parameter(item, 'w'), parameter(item, 'q')]]));

/**
 * A `RateLimit` field read whole, each policy it lists, the most restrictive one kept: the draft's
 * structured form (`"burst";r=0;t=2, "daily";r=500;t=86400`) and its first form
 * (`limit=10, remaining=0, reset=2`, a policy per field line). Its first KiB is read, whole items
 * only; a malformed item is skipped. A policy without its reset (`t`, `reset`) is read with the
 * window of the `RateLimit-Policy` item of its name (`policy()`, read when first needed): the longest
 * it can take to reset; without one it says nothing. A reset past 10⁹ is epoch seconds, past 10¹² epoch ms (`resetMsOf`). The kept policy's limit is its `q` there, or the first
 * form's `limit`; its window, that item's `w`.
 */
const parseRateLimit = (field: string, policy: () => string | null, now: number): ServerQuota | undefined => {
	let found: ServerQuota | undefined;
	let policies: ReturnType<typeof policiesOf> | undefined;
	// r: remaining, t: reset (s), n: its name (the structured form's, or the first form's limit: its policy item's).
	let item: { r?: number | undefined; t?: number | undefined; n?: string } = {};
	const close = (): void => {
		const { r, n } = item;
		if (r !== undefined && n !== undefined) {
			policies ??= policiesOf(policy());
		}

		const [w, q] = (n !== undefined && policies?.get(n)) || [];
		const t = item.t ?? w;
		if (r !== undefined && t !== undefined) {
			const quota = { remaining: r, resetMs: resetMsOf(t, now), limit: q ?? number(n), windowMs: w === undefined ? w : w * 1000 };
			found = found && rank(found) <= rank(quota) ? found : quota;
		}

		item = {};
	};

	for (const member of clip(field).split(',')) {
		for (const [index, part] of member.split(';').entries()) {
			const [rawName = '', value] = part.split('=');
			const name = rawName.trim().toLowerCase();
			// A policy starts at a named item (structured form) or where a member repeats (first form).
			const key = name === 'remaining' || name === 'r' ? 'r' : name === 'reset' || name === 't' ? 't' : name === 'limit' ? 'n' : undefined;
			const named = index === 0 && value === undefined;
			if (named || (key && key in item)) {
				close();
			}

			if (named || key === 'n') {
				item.n = (value ?? rawName).trim();
			} else if (key) {
				item[key] = number(value);
			}
		}
	}

	close();
	return found;
};

/**
 * The server's view of its quota, read defensively from `RateLimit` (either form of the IETF
 * draft; a policy without its reset: with its `RateLimit-Policy` window), else `RateLimit-Remaining` + `RateLimit-Reset` (the
 * draft's earlier fields; and `RateLimit-Limit`), else `X-RateLimit-Remaining` + `X-RateLimit-Reset` (and `X-RateLimit-Limit`): every reset
 * seconds from now, or epoch seconds when past 10⁹, or epoch ms when past 10¹²; a field sent twice read whole, the most restrictive pair kept; and on 429/503 `Retry-After` (nothing left until then). Anything malformed is
 * ignored; the caller bounds the reset.
 */
export const serverQuota = (response: Response, now: number): ServerQuota | undefined => {
	const { headers, status } = response;
	if ((status === 429 || status === 503) && headers.has('retry-after')) {
		const waitMs = parseRetryAfter(headers.get('retry-after'), now);
		if (waitMs !== undefined) {
			return { remaining: 0, resetMs: waitMs };
		}
	}

	const rateLimit = headers.get('ratelimit');
	const parsed = rateLimit === null ? undefined : parseRateLimit(rateLimit, () => headers.get('ratelimit-policy'), now);
	if (parsed) {
		return parsed;
	}

	// Each field's values (a field sent twice, by the origin and a gateway, is one comma-joined value; its first KiB): the
	// n-th remaining with the n-th reset (the last one when fewer), the most restrictive pair kept; a malformed value, none.
	// The draft's earlier fields (`RateLimit-Remaining`) when the answer has them, else the `X-` ones.
	const prefix = headers.has('ratelimit-remaining') ? 'ratelimit-' : 'x-ratelimit-';
	const values = (name: string): string[] => clip(headers.get(prefix + name) ?? '').split(',');
	const resets = values('reset').map(number);
	const limits = values('limit');
	let found: ServerQuota | undefined;
	for (const [index, value] of values('remaining').entries()) {
		const remaining = number(value);
		const reset = resets[Math.min(index, resets.length - 1)];
		if (remaining === undefined || resets.includes(undefined)) {
			return undefined;
		}

		const quota = { remaining, resetMs: resetMsOf(reset!, now), limit: number(limits[index]) };
		found = found && rank(found) <= rank(quota) ? found : quota;
	}

	return found;
};
