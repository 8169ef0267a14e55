-- Related pages are worked out in memory from the titles (`search::related`): the titles' own
-- index is no longer read, and every page write kept it up to date.
DROP INDEX pages_title_search_idx;
