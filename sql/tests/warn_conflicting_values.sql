-- warn: sources disagree on the same indicator, region and period
select * from mart_conflicts
