//! `--sandbox` (feature `sandbox`): case monitoring's sample world from `crmsync_sandbox::case_monitoring`, and
//! the job settings and CyberJustice client settings that read it.

use std::time::Duration;

use crmsync_cyberjustice::CyberJusticeConfig;
use crmsync_jobs::case_monitoring::JobSettings;
pub use crmsync_sandbox::case_monitoring::{
    CASE_FIELD, FIRST_LEAD, PIPELINE, PROCEDURE_FINISHED, PROCEDURE_STARTED, SANDBOX_TOKEN,
    SampleSpec, SampleWorld, Sandbox, SandboxOptions, case_number,
};
use crmsync_sandbox::cyberjustice::DEFAULT_API_KEY;

/// The job settings that read `world`.
pub fn job_settings(world: &SampleWorld) -> JobSettings {
    let mut settings = JobSettings::new(vec![world.stage()], CASE_FIELD);
    settings.limit = world.spec.limit;
    settings
}

/// A CyberJustice client configuration pointing at the sandbox's emulator, paced at its rate.
pub fn cyberjustice_config(sandbox: &Sandbox) -> CyberJusticeConfig {
    CyberJusticeConfig::new(sandbox.cyberjustice.base_url(), DEFAULT_API_KEY)
        .with_rate_limit(f64::from(sandbox.options.cyberjustice_rate_per_s))
        .with_retries(5, Duration::from_millis(100), Duration::from_secs(2))
        .with_timeout(Duration::from_secs(5))
}
