/** Version of the document schema that this build writes. Readers accept every older one. */
export const SCHEMA_VERSION = 4;

/**
 * The first schema version. Every entry is written with the lowest version whose shape it fits
 * (docs/messaging.md, "Schema version 2"): one that uses nothing newer is written with this, so
 * a Ferry 1 app still edits and shows it.
 */
export const BASE_VERSION = 1;
