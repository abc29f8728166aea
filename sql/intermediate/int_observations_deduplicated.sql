-- one row per article x indicator x region x period: repeats inside one article collapse
with

matched as (
    select * from int_figures_matched_to_indicators
),

conversions as (
    select * from stg_figures
    where is_conversion
),

ranked as (
    select
        matched.*,
        row_number() over (
            partition by
                matched.article_id,
                matched.indicator_id,
                matched.resolved_region_id,
                coalesce(matched.period, '')
            order by matched.figure_index
        ) as repeat_rank
    from matched
),

with_conversions as (
    select
        ranked.*,
        conversions.value as converted_value,
        conversions.unit as converted_unit,
        conversions.surface as converted_surface
    from ranked
    left join conversions
        on
            ranked.article_id = conversions.article_id
            and ranked.figure_index = conversions.alt_of
    qualify
        row_number() over (
            partition by ranked.article_id, ranked.figure_index
            order by conversions.figure_index
        ) = 1
),

final as (
    select
        * exclude (repeat_rank),
        md5(
            concat_ws(
                '|',
                article_id,
                indicator_id,
                resolved_region_id,
                coalesce(period, '')
            )
        ) as observation_id
    from with_conversions
    where repeat_rank = 1
)

select * from final
