-- crmsync's own tables next to a Bitrix shop's on MySQL/MariaDB: the run journal, which run made which of the
-- shop's coupons (`b_sale_discount_coupon` itself is never altered), and the audit. Timestamps are DATETIME(6)
-- in UTC (the connection's time zone is +00:00).

CREATE TABLE processes (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind         VARCHAR(200) NOT NULL,
    settings     LONGTEXT     NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    started_at   DATETIME(6)  NULL,
    finished_at  DATETIME(6)  NULL,
    heartbeat_at DATETIME(6)  NULL,
    processed    BIGINT       NOT NULL DEFAULT 0,
    total        BIGINT       NULL,
    attempts     BIGINT       NOT NULL DEFAULT 0,
    last_error   TEXT         NULL,
    message      TEXT         NULL,
    checkpoint   LONGTEXT     NULL,
    CONSTRAINT processes_status CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted')),
    CONSTRAINT processes_counts CHECK (processed >= 0 AND (total IS NULL OR total >= 0) AND attempts >= 0),
    INDEX processes_by_kind (kind, id),
    INDEX processes_by_status_heartbeat (status, heartbeat_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per coupon a run inserted into b_sale_discount_coupon (its ID); coupons imported or made in the shop
-- have none.
CREATE TABLE crmsync_coupon_runs (
    coupon_id  BIGINT NOT NULL PRIMARY KEY,
    process_id BIGINT NOT NULL,
    INDEX crmsync_coupon_runs_by_process (process_id, coupon_id)
) ENGINE = InnoDB;

CREATE TABLE audit_log (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at         DATETIME(6)  NOT NULL,
    actor      VARCHAR(200) NOT NULL,
    action     VARCHAR(64)  NOT NULL,
    process_id BIGINT       NULL,
    outcome    VARCHAR(16)  NOT NULL,
    detail     TEXT         NULL,
    CONSTRAINT audit_log_outcome CHECK (outcome IN ('ok', 'denied', 'failed')),
    INDEX audit_log_by_process (process_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
