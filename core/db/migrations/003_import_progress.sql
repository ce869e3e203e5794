-- The importer commits records in chunks and remembers the last ordinal it stored, so a retried
-- import resumes after it instead of starting over, and record jobs start while it still reads.
ALTER TABLE lists ADD COLUMN records_loaded_through integer NOT NULL DEFAULT -1;
