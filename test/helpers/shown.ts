/** Every message and cause (and their causes) an error shows, as one text: what an app would log of it. */
export const shown = (error: unknown, seen = new Set<unknown>()): string => {
	if (!(error instanceof Error) || seen.has(error)) {
		return String(error);
	}

	seen.add(error);
	return `${String(error)} ${error.stack ?? ''} ${shown(error.cause, seen)}`;
};

/** A `fetch` for calls that must be refused before any I/O. */
export const fetchNever = async (): Promise<Response> => {
	throw new Error('no request may go out');
};
