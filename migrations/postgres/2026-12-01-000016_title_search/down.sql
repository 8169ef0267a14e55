-- Nothing to do: the title index for related pages is the GIN index of 000015. This migration
-- keeps both backends at the same schema version (a site archive moves between them).
SELECT 1;
