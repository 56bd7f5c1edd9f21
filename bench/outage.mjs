// Time to an answer when the origin is down (Node): ky vs steadfetch holding a warm stale copy, for
// a hanging origin (accepts, never answers) and a refusing one (connection refused). Both clients
// get the same settings: timeout 1,000 ms per attempt, retry.limit 2, 20 ms between attempts,
// no jitter, retry on timeout. steadfetch keeps its defaults otherwise (breaker opens after 5
// consecutive failures, retry budget, stale cache in memoryStore).
//
// "first call" is the first call after the origin went down; "next" are the calls after it, one
// after another. ky keeps no state between calls, so fewer ky calls are timed to keep the bench
// short (printed): on the refusing origin 200 in sequence; on the hanging origin, where each ky call
// takes timeout × attempts ≈ 3 s whatever else runs, 32 calls 16 at a time.
import ky from 'ky';
import { steadfetch } from './lib/library.mjs';

const { createClient, isStale, memoryStore } = steadfetch;
import { quick, writeResult } from './lib/args.mjs';
import { driveTimed, sleep } from './lib/drive.mjs';
import { round, summarize } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

const settings = { timeout: 1000, retry: { limit: 2, delay: () => 20, jitter: false, retryOnTimeout: true } };
const warmUrls = 100;
const next = quick ? 200 : 1000;
const kyNext = { hang: { calls: quick ? 16 : 32, concurrency: 16 }, refuse: { calls: quick ? 50 : 200, concurrency: 1 } };

const origin = await startOrigin({ bodyBytes: 256 });
const urlOf = (index) => `${origin.url}/item/${index % warmUrls}`;

const describe = (outcomes) => {
	const counts = {};
	for (const outcome of outcomes) {
		counts[outcome] = (counts[outcome] ?? 0) + 1;
	}

	return Object.entries(counts).map(([outcome, count]) => `${count} ${outcome}`).join(', ');
};

const scenario = async (mode) => {
	await origin.setMode('up');
	const kyClient = ky.create(settings);
	const api = createClient({ ...settings, name: `bench-outage-${mode}`, store: memoryStore });
	let stored = 0;
	api.on('cache:stored', () => {
		stored++;
	});
	// Warm both (connections, JIT) and fill steadfetch's stale cache.
	for (let index = 0; index < warmUrls; index++) {
		await Promise.all([kyClient.get(urlOf(index)).json(), api.get(urlOf(index)).json()]);
	}

	for (let wait = 0; stored < warmUrls && wait < 100; wait++) {
		await sleep(10);
	}

	await origin.setMode(mode);
	const kyCall = async (index) => {
		await kyClient.get(urlOf(index)).json();
		return 'answered';
	};

	const sfCall = async (index) => {
		const response = await api.get(urlOf(index));
		await response.json();
		return isStale(response) ? `stale (${/detail=([\w-]+)/.exec(response.headers.get('cache-status'))?.[1]})` : 'fresh';
	};

	const kyFirst = await driveTimed(1, 1, kyCall);
	const kyRest = await driveTimed(kyNext[mode].calls, kyNext[mode].concurrency, async (index) => kyCall(index + 1));
	const sfFirst = await driveTimed(1, 1, sfCall);
	const sfRest = await driveTimed(next, 1, async (index) => sfCall(index + 1));
	const breaker = api.breaker(origin.url).state;
	api.close();
	return {
		mode,
		ky: { first: round(kyFirst.durations[0]), firstOutcome: kyFirst.outcomes[0], next: summarize(kyRest.durations), nextCalls: kyRest.durations.length, concurrency: kyNext[mode].concurrency, outcomes: describe(kyRest.outcomes) },
		steadfetch: { first: round(sfFirst.durations[0]), firstOutcome: sfFirst.outcomes[0], next: summarize(sfRest.durations), nextCalls: sfRest.durations.length, concurrency: 1, outcomes: describe(sfRest.outcomes), breakerAfter: breaker },
	};
};

const results = [];
for (const mode of ['hang', 'refuse']) {
	results.push(await scenario(mode));
}

await origin.close();

const ms = (value) => round(value);
const rows = [];
for (const result of results) {
	for (const name of ['ky', 'steadfetch']) {
		const row = result[name];
		rows.push([
			result.mode === 'hang' ? 'hanging' : 'refusing',
			name,
			ms(row.first),
			row.firstOutcome,
			`${row.nextCalls}${row.concurrency > 1 ? ` (${row.concurrency} at a time)` : ''}`,
			ms(row.next.median),
			ms(row.next.p99),
			ms(row.next.max),
			row.outcomes,
		]);
	}
}

section(
	'Time to an answer with the origin down (ms; timeout 1,000 ms, retry.limit 2, 20 ms delay, no jitter, for both)',
	table(['origin', 'client', 'first call', 'first answer', 'next calls', 'next median', 'next p99', 'next max', 'next answers'], rows),
	[
		`ky keeps no state between calls, so fewer ky calls are timed: ${kyNext.refuse.calls} in sequence on the refusing origin, ${kyNext.hang.calls} (${kyNext.hang.concurrency} at a time) on the hanging one, where each takes ≈ 3 attempts × 1 s. steadfetch: ${next} in sequence.`,
		`steadfetch breaker after the run: ${results.map((result) => `${result.mode} → ${result.steadfetch.breakerAfter}`).join(', ')}.`,
	],
);

writeResult({
	name: 'outage',
	settings: { timeoutMs: settings.timeout, retry: { limit: 2, delayMs: 20, jitter: false, retryOnTimeout: true }, warmUrls, next, kyNext },
	results: results.map((result) => ({
		...result,
		ky: { ...result.ky, next: Object.fromEntries(Object.entries(result.ky.next).map(([key, value]) => [key, round(value)])) },
		steadfetch: { ...result.steadfetch, next: Object.fromEntries(Object.entries(result.steadfetch.next).map(([key, value]) => [key, round(value)])) },
	})),
});
