-- 0002: views for QGIS and GDAL: each input kind and each result with its
-- project's name, per-type figures spelled out, and the latest complete
-- audit of every project. Views show complete runs only.

CREATE VIEW lifecircle.v_network AS
SELECT w.id, p.name AS project, w.way_id, w.length_m, w.geom
FROM lifecircle.network_ways w
JOIN lifecircle.layers l ON l.id = w.layer
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_amenities AS
SELECT f.id, p.name AS project, f.fid, f.type, f.name, f.props ->> 'source' AS source, f.geom
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'amenity'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_buildings AS
SELECT f.id, p.name AS project, f.fid, f.props ->> 'building' AS building,
       f.props ->> 'building:levels' AS levels, f.props AS tags, f.geom
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'buildings'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_population AS
SELECT f.id, p.name AS project, f.fid, f.population, f.geom
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'population'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_units AS
SELECT f.id, p.name AS project, f.fid AS unit_id, f.name, f.props ->> 'parent' AS parent,
       f.props ->> 'level' AS level, ST_Multi(f.geom)::geometry(MultiPolygon, 4326) AS geom
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'units'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_layers AS
SELECT f.id, p.name AS project, l.name AS layer, f.fid, f.name, f.props, f.geom
FROM lifecircle.features f
JOIN lifecircle.layers l ON l.id = f.layer AND l.kind = 'layer'
JOIN lifecircle.projects p ON p.id = l.project;

CREATE VIEW lifecircle.v_runs AS
SELECT r.id, p.name AS project, r.kind, r.created, r.version, r.types, r.params, r.summary, r.timings
FROM lifecircle.runs r
JOIN lifecircle.projects p ON p.id = r.project
WHERE r.complete;

-- figures: {"clinic": {"covered": ..., "coverage": ..., ...}, ...}
CREATE VIEW lifecircle.v_unit_results AS
SELECT u.id, p.name AS project, r.id AS run, r.created, u.unit_id, u.name, u.parent, u.level,
       u.population, u.completeness, u.fully_served,
       (SELECT jsonb_object_agg(t.type, jsonb_build_object(
                   'covered', t.covered,
                   'coverage', CASE WHEN u.population > 0 THEN t.covered / u.population ELSE 0 END,
                   'gap', u.population - t.covered,
                   'unreachable', t.unreachable,
                   'dist_mean', NULLIF(t.dist_mean, 'NaN'),
                   'dist_p90', NULLIF(t.dist_p90, 'NaN')))
          FROM unnest(r.types, u.covered, u.unreachable, u.dist_mean, u.dist_p90)
               AS t(type, covered, unreachable, dist_mean, dist_p90)) AS figures,
       ST_Multi(u.geom)::geometry(MultiPolygon, 4326) AS geom
FROM lifecircle.unit_results u
JOIN lifecircle.runs r ON r.id = u.run AND r.complete
JOIN lifecircle.projects p ON p.id = r.project;

CREATE VIEW lifecircle.v_latest_audit AS
SELECT DISTINCT ON (r.project) r.project, r.id AS run
FROM lifecircle.runs r
WHERE r.complete AND r.kind = 'audit'
ORDER BY r.project, r.id DESC;

CREATE VIEW lifecircle.v_units_latest AS
SELECT v.*
FROM lifecircle.v_unit_results v
JOIN lifecircle.v_latest_audit l ON l.run = v.run;

-- One row per unit and amenity type of each project's latest audit: filter
-- on type in QGIS to map one type's coverage.
CREATE VIEW lifecircle.v_unit_coverage_latest AS
SELECT u.id * 64 + t.n AS id, p.name AS project, r.id AS run, u.unit_id, u.name, u.parent,
       t.type, u.population, t.covered,
       CASE WHEN u.population > 0 THEN t.covered / u.population ELSE 0 END AS coverage,
       u.population - t.covered AS gap, t.unreachable,
       NULLIF(t.dist_mean, 'NaN') AS dist_mean, NULLIF(t.dist_p90, 'NaN') AS dist_p90,
       ST_Multi(u.geom)::geometry(MultiPolygon, 4326) AS geom
FROM lifecircle.unit_results u
JOIN lifecircle.v_latest_audit l ON l.run = u.run
JOIN lifecircle.runs r ON r.id = u.run
JOIN lifecircle.projects p ON p.id = r.project
CROSS JOIN LATERAL unnest(r.types, u.covered, u.unreachable, u.dist_mean, u.dist_p90)
     WITH ORDINALITY AS t(type, covered, unreachable, dist_mean, dist_p90, n);

CREATE VIEW lifecircle.v_demand_latest AS
SELECT d.id, p.name AS project, d.run, d.point_id, d.population, d.unit_id, d.snapped,
       (SELECT jsonb_object_agg(t.type, NULLIF(t.dist, 'NaN'))
          FROM unnest(r.types, d.dist) AS t(type, dist)) AS dist_m,
       d.geom
FROM lifecircle.demand_results d
JOIN lifecircle.v_latest_audit l ON l.run = d.run
JOIN lifecircle.runs r ON r.id = d.run
JOIN lifecircle.projects p ON p.id = r.project;

CREATE VIEW lifecircle.v_facilities_latest AS
SELECT f.id, p.name AS project, f.run, f.fid, f.type, f.name, f.source, f.geom
FROM lifecircle.run_facilities f
JOIN lifecircle.v_latest_audit l ON l.run = f.run
JOIN lifecircle.runs r ON r.id = f.run
JOIN lifecircle.projects p ON p.id = r.project;

CREATE VIEW lifecircle.v_proposals AS
SELECT s.id, p.name AS project, s.run, r.created, s.rank, s.site_id, s.name, s.types,
       s.gain, s.cumulative, s.units, s.geom
FROM lifecircle.proposals s
JOIN lifecircle.runs r ON r.id = s.run AND r.complete
JOIN lifecircle.projects p ON p.id = r.project;

CREATE VIEW lifecircle.v_scenario_facilities AS
SELECT f.id, p.name AS project, s.id AS scenario, s.name AS scenario_name, s.author, s.created,
       f.fid, f.type, f.name, f.source, f.geom
FROM lifecircle.scenario_facilities f
JOIN lifecircle.scenarios s ON s.id = f.scenario
JOIN lifecircle.projects p ON p.id = s.project;
