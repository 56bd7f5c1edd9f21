/** A few DOM helpers: build elements, and keep "in 3.2 s" / "12 s ago" texts ticking. */

type Child = Node | string | number | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `h('button', { class: 'x', onclick: fn }, 'Label')` */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] => {
	const element = document.createElement(tag);
	for (const [name, value] of Object.entries(attributes)) {
		if (typeof value === 'function') {
			element.addEventListener(name.replace(/^on/, ''), value);
		} else if (value === true) {
			element.setAttribute(name, '');
		} else if (value !== false && value !== undefined) {
			element.setAttribute(name, String(value));
		}
	}

	element.append(...children.filter((child): child is Node | string | number => child !== false && child !== null && child !== undefined).map((child) => (typeof child === 'number' ? String(child) : child)));
	return element;
};

/** Replace a container's children only when `signature` changed (keeps buttons clickable while polling). */
export const patch = (container: HTMLElement, signature: string, build: () => Child[]): void => {
	if (container.dataset['signature'] === signature) {
		return;
	}

	container.dataset['signature'] = signature;
	container.replaceChildren(...build().filter((child): child is Node | string => child !== false && child !== null && child !== undefined && typeof child !== 'number'));
};

export const seconds = (ms: number): string => (ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000).toString()) + ' s';

/** A span that shows the time until `at` ("in 3.2 s", then `done`). */
export const countdown = (at: number, done = 'now'): HTMLSpanElement => h('span', { 'data-until': at, 'data-done': done }, '');

/** A bar that fills from `from` to `to` (epoch ms). */
export const progress = (from: number, to: number): HTMLDivElement => h('div', { class: 'progress', 'data-from': from, 'data-to': to }, h('div', { class: 'fill' }));

/** A span that shows the time since `at` ("12 s"). */
export const age = (at: number): HTMLSpanElement => h('span', { 'data-since': at }, '');

const set = (element: HTMLElement, text: string): void => {
	if (element.textContent !== text) {
		element.textContent = text;
	}
};

const tick = (): void => {
	const now = Date.now();
	for (const element of document.querySelectorAll<HTMLElement>('[data-until]')) {
		const left = Number(element.dataset['until']) - now;
		set(element, left > 0 ? `in ${seconds(left)}` : element.dataset['done'] ?? 'now');
	}

	for (const element of document.querySelectorAll<HTMLElement>('[data-from][data-to]')) {
		const from = Number(element.dataset['from']);
		const share = Math.min(1, Math.max(0, (now - from) / (Number(element.dataset['to']) - from)));
		element.style.setProperty('--progress', String(share));
	}

	for (const element of document.querySelectorAll<HTMLElement>('[data-since]')) {
		set(element, seconds(Math.max(0, now - Number(element.dataset['since']))));
	}
};

/** Start the ticker (4 times a second). */
export const startTicker = (): void => {
	setInterval(tick, 250);
	new MutationObserver(tick).observe(document.body, { childList: true, subtree: true });
};

export const shortUrl = (url: string): string => {
	try {
		const { host, pathname, search } = new URL(url);
		return `${host.split('.')[0] ?? host} ${pathname}${search}`;
	} catch {
		return url;
	}
};

export const clockTime = (time: number): string => {
	const date = new Date(time);
	return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
};
