/** One card per origin: the breaker's state (shared by every tab), the time until half-open, and the counters. */
import type { BreakerSnapshot } from 'steadfetch';
import { client } from '../client.js';
import { countdown, h, patch, progress } from '../dom.js';
import { apiOrigin, cdnOrigin } from '../handlers.js';
import { panel } from './panel.js';

const explain: Record<BreakerSnapshot['state'], string> = {
	'closed': 'calls go through',
	'open': 'calls fail fast: no request leaves the browser',
	'half-open': 'one probe may go; its answer closes or re-opens the breaker',
};

const card = (origin: string): HTMLElement => {
	const snapshot = client.breaker(origin);
	const stats = client.stats()[origin];
	const name = new URL(origin).host;
	const id = name.split('.')[0]!;
	const latency = stats?.latency;
	const errorRate = Math.round((stats?.errorRate ?? 0) * 100);
	// One count of errors by code: health()'s, over the calls that reached the network in the last
	// 30 s, a failure answered stale included (stats' `failures` counts only the calls that rejected).
	const errors = (stats?.topErrors ?? []).map(({ code, count }) => `${code} ${count}`).join(' · ') || 'none';
	return h('article', { class: `breaker ${snapshot.state}`, 'data-testid': `breaker-${id}` },
		h('div', { class: 'breaker-head' },
			h('span', { class: 'origin' }, name),
			h('span', { class: `pill ${snapshot.state}`, 'data-testid': `breaker-state-${id}` }, snapshot.state)),
		h('p', { class: 'explain' }, explain[snapshot.state]),
		snapshot.state === 'open' && snapshot.reopensAt !== undefined && h('div', { class: 'reopen' },
			h('span', {}, 'half-open ', countdown(snapshot.reopensAt, 'now')),
			progress(snapshot.openedAt ?? Date.now(), snapshot.reopensAt)),
		h('dl', { class: 'facts' },
			// This tab's counts: an open state adopted from another tab comes without that tab's failures.
			h('dt', {}, 'failures in a row (this tab)'), h('dd', { 'data-testid': `breaker-failures-${id}` }, snapshot.consecutiveFailures),
			h('dt', {}, 'calls (this tab)'), h('dd', {},
				h('span', {}, `${stats?.requests ?? 0} made`),
				h('span', {}, `${stats?.successes ?? 0} resolved (${stats?.stale ?? 0} stale)`),
				h('span', {}, `${stats?.queued ?? 0} queued`)),
			h('dt', {}, 'retries sent / refused'), h('dd', {}, `${stats?.retries ?? 0} / ${stats?.retriesRefused ?? 0}`),
			// Health over the last 30 s, from the calls that reached the network.
			h('dt', {}, 'latency p50 / p95 / p99 (30 s)'), h('dd', { 'data-testid': `health-latency-${id}`, class: 'nowrap' }, latency ? `${Math.round(latency.p50)} / ${Math.round(latency.p95)} / ${Math.round(latency.p99)} ms` : 'no call yet'),
			h('dt', {}, 'error rate (30 s)'), h('dd', { 'data-testid': `health-error-rate-${id}`, class: errorRate >= 50 ? 'bad' : '' }, `${errorRate} %`),
			h('dt', {}, 'errors by code (30 s)'), h('dd', { 'data-testid': `health-errors-${id}` }, errors)));
};

export const renderBreakers = () => {
	const { element, body } = panel('Circuit breakers', 'One per origin, shared by every tab of this browser.', 'panel-breaker');
	const origins = [apiOrigin, cdnOrigin];
	const update = (): void => {
		const signature = JSON.stringify(origins.map((origin) => [client.breaker(origin), client.stats()[origin]]));
		patch(body, signature, () => [h('div', { class: 'breakers' }, ...origins.map(card))]);
	};

	return { element, update };
};
