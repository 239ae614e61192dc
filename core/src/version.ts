/** Version of the document schema that this build writes. Readers accept every older one. */
export const SCHEMA_VERSION = 1;
