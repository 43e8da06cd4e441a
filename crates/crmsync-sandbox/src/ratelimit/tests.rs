//! Unit tests of the sliding-window rate limiter.

use super::*;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn eighth_request_within_a_second_is_refused() {
    let limiter = RateLimiter::new(Some(RateLimitConfig::per_second(7)));
    let t0 = Instant::now();
    for i in 0..7 {
        assert_eq!(limiter.check(CLIENT, t0 + ms(i * 100)), Verdict::Allow);
    }
    assert_eq!(
        limiter.check(CLIENT, t0 + ms(700)),
        Verdict::TooMany {
            retry_after: ms(300)
        }
    );
    assert_eq!(limiter.check(OTHER, t0 + ms(700)), Verdict::Allow);
    assert_eq!(limiter.check(CLIENT, t0 + ms(1000)), Verdict::Allow);
    assert_eq!(limiter.served_429(), 1);
}

#[test]
fn evenly_spaced_requests_at_the_limit_pass() {
    let limiter = RateLimiter::new(Some(RateLimitConfig::per_second(7)));
    let t0 = Instant::now();
    for i in 0..100u64 {
        let at = t0 + Duration::from_nanos(i * 1_000_000_000 / 7 + 1);
        assert_eq!(limiter.check(CLIENT, at), Verdict::Allow, "request {i}");
    }
    assert_eq!(limiter.served_429(), 0);
}

#[test]
fn repeated_violations_block_the_client_for_everything() {
    let config = RateLimitConfig {
        block_after_violations: 3,
        ..RateLimitConfig::per_second(1)
    };
    let limiter = RateLimiter::new(Some(config));
    let t0 = Instant::now();
    assert_eq!(limiter.check(CLIENT, t0), Verdict::Allow);
    for i in 1..=3 {
        assert!(matches!(
            limiter.check(CLIENT, t0 + ms(i)),
            Verdict::TooMany { .. }
        ));
    }
    assert_eq!(limiter.check(CLIENT, t0 + ms(10)), Verdict::Blocked);
    assert_eq!(limiter.check(CLIENT, t0 + ms(60_000)), Verdict::Blocked);
    assert!(limiter.is_blocked(CLIENT));
    assert!(!limiter.is_blocked(OTHER));
    assert_eq!(limiter.served_403(), 2);
    limiter.unblock_all();
    assert_eq!(limiter.check(CLIENT, t0 + ms(70_000)), Verdict::Allow);
}

#[test]
fn disabled_limiter_allows_everything_but_can_block_by_hand() {
    let limiter = RateLimiter::new(None);
    let t0 = Instant::now();
    for _ in 0..100 {
        assert_eq!(limiter.check(CLIENT, t0), Verdict::Allow);
    }
    limiter.set_block_everyone(true);
    assert_eq!(limiter.check(CLIENT, t0), Verdict::Blocked);
    limiter.set_block_everyone(false);
    assert_eq!(limiter.check(CLIENT, t0), Verdict::Allow);
}
