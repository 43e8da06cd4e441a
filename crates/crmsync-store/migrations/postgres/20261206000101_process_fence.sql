-- The fencing number of the lock lease the latest attempt of a run held, so a journal entry says which holder
-- wrote it (NULL: the run took no lock, or ran before fences were recorded).
ALTER TABLE processes ADD COLUMN fence BIGINT;
