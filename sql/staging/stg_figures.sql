-- one row per figure in an article body, offsets into stg_articles.body
with

source as (
    select * from staging.figures
),

final as (
    select
        article_id,
        figure_index,
        surface,
        start_offset,
        end_offset,
        value,
        value_high,
        unit,
        comparator,
        kind,
        period,
        subject,
        region as region_id,
        alt_of,
        sentence_start,
        sentence_end,
        sentence,
        alt_of is not null as is_conversion
    from source
)

select * from final
