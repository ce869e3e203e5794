-- How a domain spells umlauts in its addresses (Müller → mueller or muller), counted from
-- verified and imported addresses like its patterns: {"expand": n, "plain": n}.
ALTER TABLE domains ADD COLUMN spelling jsonb NOT NULL DEFAULT '{}';
