/** The client's events, turned into log lines and into the stale cache panel's entries and hits. */
import type { Client, EventMap, EventType } from 'steadfetch';
import { seconds, shortUrl } from './dom.js';
import { changed, log, model, type Tone } from './model.js';

const host = (scope: string): string => scope.replace(/^https?:\/\//, '');
const inMs = (at: number | undefined, time: number): string => (at === undefined ? '' : `, next in ${seconds(Math.max(0, at - time))}`);

type Describe<T extends EventType> = (event: EventMap[T]) => [text: string, tone: Tone];

const describe: { [T in EventType]: Describe<T> } = {
	'retry': (e) => [`${e.method} ${shortUrl(e.url)}: retry #${e.retryCount} after ${e.code}`, 'warn'],
	'budget:exhausted': (e) => [`${host(e.scope)}: retry budget spent (${e.retries}/${e.allowed} in the window), no more retries`, 'bad'],
	'breaker:open': (e) => [`${host(e.scope)}: breaker OPEN (${e.reason})${e.reopensAt === undefined ? '' : `, probe in ${seconds(Math.max(0, e.reopensAt - e.time))}`}`, 'bad'],
	'breaker:half-open': (e) => [`${host(e.scope)}: breaker half-open (${e.reason}), one probe may go`, 'warn'],
	'breaker:closed': (e) => [`${host(e.scope)}: breaker closed (${e.reason})`, 'good'],
	'cache:stored': (e) => [`stored ${shortUrl(e.url)} (${e.bytes} B)`, 'muted'],
	'cache:stale': (e) => [`served stale ${shortUrl(e.url)}, ${e.age} s old (${e.reason})`, 'warn'],
	'cache:superseded': (e) => [`dropped the copy of ${shortUrl(e.url)}: ${e.by.method} ${shortUrl(e.by.url)} was delivered`, 'muted'],
	'outbox:queued': (e) => [`queued ${e.method} ${shortUrl(e.url)} (${e.code ?? 'held'})`, 'info'],
	'outbox:sent': (e) => [`delivered ${e.method} ${shortUrl(e.url)} → ${e.status ?? '?'} (attempt ${e.attempts + 1})`, 'good'],
	'outbox:retry': (e) => [`replay of ${e.method} ${shortUrl(e.url)} failed (${e.code ?? '?'})${inMs(e.nextAttemptAt, e.time)}`, 'warn'],
	'outbox:dead': (e) => [`dead letter ${e.method} ${shortUrl(e.url)} (${e.deadReason ?? '?'})`, 'bad'],
	'outbox:conflict': (e) => [`conflict: ${e.method} ${shortUrl(e.url)} answered ${e.status ?? '?'} (the resource changed meanwhile)`, 'bad'],
	'outbox:superseded': (e) => [`superseded ${e.method} ${shortUrl(e.url)} by a later write`, 'muted'],
	'outbox:discarded': (e) => [`discarded ${e.method} ${shortUrl(e.url)}`, 'muted'],
	'outbox:waiting': (e) => [`${e.method} ${shortUrl(e.url)} waits for ${e.dependsOn?.length ?? 0} earlier write(s)`, 'info'],
	'storage:error': (e) => [`storage error: ${e.part} ${e.operation}: ${String((e.error as Error)?.message ?? e.error)}`, 'bad'],
	'bulkhead:rejected': (e) => [`${host(e.scope)}: bulkhead full (${e.running} running, ${e.queued} waiting), ${e.method} ${shortUrl(e.url)} refused`, 'bad'],
	'throttle:rejected': (e) => [`${host(e.scope)}: throttled (refusing ${Math.round(e.rejectRatio * 100)} %), ${e.method} ${shortUrl(e.url)} refused`, 'bad'],
	'failover': (e) => [`${e.method} ${shortUrl(e.url)}: answered by the mirror ${shortUrl(e.mirror)} (primary: ${e.code})`, 'warn'],
	'scope:unhealthy': (e) => [`${host(e.scope)}: unhealthy, ${Math.round(e.errorRate * 100)} % of ${e.calls} calls failed`, 'bad'],
	'scope:healthy': (e) => [`${host(e.scope)}: healthy again (${Math.round(e.errorRate * 100)} % failing)`, 'good'],
	'auth:refresh': (e) => [e.shared ? 'another tab refreshed the token' : `token refresh ${e.ok ? 'done' : 'FAILED'} in ${e.durationMs} ms`, e.ok ? 'info' : 'bad'],
	'hedge': (e) => [`${e.method} ${shortUrl(e.url)}: hedge #${e.hedge} sent (no answer yet)`, 'warn'],
	'attempt:start': (e) => [`${e.method} ${shortUrl(e.url)}: attempt ${e.attempt} (${e.requestId.slice(0, 8)})`, 'muted'],
	'attempt:end': (e) => [`${e.method} ${shortUrl(e.url)}: attempt ${e.attempt} → ${e.status ?? e.code ?? '?'} in ${e.durationMs ?? 0} ms`, 'muted'],
	'reachability': (e) => [`${host(e.scope)}: ${e.state} (was ${e.previous})`, e.state === 'reachable' ? 'good' : e.state === 'unknown' ? 'muted' : 'bad'],
	'scope:back': (e) => [`${host(e.scope)} answers again (${e.status})`, 'good'],
	'write:delivered': (e) => [`${e.method} ${shortUrl(e.url)} was delivered${e.remote ? ' (in another tab)' : ''}`, 'muted'],
	'ratelimit:wait': (e) => [`${host(e.scope)}: ${e.method} ${shortUrl(e.url)} waits ${seconds(e.waitMs)} for the ${e.reason === 'server' ? 'server\'s' : 'client\'s'} rate limit`, 'warn'],
};

/** Subscribe to every event of `client`. */
export const watchEvents = (client: Client): void => {
	for (const type of Object.keys(describe) as EventType[]) {
		client.on(type, (event) => {
			const [text, tone] = (describe[type] as Describe<typeof type>)(event);
			log(type, text, tone, event.time);
		});
	}

	client.on('cache:stored', ({ url, bytes, time }) => {
		const entry = model.cache.get(url);
		model.cache.set(url, { url, bytes, storedAt: time, hits: entry?.hits ?? 0, ...(entry?.lastReason ? { lastReason: entry.lastReason } : {}) });
		changed();
	});
	// What IndexedDB holds, whichever tab stored it: the panel lists it too (`client.cache.list()`).
	const sync = async (): Promise<void> => {
		let added = false;
		for (const { url, bytes, storedAt } of await client.cache.list()) {
			if (!model.cache.has(url)) {
				model.cache.set(url, { url, bytes, storedAt, hits: 0 });
				added = true;
			}
		}

		if (added) {
			changed();
		}
	};

	void sync();
	setInterval(() => void sync(), 2_000);
	client.on('cache:stale', ({ url, reason, age, time }) => {
		const entry = model.cache.get(url) ?? { url, bytes: 0, storedAt: time - age * 1000, hits: 0 };
		entry.hits++;
		entry.lastReason = reason;
		model.cache.set(url, entry);
		changed();
	});
};
