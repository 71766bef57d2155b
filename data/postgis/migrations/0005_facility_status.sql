-- 0005: facility status and field reports (issue 13). An amenity feature
-- carries its status (NULL = open, as before), opens (the first day it
-- is open; for a temporarily closed one the day it reopens) and closes
-- (the first day it is no longer open). status_reports is the history of
-- field reports (lifecircle status import --db): one row per report,
-- appended, never changed (the trigger refuses UPDATE); it belongs to the
-- project, so re-importing the project's layers keeps it. An audit applies
-- the latest report per facility (by day, then by id).

ALTER TABLE lifecircle.features
    ADD COLUMN status text CHECK (status IN ('open', 'planned', 'under_construction', 'closed', 'temporarily_closed')),
    ADD COLUMN opens date,
    ADD COLUMN closes date;

CREATE TABLE lifecircle.status_reports (
    id          bigserial PRIMARY KEY,
    project     bigint NOT NULL REFERENCES lifecircle.projects (id) ON DELETE CASCADE,
    facility_id text NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'planned', 'under_construction', 'closed', 'temporarily_closed')),
    day         date NOT NULL,
    note        text,
    reported_by text,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_reports_project ON lifecircle.status_reports (project, facility_id, day);

CREATE FUNCTION lifecircle.status_reports_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lifecircle.status_reports keeps every field report: rows are never changed (add a new report instead)';
END $$;
CREATE TRIGGER status_reports_keep BEFORE UPDATE ON lifecircle.status_reports
    FOR EACH ROW EXECUTE FUNCTION lifecircle.status_reports_keep();

CREATE OR REPLACE VIEW lifecircle.v_amenities AS
SELECT f.id, p.name AS project, f.fid, f.type, f.name, f.props ->> 'source' AS source, f.geom, f.rule, f.tags, f.capacity,
       f.status, f.opens, f.closes
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'amenity'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_status_reports AS
SELECT r.id, p.name AS project, r.facility_id, r.status, r.day, r.note, r.reported_by, r.imported_at
FROM lifecircle.status_reports r
JOIN lifecircle.projects p ON p.id = r.project;
