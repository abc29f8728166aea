-- blocking: every observation points at its article, sentence and exact characters
with

observations as (
    select * from fct_observations
),

articles as (
    select * from stg_articles
),

final as (
    select
        observations.observation_id,
        observations.url,
        observations.surface
    from observations
    left join articles
        on observations.article_id = articles.article_id
    where
        articles.article_id is null
        or observations.sentence is null
        or substr(
            articles.body,
            observations.start_offset + 1,
            observations.end_offset - observations.start_offset
        ) != observations.surface
)

select * from final
