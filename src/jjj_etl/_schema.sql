-- Tables the Python side owns: staging (loaded in bulk), meta (runs, versions, fetch state),
-- history (every mart row with the versions it was valid in).  Models live in main.
create schema if not exists staging;
create schema if not exists meta;
create schema if not exists history;
create schema if not exists seeds;

create table if not exists staging.pages (
    run_id varchar,
    url varchar,
    final_url varchar,
    source varchar,
    status integer,
    fetched_at timestamptz,
    content_type varchar,
    charset varchar,
    content_sha256 varchar,
    size bigint,
    is_listing boolean,
    outcome varchar,
    reason varchar,
    error varchar,
    article_id varchar
);

create table if not exists staging.articles (
    article_id varchar,
    url varchar,
    canonical_url varchar,
    title varchar,
    published varchar,
    lang varchar,
    source varchar,
    body varchar,
    content_sha256 varchar,
    parser_version varchar,
    staged_run_id varchar,
    staged_at timestamptz
);

create table if not exists staging.figures (
    article_id varchar,
    figure_index integer,
    surface varchar,
    start_offset integer,
    end_offset integer,
    value double,
    value_high double,
    unit varchar,
    comparator varchar,
    kind varchar,
    period varchar,
    subject varchar,
    region varchar,
    alt_of integer,
    sentence_start integer,
    sentence_end integer,
    sentence varchar
);

create table if not exists meta.fetch_state (
    url varchar,
    etag varchar,
    last_modified varchar,
    content_sha256 varchar,
    status integer,
    fetched_at timestamptz
);

create table if not exists meta.runs (
    run_id varchar,
    started_at timestamptz,
    finished_at timestamptz,
    status varchar,
    version_id integer,
    summary json
);

create table if not exists meta.versions (
    version_id integer,
    run_id varchar,
    started_at timestamptz,
    finished_at timestamptz,
    status varchar,
    code_version varchar,
    parser_version varchar,
    sql_checksum varchar,
    seeds_checksum varchar,
    input_fingerprint varchar,
    content_hashes varchar[],
    row_counts json,
    warnings json,
    model_timings json
);
