/**
 * Why a `json` body gave `JSON.stringify` no text (a function passed uncalled, a Symbol, a `toJSON()` that
 * returns undefined), and what to do: the words of the core's `stringifying` and the outbox's `jsonText`.
 */
export const noJsonForm = 'it has no JSON form (a function, a Symbol): give the value to send';
