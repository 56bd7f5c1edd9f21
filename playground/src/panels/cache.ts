/** The stale cache: what this tab stored (from `cache:stored`) and how often a copy answered (`cache:stale`). */
import { age, h, patch, shortUrl } from '../dom.js';
import { model } from '../model.js';
import { counter, empty, panel } from './panel.js';

export const renderCache = () => {
	const { element, counters, body } = panel('Stale cache', 'Good answers kept in IndexedDB; served, marked stale, when the network or the origin fails, or leaves a read unanswered for 3 s.', 'panel-cache');
	const update = (): void => {
		const entries = [...model.cache.values()].sort((a, b) => a.url.localeCompare(b.url));
		const hits = entries.reduce((sum, entry) => sum + entry.hits, 0);
		patch(counters, `${entries.length}/${hits}`, () => [
			counter('entries', entries.length, 'cache-entries'),
			counter('stale hits', hits, 'cache-hits', hits > 0 ? 'warn' : ''),
		]);
		patch(body, JSON.stringify(entries), () => [entries.length === 0
			? empty('Nothing stored yet. Make a few reads while the server is up.')
			: h('table', {},
				h('thead', {}, h('tr', {}, h('th', {}, 'URL'), h('th', { class: 'num' }, 'age'), h('th', { class: 'num' }, 'size'), h('th', { class: 'num' }, 'hits'), h('th', {}, 'last served because'))),
				h('tbody', {}, ...entries.map((entry) => h('tr', { class: entry.hits > 0 ? 'hit' : '' },
					h('td', { class: 'mono' }, shortUrl(entry.url)),
					h('td', { class: 'num' }, age(entry.storedAt)),
					h('td', { class: 'num' }, entry.bytes > 0 ? `${entry.bytes} B` : '—'),
					h('td', { class: 'num', 'data-testid': 'cache-row-hits' }, entry.hits),
					h('td', {}, entry.lastReason ? h('span', { class: 'tag warn' }, entry.lastReason) : h('span', { class: 'muted' }, 'never served stale'))))))]);
	};

	return { element, update };
};
