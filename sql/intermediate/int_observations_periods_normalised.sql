-- one row per deduplicated observation, with its period as start and end dates
with

observations as (
    select * from intermediate.int_observations_deduplicated
),

split as (
    select
        *,
        split_part(coalesce(period, ''), '/', 1) as period_from,
        coalesce(nullif(split_part(coalesce(period, ''), '/', 2), ''), period) as period_to
    from observations
),

final as (
    select
        * exclude (period_from, period_to),
        case
            when period is null then null
            when period like '%/%' then 'range'
            when length(period) = 4 then 'year'
            when length(period) = 7 then 'month'
            when length(period) = 10 then 'day'
            else 'other'
        end as period_grain,
        case
            when length(period_from) = 4 then try_cast(period_from || '-01-01' as date)
            when length(period_from) = 7 then try_cast(period_from || '-01' as date)
            else try_cast(period_from as date)
        end as period_start,
        case
            when length(period_to) = 4 then try_cast(period_to || '-12-31' as date)
            when length(period_to) = 7
                then last_day(try_cast(period_to || '-01' as date))
            else try_cast(period_to as date)
        end as period_end
    from split
)

select * from final
