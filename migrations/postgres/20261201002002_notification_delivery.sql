-- Notification delivery: what kind each outbox entry is, the stable delivery id receivers
-- deduplicate on (the email Message-ID, the webhook delivery header), the claim token that
-- makes a mark-as-sent count only for the worker holding the lease, and the state of the
-- cron schedules (digests).

ALTER TABLE notification_outbox
    ADD COLUMN kind text NOT NULL DEFAULT 'case_opened'
        CHECK (kind IN ('case_opened', 'case_shared', 'digest', 'escalation', 'breach_reminder', 'user_warning')),
    ADD COLUMN org_code text,
    ADD COLUMN delivery_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ADD COLUMN webhook_endpoint_id bigint REFERENCES webhook_endpoints (id),
    ADD COLUMN claim_token uuid,
    ADD COLUMN failed_at timestamptz,
    ADD CHECK (channel <> 'webhook' OR webhook_endpoint_id IS NOT NULL);
CREATE INDEX notification_outbox_failed ON notification_outbox (failed_at) WHERE state = 'failed';
CREATE INDEX notification_outbox_by_case ON notification_outbox (case_id);

-- When each cron schedule (daily and weekly digests) last fired: the fire time, not the time
-- the worker noticed, so a restart neither skips nor repeats a period.
CREATE TABLE notification_schedules (
    name          text PRIMARY KEY,
    last_fired_at timestamptz NOT NULL
);
