-- one row per indicator x region x period: the chosen value and how it was chosen
with

observations as (
    select * from fct_observations
),

facts as (
    select * from intermediate.int_facts_grouped
),

indicators as (
    select * from dim_indicators
),

ranked as (
    select
        observations.*,
        row_number() over (
            partition by observations.fact_id
            order by
                observations.published_on desc nulls last,
                case observations.comparator when '=' then 0 when '~' then 2 else 1 end asc,
                observations.url asc,
                observations.figure_index asc
        ) as choice_rank
    from observations
),

chosen as (
    select * from ranked
    where choice_rank = 1
),

final as (
    select
        facts.fact_id,
        chosen.indicator_id,
        indicators.name as indicator_name,
        chosen.region_id,
        chosen.period,
        facts.period_grain,
        facts.period_start,
        facts.period_end,
        chosen.value,
        chosen.unit,
        chosen.comparator,
        chosen.kind,
        chosen.converted_value,
        chosen.converted_unit,
        facts.n_sources,
        facts.n_observations,
        facts.min_value,
        facts.max_value,
        facts.has_conflict,
        chosen.observation_id as chosen_observation_id,
        chosen.url as chosen_url,
        chosen.published_on as chosen_published_on,
        chosen.sentence as chosen_sentence,
        'newest publication, then most precise comparator' as choice_rule
    from chosen
    inner join facts
        on chosen.fact_id = facts.fact_id
    inner join indicators
        on chosen.indicator_id = indicators.indicator_id
)

select * from final
