-- one row per kind code used in fct_observations (sql/seeds/kinds.csv)
with

kinds as (
    select * from seeds.kinds
),

final as (
    select
        kind,
        name,
        description
    from kinds
)

select * from final
