/** A clock tests move by hand: time in tests is exact. */
export class ManualClock {
	#now: number;

	constructor(start = 1_700_000_000_000) {
		this.#now = start;
	}

	now(): number {
		return this.#now;
	}

	advance(ms: number): void {
		this.#now += ms;
	}

	set(ms: number): void {
		this.#now = ms;
	}
}

/** A deterministic random source (mulberry32). */
export const seededRandom = (seed = 1): (() => number) => {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d_2b_79_f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
};
