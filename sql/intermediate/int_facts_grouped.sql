-- one row per fact: an indicator x region x period, however many articles reported it.
-- Only aggregates DuckDB can spill to disk: no list of every observation id (a fact's
-- observations are fct_observations rows with its fact_id), sources as a sorted distinct list
with

observations as (
    select * from intermediate.int_observations_periods_normalised
),

grouped as (
    select
        indicator_id,
        resolved_region_id as region_id,
        period,
        any_value(period_grain) as period_grain,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        count(distinct article_id) as n_sources,
        count(*) as n_observations,
        min(value) as min_value,
        max(value) as max_value,
        list_sort(list(distinct source_name)) as source_names
    from observations
    group by indicator_id, resolved_region_id, period
),

final as (
    select
        md5(concat_ws('|', indicator_id, region_id, coalesce(period, ''))) as fact_id,
        *,
        abs(max_value - min_value)
        > 0.01 * greatest(abs(max_value), abs(min_value), 1e-9) as has_conflict
    from grouped
)

select * from final
