-- one row per comparator code used in fct_observations (sql/seeds/comparators.csv)
with

comparators as (
    select * from seeds.comparators
),

final as (
    select
        comparator,
        name,
        description
    from comparators
)

select * from final
