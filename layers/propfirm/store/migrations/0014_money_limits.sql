-- Programs may give the loss limits as amounts of money (`daily_loss_amount`, `max_loss_amount`) instead
-- of percentages: the admin's risk measure (0004) reads either. An amount is exact and the same every day.
-- Challenges saved before this migration never hold an amount, so their stored risk stays right.
CREATE OR REPLACE FUNCTION challenge_risk(state jsonb, definition jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN state IS NULL OR definition IS NULL OR state->>'status' IS DISTINCT FROM 'active' THEN NULL
    ELSE round(least(
        CASE WHEN (ph ? 'daily_loss_pct' OR ph ? 'daily_loss_amount')
                  AND NOT coalesce((state->>'daily_paused')::boolean, false) THEN
            ((state->>'equity')::numeric - (state->>'daily_floor')::numeric)
            / nullif(coalesce(
                (ph->>'daily_loss_amount')::numeric,
                CASE WHEN ph->>'daily_loss_reference' = 'day_start'
                     THEN (state->>'day_start_balance')::numeric
                     ELSE (definition->>'account_size')::numeric END
                * (ph->>'daily_loss_pct')::numeric / 100), 0)
        END,
        CASE WHEN ph ? 'max_loss_pct' OR ph ? 'max_loss_amount' THEN
            ((state->>'equity')::numeric - (state->>'max_floor')::numeric)
            / nullif(coalesce(
                (ph->>'max_loss_amount')::numeric,
                (definition->>'account_size')::numeric * (ph->>'max_loss_pct')::numeric / 100), 0)
        END), 6)
    END
    FROM (SELECT definition->'phases'->((state->>'phase_index')::int) AS ph) AS p
$$;
