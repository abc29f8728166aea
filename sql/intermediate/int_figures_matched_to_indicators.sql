-- one row per figure that a catalog rule claims (the best rule by priority);
-- rules match the lowercased subject (or the sentence when the subject is empty)
with

figures as (
    select * from stg_figures
    where not is_conversion
),

-- no body here: each figure's sentence is staged with it, so the build never holds the
-- article texts in a join (under a DuckDB memory limit, that join could not finish)
articles as (
    select
        article_id,
        lang,
        published_on,
        url,
        source_name
    from stg_articles
),

indicators as (
    select * from seeds.indicators
),

figures_in_context as (
    select
        figures.*,
        articles.lang,
        articles.published_on,
        articles.url,
        articles.source_name,
        -- an empty subject ("up 12.7% year on year" alone) falls back to the sentence text
        lower(
            coalesce(nullif(trim(figures.subject), ''), figures.sentence)
        ) as subject_folded
    from figures
    inner join articles
        on figures.article_id = articles.article_id
),

-- the catalog's patterns are data (a column), so DuckDB compiles them per row: match each
-- distinct subject x unit x kind once, then join the verdicts back to the figures
subjects as (
    select distinct
        subject_folded,
        unit,
        kind
    from figures_in_context
),

subject_rules as (
    select
        subjects.subject_folded,
        subjects.unit,
        subjects.kind,
        indicators.indicator_id,
        indicators.priority,
        indicators.default_region_id,
        row_number() over (
            partition by subjects.subject_folded, subjects.unit, subjects.kind
            order by indicators.priority, indicators.indicator_id
        ) as rule_rank
    from subjects
    inner join indicators
        on
            subjects.unit = indicators.unit
            and subjects.kind = indicators.kind
            and (
                (
                    indicators.pattern_en is not null
                    and regexp_matches(subjects.subject_folded, indicators.pattern_en)
                )
                or (
                    indicators.pattern_zh is not null
                    and regexp_matches(subjects.subject_folded, indicators.pattern_zh)
                )
            )
),

candidates as (
    select
        figures_in_context.*,
        subject_rules.indicator_id,
        subject_rules.priority,
        subject_rules.default_region_id,
        subject_rules.rule_rank
    from figures_in_context
    inner join subject_rules
        on
            figures_in_context.subject_folded = subject_rules.subject_folded
            and figures_in_context.unit = subject_rules.unit
            and figures_in_context.kind = subject_rules.kind
),

final as (
    select
        * exclude (rule_rank, subject_folded, default_region_id),
        coalesce(region_id, default_region_id) as resolved_region_id
    from candidates
    where rule_rank = 1
)

select * from final
