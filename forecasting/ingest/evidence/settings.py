"""CDN analytics and pg_stat_statements CSVs: source names and the columns each must have."""

from __future__ import annotations

CDN_SOURCE = "cdn"
QUERIES_SOURCE = "pg_stat_statements"

# Column -> names accepted for it, compared lower-case without "_", "-" or spaces, so that
# Cloudflare's GraphQL names (cachedRequests, cachedBytes) and CloudFront's report headers
# (Requests, Hits, BytesDownloaded) read as they come.
CDN_COLUMNS = {
    "day": ("day", "date", "datetime", "timestamp"),
    "requests": ("requests", "totalrequests"),
    "cached_requests": ("cachedrequests", "hits", "cachehits"),
    "bytes": ("bytes", "bytesdownloaded", "totalbytes"),
    "cached_bytes": ("cachedbytes", "bytescached"),
}
CDN_OPTIONAL = {"zone": ("zone", "zonename", "distribution", "distributionid", "host")}

# pg_stat_statements' own names; total_time is the column's name before PostgreSQL 13.
QUERY_COLUMNS = {
    "queryid": ("queryid",),
    "calls": ("calls",),
    "total_exec_time": ("totalexectime", "totaltime"),
    "rows": ("rows",),
}
QUERY_OPTIONAL = {"query": ("query",), "shared_blks_read": ("sharedblksread",)}
