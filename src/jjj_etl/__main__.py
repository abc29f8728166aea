"""``python -m jjj_etl``."""

from jjj_etl.cli import main

main()
