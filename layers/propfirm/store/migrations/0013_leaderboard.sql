-- The leaderboard's opt-in: a trader who gives a display name is listed under it (NULL: not listed).
ALTER TABLE traders ADD COLUMN leaderboard_name text;
CREATE UNIQUE INDEX traders_leaderboard_name_key ON traders (lower(leaderboard_name)) WHERE leaderboard_name IS NOT NULL;
