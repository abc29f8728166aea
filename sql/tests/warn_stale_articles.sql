-- warn: the newest article is more than 400 days old (the sources may have stopped)
with

articles as (
    select * from stg_articles
),

newest as (
    select max(published_on) as newest_published_on
    from articles
),

final as (
    select newest_published_on
    from newest
    where newest_published_on < current_date - interval 400 day
)

select * from final
