-- one row per pair of observations of the same series whose values disagree (> 1 %)
with

observations as (
    select * from fct_observations
),

pairs as (
    select
        a.indicator_id,
        a.region_id,
        a.period,
        a.observation_id as observation_id_a,
        b.observation_id as observation_id_b,
        a.value as value_a,
        b.value as value_b,
        a.unit,
        a.url as url_a,
        b.url as url_b,
        a.sentence as sentence_a,
        b.sentence as sentence_b
    from observations as a
    inner join observations as b
        on
            a.indicator_id = b.indicator_id
            and a.region_id = b.region_id
            and a.period is not distinct from b.period
            and a.observation_id < b.observation_id
    where
        abs(a.value - b.value)
        > 0.01 * greatest(abs(a.value), abs(b.value), 1e-9)
),

final as (
    select
        md5(concat_ws('|', observation_id_a, observation_id_b)) as conflict_id,
        *
    from pairs
)

select * from final
