-- Column order carries no meaning for the schema: there is nothing to undo.
SELECT 1;
