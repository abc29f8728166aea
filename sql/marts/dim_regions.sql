-- one row per region, province, new area or flow between them (sql/seeds/regions.csv)
with

regions as (
    select * from seeds.regions
),

final as (
    select
        region_id,
        name_en,
        name_zh,
        region_kind,
        iso_code,
        parent_region_id
    from regions
)

select * from final
