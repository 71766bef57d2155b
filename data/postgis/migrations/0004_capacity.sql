-- 0004: a facility's capacity (places: day-care places, beds), > 0; NULL
-- when unknown (issue 13, item 6). Amenity features, a run's facilities
-- and a scenario's facilities carry it; the views show it after their
-- other columns.

ALTER TABLE lifecircle.features ADD COLUMN capacity double precision CHECK (capacity > 0);
ALTER TABLE lifecircle.run_facilities ADD COLUMN capacity double precision CHECK (capacity > 0);
ALTER TABLE lifecircle.scenario_facilities ADD COLUMN capacity double precision CHECK (capacity > 0);

CREATE OR REPLACE VIEW lifecircle.v_amenities AS
SELECT f.id, p.name AS project, f.fid, f.type, f.name, f.props ->> 'source' AS source, f.geom, f.rule, f.tags, f.capacity
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'amenity'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE OR REPLACE VIEW lifecircle.v_facilities_latest AS
SELECT f.id, p.name AS project, f.run, f.fid, f.type, f.name, f.source, f.geom, f.rule, f.tags, f.capacity
FROM lifecircle.run_facilities f
JOIN lifecircle.v_latest_audit l ON l.run = f.run
JOIN lifecircle.runs r ON r.id = f.run
JOIN lifecircle.projects p ON p.id = r.project;

CREATE OR REPLACE VIEW lifecircle.v_scenario_facilities AS
SELECT f.id, p.name AS project, s.id AS scenario, s.name AS scenario_name, s.author, s.created,
       f.fid, f.type, f.name, f.source, f.geom, f.rule, f.tags, f.capacity
FROM lifecircle.scenario_facilities f
JOIN lifecircle.scenarios s ON s.id = f.scenario
JOIN lifecircle.projects p ON p.id = s.project;

-- Per unit of an audit run, per type: residents within reach whose
-- facilities are full (NaN for a type without capacity figures); NULL
-- when no type has them.
ALTER TABLE lifecircle.unit_results ADD COLUMN over_capacity double precision[];
