-- one row per article (deduplicated by canonical URL), the newest staged content
with

source as (
    select * from staging.articles
),

final as (
    select
        article_id,
        url,
        canonical_url,
        title,
        lang,
        source as source_name,
        body,
        content_sha256,
        parser_version,
        staged_at,
        try_cast(left(published, 10) as date) as published_on,
        published as published_raw
    from source
)

select * from final
