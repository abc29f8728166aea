-- one row per indicator x region x period: the chosen value and how it was chosen
with

observations as (
    select * from fct_observations
),

indicators as (
    select * from dim_indicators
),

ranked as (
    select
        observations.*,
        row_number() over (
            partition by
                observations.indicator_id,
                observations.region_id,
                observations.period
            order by
                observations.published_on desc nulls last,
                case observations.comparator when '=' then 0 when '~' then 2 else 1 end asc,
                observations.url asc,
                observations.figure_index asc
        ) as choice_rank
    from observations
),

spread as (
    select
        indicator_id,
        region_id,
        period,
        count(distinct article_id) as n_sources,
        count(*) as n_observations,
        min(value) as min_value,
        max(value) as max_value
    from observations
    group by indicator_id, region_id, period
),

chosen as (
    select * from ranked
    where choice_rank = 1
),

final as (
    select
        chosen.indicator_id as indicator,
        indicators.name as indicator_name,
        chosen.region_id as region,
        chosen.period,
        chosen.value,
        chosen.unit,
        chosen.comparator,
        chosen.kind,
        chosen.converted_value,
        chosen.converted_unit,
        spread.n_sources,
        spread.n_observations,
        spread.min_value,
        spread.max_value,
        chosen.observation_id as chosen_observation_id,
        chosen.url as chosen_url,
        chosen.published_on as chosen_published_on,
        chosen.sentence as chosen_sentence,
        'newest publication, then most precise comparator' as choice_rule,
        abs(spread.max_value - spread.min_value)
        > 0.01 * greatest(abs(spread.max_value), abs(spread.min_value), 1e-9) as has_conflict
    from chosen
    inner join spread
        on
            chosen.indicator_id = spread.indicator_id
            and chosen.region_id = spread.region_id
            and chosen.period is not distinct from spread.period
    inner join indicators
        on chosen.indicator_id = indicators.indicator_id
)

select * from final
