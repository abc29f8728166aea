-- one row per configured source: what it yielded and how its pages fared
with

pages as (
    select * from stg_pages
),

articles as (
    select * from stg_articles
),

observations as (
    select * from fct_observations
),

page_counts as (
    select
        source_name,
        count(*) as n_page_fetches,
        count(*) filter (where outcome = 'failed') as n_failed,
        count(*) filter (where outcome = 'skipped') as n_skipped,
        max(fetched_at) as last_fetched_at
    from pages
    group by source_name
),

article_counts as (
    select
        source_name,
        count(*) as n_articles,
        min(published_on) as first_published_on,
        max(published_on) as last_published_on
    from articles
    group by source_name
),

observation_counts as (
    select
        source_name,
        count(*) as n_observations
    from observations
    group by source_name
),

names as (
    select source_name from page_counts
    union
    select source_name from article_counts
),

final as (
    select
        names.source_name,
        coalesce(article_counts.n_articles, 0) as n_articles,
        coalesce(observation_counts.n_observations, 0) as n_observations,
        coalesce(page_counts.n_page_fetches, 0) as n_page_fetches,
        coalesce(page_counts.n_failed, 0) as n_failed,
        coalesce(page_counts.n_skipped, 0) as n_skipped,
        article_counts.first_published_on,
        article_counts.last_published_on,
        page_counts.last_fetched_at
    from names
    left join page_counts
        on names.source_name = page_counts.source_name
    left join article_counts
        on names.source_name = article_counts.source_name
    left join observation_counts
        on names.source_name = observation_counts.source_name
)

select * from final
