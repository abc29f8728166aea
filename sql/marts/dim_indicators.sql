-- one row per indicator in the catalog (sql/seeds/indicators.csv)
with

indicators as (
    select * from seeds.indicators
),

final as (
    select
        indicator_id,
        name,
        unit,
        kind,
        default_region_id,
        priority,
        pattern_en,
        pattern_zh,
        description
    from indicators
)

select * from final
