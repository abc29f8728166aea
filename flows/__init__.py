"""Prefect orchestration for jjj-etl: thin flows and one-line tasks over ``jjj_etl``."""
