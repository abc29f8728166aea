-- one row per article x indicator x region x period: repeats inside one article collapse
-- to the first figure; a figure's converted amount is its first conversion in brackets.
-- Grouped aggregates and joins, not window functions: both spill to disk under a DuckDB
-- memory cap, where a row_number() over every matched figure ran out of memory at 25 M
-- figures under 256MB.
with

matched as (
    select * from intermediate.int_figures_matched_to_indicators
),

conversions as (
    select * from stg_figures
    where is_conversion
),

first_repeats as (
    select
        article_id,
        min(figure_index) as figure_index
    from matched
    group by article_id, indicator_id, resolved_region_id, coalesce(period, '')
),

first_conversions as (
    select
        article_id,
        min(figure_index) as figure_index
    from conversions
    group by article_id, alt_of
),

conversion_values as (
    select
        conversions.article_id,
        conversions.alt_of,
        conversions.value as converted_value,
        conversions.unit as converted_unit,
        conversions.surface as converted_surface
    from conversions
    semi join first_conversions
        on
            conversions.article_id = first_conversions.article_id
            and conversions.figure_index = first_conversions.figure_index
),

with_conversions as (
    select
        matched.*,
        conversion_values.converted_value,
        conversion_values.converted_unit,
        conversion_values.converted_surface
    from matched
    semi join first_repeats
        on
            matched.article_id = first_repeats.article_id
            and matched.figure_index = first_repeats.figure_index
    left join conversion_values
        on
            matched.article_id = conversion_values.article_id
            and matched.figure_index = conversion_values.alt_of
),

final as (
    select
        *,
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
)

select * from final
