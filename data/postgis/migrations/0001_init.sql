-- 0001: projects, input layers, the walk network, audit runs and their
-- results, proposals and scenarios. Every geometry is WGS84 lon/lat
-- (SRID 4326) with a GiST index. Runs are written in one transaction and
-- flagged complete in it; readers and the views look at complete runs only.

CREATE TABLE lifecircle.projects (
    id       bigserial PRIMARY KEY,
    name     text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    created  timestamptz NOT NULL DEFAULT now(),
    imported timestamptz NOT NULL DEFAULT now(),
    profile  text NOT NULL,                   -- the amenity profile as YAML
    settings jsonb NOT NULL DEFAULT '{}'      -- cell, max_snap, ... given at import
);

-- A layer is one input of a project: the walk network, one amenity source,
-- buildings, residential areas, a population layer, analysis units, or any
-- other layer shared for viewing. A re-import replaces all of a project's
-- layers in one transaction.
CREATE TABLE lifecircle.layers (
    id       bigserial PRIMARY KEY,
    project  bigint NOT NULL REFERENCES lifecircle.projects (id) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('network', 'amenity', 'buildings', 'residential', 'population', 'units', 'layer')),
    name     text NOT NULL,
    source   text NOT NULL,
    meta     jsonb NOT NULL DEFAULT '{}',
    created  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX layers_project ON lifecircle.layers (project, kind);

CREATE TABLE lifecircle.features (
    id         bigserial PRIMARY KEY,
    layer      bigint NOT NULL REFERENCES lifecircle.layers (id) ON DELETE CASCADE,
    seq        integer NOT NULL,              -- order in the input
    fid        text NOT NULL,                 -- the input's feature id
    type       text,                          -- amenity type id (amenity layers)
    name       text,
    population double precision,              -- population layers
    props      jsonb NOT NULL DEFAULT '{}',
    geom       geometry(Geometry, 4326) NOT NULL
);
CREATE UNIQUE INDEX features_layer_seq ON lifecircle.features (layer, seq);
CREATE INDEX features_geom ON lifecircle.features USING gist (geom);

-- The walk network as its input polylines, in input order. OSM ways keep
-- their node ids, so the graph rebuilt from here joins exactly where the
-- extract's ways join; lines without node ids join where they share a
-- coordinate (a network from GeoJSON lines).
CREATE TABLE lifecircle.network_ways (
    id       bigserial PRIMARY KEY,
    layer    bigint NOT NULL REFERENCES lifecircle.layers (id) ON DELETE CASCADE,
    seq      integer NOT NULL,
    way_id   bigint,
    node_ids bigint[],
    length_m double precision NOT NULL,
    geom     geometry(LineString, 4326) NOT NULL,
    UNIQUE (layer, seq)
);
CREATE INDEX network_ways_geom ON lifecircle.network_ways USING gist (geom);

CREATE TABLE lifecircle.runs (
    id       bigserial PRIMARY KEY,
    project  bigint NOT NULL REFERENCES lifecircle.projects (id) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('audit', 'propose')),
    created  timestamptz NOT NULL DEFAULT now(),
    version  text NOT NULL,                   -- lifecircle version that ran it
    params   jsonb NOT NULL DEFAULT '{}',     -- inputs and parameters
    profile  text NOT NULL,                   -- the profile used, as YAML
    types    text[] NOT NULL,                 -- amenity type ids, the order of every per-type array
    summary  jsonb NOT NULL DEFAULT '{}',     -- district figures
    timings  jsonb NOT NULL DEFAULT '{}',     -- seconds per step
    status   text NOT NULL DEFAULT 'writing',
    complete boolean NOT NULL DEFAULT false
);
CREATE INDEX runs_project ON lifecircle.runs (project, kind, id);

-- Per-type arrays follow runs.types. Every level of the unit hierarchy is
-- stored, coarsest first; demand_results.unit_id is a unit of the finest.
CREATE TABLE lifecircle.unit_results (
    id           bigserial PRIMARY KEY,
    run          bigint NOT NULL REFERENCES lifecircle.runs (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    level        text NOT NULL,               -- level of the unit hierarchy (cell, community, ...)
    unit_id      text NOT NULL,
    name         text,
    parent       text,
    population   double precision NOT NULL,
    points       integer NOT NULL,
    covered      double precision[] NOT NULL,
    unreachable  double precision[] NOT NULL,
    dist_mean    double precision[] NOT NULL, -- metres, NaN when none reachable
    dist_p90     double precision[] NOT NULL,
    completeness double precision NOT NULL,
    fully_served double precision NOT NULL,
    geom         geometry(Geometry, 4326) NOT NULL,
    UNIQUE (run, seq)
);
CREATE INDEX unit_results_geom ON lifecircle.unit_results USING gist (geom);

CREATE TABLE lifecircle.demand_results (
    id           bigserial PRIMARY KEY,
    run        bigint NOT NULL REFERENCES lifecircle.runs (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    point_id   text NOT NULL,
    population double precision NOT NULL,
    unit_id    text,
    snapped    boolean NOT NULL,
    dist       double precision[] NOT NULL,   -- metres per type, NaN when unreachable
    geom       geometry(Point, 4326) NOT NULL,
    UNIQUE (run, seq)
);
CREATE INDEX demand_results_geom ON lifecircle.demand_results USING gist (geom);

-- The facilities a run saw, so a run stays readable after a re-import.
CREATE TABLE lifecircle.run_facilities (
    id           bigserial PRIMARY KEY,
    run    bigint NOT NULL REFERENCES lifecircle.runs (id) ON DELETE CASCADE,
    seq    integer NOT NULL,
    fid    text NOT NULL,
    type   text NOT NULL,
    name   text,
    source text,
    geom   geometry(Geometry, 4326) NOT NULL,
    UNIQUE (run, seq)
);
CREATE INDEX run_facilities_geom ON lifecircle.run_facilities USING gist (geom);

CREATE TABLE lifecircle.proposals (
    id             bigserial PRIMARY KEY,
    run            bigint NOT NULL REFERENCES lifecircle.runs (id) ON DELETE CASCADE,
    rank           integer NOT NULL,
    candidate      integer NOT NULL,          -- index among the run's candidates
    site_id        text NOT NULL,
    name           text,
    types          text NOT NULL,
    gain           double precision NOT NULL,
    cumulative     double precision NOT NULL,
    gain_by_type   double precision[] NOT NULL,
    coverage_after double precision[] NOT NULL,
    units          text[] NOT NULL,
    lon            double precision NOT NULL,
    lat            double precision NOT NULL,
    geom           geometry(Geometry, 4326) NOT NULL,
    UNIQUE (run, rank)
);
CREATE INDEX proposals_geom ON lifecircle.proposals USING gist (geom);

-- A scenario is a saved set of what-if edits and the facilities they give.
CREATE TABLE lifecircle.scenarios (
    id       bigserial PRIMARY KEY,
    project  bigint NOT NULL REFERENCES lifecircle.projects (id) ON DELETE CASCADE,
    name     text NOT NULL,
    author   text NOT NULL DEFAULT '',
    created  timestamptz NOT NULL DEFAULT now(),
    edits    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX scenarios_project ON lifecircle.scenarios (project, name, id);

CREATE TABLE lifecircle.scenario_facilities (
    id       bigserial PRIMARY KEY,
    scenario bigint NOT NULL REFERENCES lifecircle.scenarios (id) ON DELETE CASCADE,
    seq      integer NOT NULL,
    fid      text NOT NULL,
    type     text NOT NULL,
    name     text,
    source   text,
    geom     geometry(Geometry, 4326) NOT NULL,
    UNIQUE (scenario, seq)
);
CREATE INDEX scenario_facilities_geom ON lifecircle.scenario_facilities USING gist (geom);

-- The files a run wrote (summary.json, cells.geojson, report.html, ...),
-- so `lifecircle export` gives back exactly what the run produced.
CREATE TABLE lifecircle.run_files (
    run     bigint NOT NULL REFERENCES lifecircle.runs (id) ON DELETE CASCADE,
    name    text NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (run, name)
);
