-- A district's case numbers only go up. MAX(serial) over the district's
-- cases went down when its newest case was transferred away, and the next
-- intake then reused that case's code.
ALTER TABLE districts ADD COLUMN next_serial INTEGER NOT NULL DEFAULT 1;
UPDATE districts SET next_serial = (SELECT COALESCE(MAX(serial), 0) + 1 FROM cases WHERE cases.district_id = districts.id);
