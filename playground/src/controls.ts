/**
 * The control bar: the network of this browser, the faults of the API origin, and the calls to
 * make. Network and faults are shared by every tab (sim.ts); the bar follows changes made elsewhere.
 */
import { burst, readAvatar, readItem, writeItem } from './actions.js';
import { h } from './dom.js';
import { apiOrigin } from './handlers.js';
import { onSimChange, readSim, updateSim, type Faults, type SimState } from './sim.js';

/** Two or more buttons, one of them pressed. */
const segmented = (options: Array<{ label: string; testid: string; tone: string; pressed: (s: SimState) => boolean; set: (s: SimState) => void }>) => {
	const buttons = options.map((option) => h('button', {
		class: `seg ${option.tone}`, 'data-testid': option.testid, type: 'button',
		onclick: () => updateSim(option.set),
	}, option.label));
	const sync = (state: SimState) => {
		options.forEach((option, index) => {
			buttons[index]!.setAttribute('aria-pressed', String(option.pressed(state)));
		});
	};
	return { element: h('div', { class: 'segmented', role: 'group' }, ...buttons), sync };
};

const field = (label: string, ...control: Array<Node | string>) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), ...control);

const slider = (testid: string, max: number, step: number, key: 'errorRate' | 'latencyMs', unit: string) => {
	const output = h('output', { class: 'value' });
	const input = h('input', {
		type: 'range', min: 0, max, step, 'data-testid': testid,
		oninput: () => updateSim((state) => {
			state.faults[key] = Number(input.value);
		}),
	});
	const sync = (state: SimState) => {
		if (document.activeElement !== input) {
			input.value = String(state.faults[key]);
		}

		output.textContent = `${state.faults[key]} ${unit}`;
		output.classList.toggle('hot', state.faults[key] > 0);
	};
	return { input, output, sync };
};

const checkbox = (testid: string, key: 'rateLimit' | 'rejectWrites') => {
	const input = h('input', {
		type: 'checkbox', 'data-testid': testid,
		onchange: () => updateSim((state) => {
			state.faults[key] = input.checked;
		}),
	});
	return { input, sync: (state: SimState) => (input.checked = state.faults[key] as Faults[typeof key]) };
};

export const renderControls = (): HTMLElement => {
	const network = segmented([
		{ label: 'Online', testid: 'net-online', tone: 'good', pressed: (s) => s.online, set: (s) => (s.online = true) },
		{ label: 'Offline', testid: 'net-offline', tone: 'bad', pressed: (s) => !s.online, set: (s) => (s.online = false) },
	]);
	const origin = segmented([
		{ label: 'Up', testid: 'origin-up', tone: 'good', pressed: (s) => !s.faults.down && !s.faults.hang, set: (s) => Object.assign(s.faults, { down: false, hang: false }) },
		{ label: 'Hang', testid: 'origin-hang', tone: 'bad', pressed: (s) => s.faults.hang, set: (s) => Object.assign(s.faults, { down: false, hang: true }) },
		{ label: 'Down', testid: 'origin-down', tone: 'bad', pressed: (s) => s.faults.down, set: (s) => Object.assign(s.faults, { down: true, hang: false }) },
	]);
	const errors = slider('error-rate', 100, 10, 'errorRate', '% 503');
	const latency = slider('latency', 4000, 100, 'latencyMs', 'ms');
	const rateLimit = checkbox('rate-limit', 'rateLimit');
	const reject = checkbox('reject-writes', 'rejectWrites');
	const retryAfter = h('input', {
		type: 'number', min: 1, max: 60, class: 'small', 'data-testid': 'retry-after', title: 'Retry-After, seconds',
		onchange: () => updateSim((state) => {
			state.faults.retryAfterS = Math.max(1, Math.min(60, Number(retryAfter.value) || 1));
		}),
	});

	const action = (label: string, testid: string, run: () => Promise<void>, hint: string, primary = false) =>
		h('button', { class: primary ? 'action primary' : 'action', type: 'button', 'data-testid': testid, title: hint, onclick: () => void run() }, label);

	const bar = h('section', { class: 'controls', 'aria-label': 'Controls' },
		h('div', { class: 'group' },
			h('h2', {}, 'Network', h('small', {}, 'this browser')),
			network.element),
		h('div', { class: 'group wide' },
			h('h2', {}, 'Server', h('small', {}, apiOrigin.replace('https://', ''))),
			h('div', { class: 'row' },
				field('Origin', origin.element),
				field('Errors', errors.input, errors.output),
				field('Latency', latency.input, latency.output),
				field('429', h('span', { class: 'inline' }, rateLimit.input, 'Retry-After', retryAfter, 's')),
				field('Writes', h('span', { class: 'inline' }, reject.input, 'reject (422)')))),
		h('div', { class: 'group' },
			h('h2', {}, 'Calls', h('small', {}, 'through steadfetch')),
			h('div', { class: 'row' },
				action('GET item', 'read', readItem, 'GET /items/1…4 of the API, in turn', true),
				action('GET avatar', 'read-cdn', readAvatar, 'GET /avatars/… of the CDN (another origin, never faulty)'),
				action('POST item', 'write', writeItem, 'POST /items with an Idempotency-Key', true),
				action('Burst ×10', 'burst', burst, 'six item reads, one avatar read and three writes at once'))));

	const sync = (state: SimState) => {
		network.sync(state);
		origin.sync(state);
		errors.sync(state);
		latency.sync(state);
		rateLimit.sync(state);
		reject.sync(state);
		if (document.activeElement !== retryAfter) {
			retryAfter.value = String(state.faults.retryAfterS);
		}

		bar.classList.toggle('offline', !state.online);
	};

	sync(readSim());
	onSimChange(sync);
	return bar;
};
