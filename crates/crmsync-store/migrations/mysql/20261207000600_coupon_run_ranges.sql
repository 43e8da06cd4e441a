-- Which run made which of the shop's coupons, by ID range: one row per insert statement whose rows got the
-- consecutive IDs first_id..=last_id (the usual case). crmsync_coupon_runs keeps its per-coupon rows (older runs,
-- and statements whose IDs were not consecutive); a coupon belongs to the run of either table.
CREATE TABLE crmsync_coupon_run_ranges (
    first_id   BIGINT NOT NULL PRIMARY KEY,
    last_id    BIGINT NOT NULL,
    process_id BIGINT NOT NULL,
    CONSTRAINT crmsync_coupon_run_ranges_order CHECK (first_id <= last_id),
    INDEX crmsync_coupon_run_ranges_by_process (process_id, first_id)
) ENGINE = InnoDB;
