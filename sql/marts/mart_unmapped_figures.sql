-- one row per figure no catalog rule claimed: what to add to sql/seeds/indicators.csv
with

unclaimed as (
    select * from intermediate.int_figures_unclaimed
),

articles as (
    select
        article_id,
        url
    from stg_articles
),

final as (
    select
        unclaimed.article_id,
        unclaimed.figure_index,
        unclaimed.surface,
        unclaimed.value,
        unclaimed.unit,
        unclaimed.kind,
        unclaimed.period,
        unclaimed.region_id,
        unclaimed.subject,
        articles.url,
        unclaimed.sentence
    from unclaimed
    inner join articles
        on unclaimed.article_id = articles.article_id
)

select * from final
