DROP INDEX pages_title_search_idx;
DROP TABLE leases;
