import { splitSensitive } from '../utils/sensitive.js';
import { copyable, unmatchable, varyNames, type Timing } from './copy-plan.js';

/**
 * A stored copy: a plain, versioned, structured-clonable object, under the key
 * `r:<identity digest>~<credentials digest>~<URL>` (see `keys.ts`).
 */
export interface CacheRecord extends Timing {
	v: 2;
	/** The request URL, sensitive query values removed. */
	url: string;
	/** When it arrived (epoch ms, injected clock). */
	storedAt: number;
	status: number;
	statusText: string;
	/** Response headers, without cookies, credentials and what no longer describes the stored body. */
	headers: [string, string][];
	/** The request headers the response's `Vary` names (credential headers aside: the partition holds them), as they were. */
	vary: [string, string | null][];
	body: ArrayBuffer;
}

/**
 * Whether fetch takes what a record holds: its headers, the names (and values) of the request headers
 * its Vary named, its status text. One it refuses would fail every serve of it.
 */
const fetchTakes = ({ status, statusText, headers, vary }: CacheRecord): boolean => {
	try {
		return new Response(null, { status, statusText, headers: [...headers, ...vary.map(([name, value]): [string, string] => [name, value ?? ''])] }).ok;
	} catch {
		return false;
	}
};

/** Whether `list` is a list of name-value pairs of strings (`vary`: a value may be `null`, a header the request had not). */
const pairs = (list: unknown, vary?: boolean): boolean =>
	Array.isArray(list) && list.every((pair) => Array.isArray(pair) && pair.length === 2 && [pair[0], vary && pair[1] === null ? '' : pair[1]].every((text) => typeof text === 'string'));

/**
 * Whether a value read from storage is a record this version can serve (another tab, an older build
 * or a broken store may have written it): of the shape `write` gives (a freshness lifetime in whole
 * seconds, at most 2^31; made no later than stored, by at most 2^31 s; strings where it writes strings, which fetch would take anything
 * for), and one fetch takes.
 */
export const isRecord = (value: unknown): value is CacheRecord => {
	const record = value as Partial<CacheRecord> | undefined;
	return record?.v === 2 && typeof record.url === 'string' && typeof record.statusText === 'string'
		&& [record.storedAt, record.born, record.until].every(Number.isFinite)
		// Made before it arrived, by an Age an answer gives (at most 2^31 s, as its lifetime): else its Age and ttl would call any copy new, or
		// be no whole seconds (`Age: 1e+297`).
		&& record.born! <= record.storedAt! && record.storedAt! - record.born! <= 2 ** 31 * 1000
		&& Number.isSafeInteger(record.lifetime) && record.lifetime! >= 0 && record.lifetime! <= 2 ** 31
		&& copyable(record.status!) // Only the statuses a copy is taken of are stored.
		&& pairs(record.headers) && pairs(record.vary, true)
		&& Object.prototype.toString.call(record.body) === '[object ArrayBuffer]'
		&& fetchTakes(record as CacheRecord);
};

/**
 * Whether a record is not one `write` gives (copy.ts), so never served: it holds a header the cache never stores
 * (`sensitive`: the credential headers, `Set-Cookie` and `Set-Cookie2` included, and the client's `sensitiveHeaders`),
 * among its headers or its Vary's, or a Vary value with a sensitive query value (`params`; the cache keeps them
 * without: copy.ts `varied`); or its Vary is one no request is matched against (`Vary: *`, a member that is no field
 * name: `copyPlan` keeps no copy of it), or names a header (not a sensitive one) whose request value it does not keep.
 */
export const foreign = ({ headers, vary }: CacheRecord, sensitive: ReadonlySet<string>, params: ReadonlySet<string>): boolean =>
	[...headers, ...vary].some(([name]) => sensitive.has(name.toLowerCase())) || vary.some(([, value]) => value !== null && splitSensitive(value, params).redacted !== value)
	|| headers.some(([name, value]) => /^vary$/i.test(name) && (unmatchable.test(value) || varyNames(value, sensitive).some((named) => !vary.some(([kept]) => kept === named))));
