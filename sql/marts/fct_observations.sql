-- one row per observation: an indicator value for a region and period, with provenance
with

observations as (
    select * from intermediate.int_observations_periods_normalised
),

final as (
    select
        observation_id,
        md5(
            concat_ws('|', indicator_id, resolved_region_id, coalesce(period, ''))
        ) as fact_id,
        indicator_id,
        resolved_region_id as region_id,
        period,
        period_grain,
        period_start,
        period_end,
        value,
        value_high,
        unit,
        comparator,
        kind,
        converted_value,
        converted_unit,
        converted_surface,
        article_id,
        source_name,
        url,
        published_on,
        sentence,
        surface,
        start_offset,
        end_offset,
        sentence_start,
        sentence_end,
        figure_index,
        subject
    from observations
)

select * from final
