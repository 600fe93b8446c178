-- Deletions are read from their own endpoint; this is where that read
-- resumes (the time the last completed read started).
ALTER TABLE sync_state ADD COLUMN deletions_cursor TEXT;

-- OAuth credentials per client and data centre: the refresh token stored by
-- `zoho auth`, and the current access token so that processes started
-- every few minutes do not each use up one of Zoho's ten tokens per ten
-- minutes.
CREATE TABLE oauth_tokens (
    client_key     TEXT PRIMARY KEY,
    refresh_token  TEXT,
    access_token   TEXT,
    api_domain     TEXT,
    expires_at     TEXT,
    updated_at     TEXT NOT NULL
);
