-- The SQLite half of this pair rebuilds `pages` to put the columns page views read first.
-- PostgreSQL keeps large values out of line (TOAST) and fetches only the columns a query names,
-- so column order costs it nothing: this half has nothing to do.
SELECT 1;
