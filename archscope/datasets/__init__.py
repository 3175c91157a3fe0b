"""Real data sets: what they are (``catalog``), where they are found or go
(``store``: --data-dir, the cache, the system's packages, a verified
download), and how their files are read (``readers``)."""

from archscope.datasets.catalog import CATALOG, spec
from archscope.datasets.store import data_home, fetch, locate, status

__all__ = ["CATALOG", "spec", "data_home", "fetch", "locate", "status"]
