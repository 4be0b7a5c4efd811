-- What public's part of a Layer 2 generation was (a digest of its statements): public's views, triggers
-- and functions have no branch per workspace, so a generation whose public statements are the ones
-- already in place (registering or removing a workspace) leaves them as they are.
ALTER TABLE redkey.layer2_generations ADD COLUMN IF NOT EXISTS public_sha256 text;
