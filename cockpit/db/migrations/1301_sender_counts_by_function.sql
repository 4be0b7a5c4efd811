-- The per-sender daily counters are shared by every client sending from that address, so no client's
-- session may read the table (it would list other clients' sender addresses and volumes). Sessions
-- scoped to a client read and add to the counters of addresses they name, through two functions.
REVOKE ALL ON redkey.sender_daily FROM redkey_readonly, redkey_operational, redkey_strategic;

CREATE OR REPLACE FUNCTION redkey.sends_today(p_day date, p_senders text[])
RETURNS TABLE (sender text, sent integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF redkey.current_client_id() IS NULL THEN
        RAISE EXCEPTION 'no client scope: set redkey.client_id first' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT s.sender, s.sent FROM redkey.sender_daily s
                 WHERE s.day = p_day AND s.sender = ANY(p_senders);
END
$$;
REVOKE ALL ON FUNCTION redkey.sends_today(date, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redkey.sends_today(date, text[]) TO redkey_readonly, redkey_operational, redkey_strategic;

-- Adds p_counts[i] sends to p_senders[i] for p_day (senders locked in one order) and returns the totals.
CREATE OR REPLACE FUNCTION redkey.count_sends(p_day date, p_senders text[], p_counts integer[])
RETURNS TABLE (sender text, sent integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF redkey.current_client_id() IS NULL THEN
        RAISE EXCEPTION 'no client scope: set redkey.client_id first' USING ERRCODE = '42501';
    END IF;
    IF cardinality(p_senders) <> cardinality(p_counts) OR EXISTS (SELECT 1 FROM unnest(p_counts) n WHERE n < 0) THEN
        RAISE EXCEPTION 'count_sends: one non-negative count per sender' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        INSERT INTO redkey.sender_daily AS s (sender, day, sent)
        SELECT u.s, p_day, u.n FROM unnest(p_senders, p_counts) AS u(s, n) ORDER BY u.s
        ON CONFLICT (sender, day) DO UPDATE SET sent = s.sent + EXCLUDED.sent
        RETURNING s.sender, s.sent;
END
$$;
REVOKE ALL ON FUNCTION redkey.count_sends(date, text[], integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redkey.count_sends(date, text[], integer[]) TO redkey_operational;
