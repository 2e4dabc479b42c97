export { CloudIngest, type CloudIngestOptions, type CloudIngestStats } from './ingest';
export { IngestStore, type StoredGap, type IngestResult } from './store';
