//! Unit tests of the emulator configuration.

use super::*;

#[test]
fn default_config_limits_to_seven_per_second_without_faults() {
    let config = AmoCrmConfig::default();
    assert_eq!(config.rate_limit_per_s, Some(7));
    assert!(!config.faults.is_active());
    assert_eq!(seeded(FaultPlan::uniform(5, Default::default()), 3).seed, 6);
}
