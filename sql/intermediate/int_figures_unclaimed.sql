-- one row per figure (not a bracketed conversion) that no catalog rule claimed.
-- Its own model, so the anti join runs, spills and is written out before
-- mart_unmapped_figures adds URLs: the two joins in one statement ran out of memory at
-- 25 M figures under a 256MB cap, each alone did not.
with

figures as (
    select * from stg_figures
    where not is_conversion
),

matched as (
    select
        article_id,
        figure_index
    from intermediate.int_figures_matched_to_indicators
),

final as (
    select figures.*
    from figures
    anti join matched
        on
            figures.article_id = matched.article_id
            and figures.figure_index = matched.figure_index
)

select * from final
