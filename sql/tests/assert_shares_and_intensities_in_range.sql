-- blocking: a percentage level, share or intensity lies between 0 and 100
with

observations as (
    select * from fct_observations
),

final as (
    select
        observation_id,
        indicator_id,
        value
    from observations
    where
        unit = '%'
        and kind in ('share', 'rate', 'level')
        and (value < 0 or value > 100)
)

select * from final
