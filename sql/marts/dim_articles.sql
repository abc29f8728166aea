-- one row per article, with how many figures and observations it yielded
with

articles as (
    select * from stg_articles
),

figures as (
    select * from stg_figures
),

observations as (
    select * from intermediate.int_observations_deduplicated
),

figure_counts as (
    select
        article_id,
        count(*) as n_figures
    from figures
    group by article_id
),

observation_counts as (
    select
        article_id,
        count(*) as n_observations
    from observations
    group by article_id
),

final as (
    select
        articles.article_id,
        articles.url,
        articles.canonical_url,
        articles.title,
        articles.published_on,
        articles.lang,
        articles.source_name,
        articles.content_sha256,
        length(articles.body) as body_chars,
        coalesce(figure_counts.n_figures, 0) as n_figures,
        coalesce(observation_counts.n_observations, 0) as n_observations
    from articles
    left join figure_counts
        on articles.article_id = figure_counts.article_id
    left join observation_counts
        on articles.article_id = observation_counts.article_id
)

select * from final
