-- one row per figure that a catalog rule claims (the best rule by priority);
-- rules match the lowercased subject (or the sentence when the subject is empty)
with

figures as (
    select * from stg_figures
    where not is_conversion
),

articles as (
    select * from stg_articles
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
        substr(
            articles.body,
            figures.sentence_start + 1,
            figures.sentence_end - figures.sentence_start
        ) as sentence,
        -- an empty subject ("up 12.7% year on year" alone) falls back to the sentence text
        lower(
            coalesce(
                nullif(trim(figures.subject), ''),
                substr(
                    articles.body,
                    figures.sentence_start + 1,
                    figures.sentence_end - figures.sentence_start
                )
            )
        ) as subject_folded
    from figures
    inner join articles
        on figures.article_id = articles.article_id
),

candidates as (
    select
        figures_in_context.*,
        indicators.indicator_id,
        indicators.priority,
        indicators.default_region_id,
        row_number() over (
            partition by figures_in_context.article_id, figures_in_context.figure_index
            order by indicators.priority, indicators.indicator_id
        ) as rule_rank
    from figures_in_context
    inner join indicators
        on
            figures_in_context.unit = indicators.unit
            and figures_in_context.kind = indicators.kind
            and (
                (
                    indicators.pattern_en is not null
                    and regexp_matches(
                        figures_in_context.subject_folded, indicators.pattern_en
                    )
                )
                or (
                    indicators.pattern_zh is not null
                    and regexp_matches(
                        figures_in_context.subject_folded, indicators.pattern_zh
                    )
                )
            )
),

final as (
    select
        * exclude (rule_rank, subject_folded, default_region_id),
        coalesce(region_id, default_region_id) as resolved_region_id
    from candidates
    where rule_rank = 1
)

select * from final
