-- The caller's rating by keypad after the consultant hung up (1 satisfied,
-- 2 basically satisfied, 3 unsatisfied); NULL: not rated.
ALTER TABLE calls ADD COLUMN satisfaction TEXT;
