-- one row per page attempt per run: what was fetched, skipped or failed, and why
with

source as (
    select * from staging.pages
),

final as (
    select
        run_id,
        url,
        final_url,
        source as source_name,
        status as http_status,
        fetched_at,
        content_type,
        charset,
        content_sha256,
        size as size_bytes,
        outcome,
        reason,
        error,
        article_id,
        coalesce(is_listing, false) as is_listing
    from source
)

select * from final
