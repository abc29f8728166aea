-- one row per figure no catalog rule claimed: what to add to sql/seeds/indicators.csv
with

figures as (
    select * from stg_figures
    where not is_conversion
),

matched as (
    select * from int_figures_matched_to_indicators
),

articles as (
    select
        article_id,
        url
    from stg_articles
),

final as (
    select
        figures.article_id,
        figures.figure_index,
        figures.surface,
        figures.value,
        figures.unit,
        figures.kind,
        figures.period,
        figures.region_id,
        figures.subject,
        articles.url,
        figures.sentence
    from figures
    inner join articles
        on figures.article_id = articles.article_id
    left join matched
        on
            figures.article_id = matched.article_id
            and figures.figure_index = matched.figure_index
    where matched.article_id is null
)

select * from final
