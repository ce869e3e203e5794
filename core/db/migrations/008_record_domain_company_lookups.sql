-- Records keep the normalised company domain in a column instead of the whole lookup input as
-- JSON: the input is rebuilt from `raw` and the list's column mapping when the record is looked
-- up, so the import (Postgres-bound) parses a short text instead of a JSON document per row, and
-- the results file can join each record to its company's classification (`domains.company`).
ALTER TABLE records ADD COLUMN domain text;
UPDATE records SET domain = input->>'domain' WHERE input ? 'domain';
ALTER TABLE records DROP COLUMN input;

-- `/toofr company acme.com` and GET /api/v1/company run through the lookup queue like the rest.
ALTER TABLE lookups DROP CONSTRAINT lookups_kind_check;
ALTER TABLE lookups ADD CONSTRAINT lookups_kind_check CHECK (kind IN ('find', 'verify', 'pattern', 'company'));
