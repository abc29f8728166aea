-- one row per observation that disagrees (> 1 %) with the value chosen for its fact,
-- side by side with the chosen one: linear in observations, however many sources agree
with

series as (
    select * from mart_indicator_series
    where has_conflict
),

observations as (
    select * from fct_observations
),

chosen as (
    select * from fct_observations
),

disagreeing as (
    select
        series.indicator_id,
        series.region_id,
        series.period,
        chosen.observation_id as observation_id_a,
        observations.observation_id as observation_id_b,
        chosen.value as value_a,
        observations.value as value_b,
        series.unit,
        chosen.url as url_a,
        observations.url as url_b,
        chosen.sentence as sentence_a,
        observations.sentence as sentence_b
    from series
    inner join chosen
        on series.chosen_observation_id = chosen.observation_id
    inner join observations
        on series.fact_id = observations.fact_id
    where
        abs(observations.value - chosen.value)
        > 0.01 * greatest(abs(observations.value), abs(chosen.value), 1e-9)
),

final as (
    select
        md5(concat_ws('|', observation_id_a, observation_id_b)) as conflict_id,
        *
    from disagreeing
)

select * from final
