//! Case monitoring's sample world, for `casemon --sandbox`, `crmsync-sandbox serve --cyberjustice`, the
//! end-to-end tests and the benchmarks.
//!
//! A [`SampleSpec`] describes a world — leads with valid, duplicated and invalid case numbers, cases the court's
//! site knows (some answering `accepted` first) or not, cases already monitored (some with new events, some on no
//! lead any more) — and [`SampleWorld::build`] turns it into an amoCRM fixture and a CyberJustice fixture that
//! agree with each other. [`Sandbox::start`] serves both on loopback.

use crmsync_domain::crm::{FieldId, PipelineId, StatusId, StatusRef};
use serde_json::json;

use crate::amocrm::{AmoCrmConfig, AmoCrmEmulator, Fixture, Pipeline, Status};
use crate::cyberjustice::{
    CyberJusticeEmulator, CyberJusticeFixture, EmulatorConfig, FixtureCase, FixtureMonitored,
};
use crate::{FaultPlan, SandboxClock, SandboxError};

/// The sample pipeline ("Bankruptcy").
pub const PIPELINE: PipelineId = PipelineId(8_000_005);
/// Its "Procedure started" status: the leads whose cases are monitored.
pub const PROCEDURE_STARTED: StatusId = StatusId(8_000_052);
/// Its "Procedure finished" status: leads there are ignored.
pub const PROCEDURE_FINISHED: StatusId = StatusId(8_000_053);
/// The standard fixture's lead field "Case number".
pub const CASE_FIELD: FieldId = FieldId(9_000_201);
/// The id of the first sample lead.
pub const FIRST_LEAD: i64 = 4_000_001;
/// The long-lived amoCRM token the sandbox accepts.
pub const SANDBOX_TOKEN: &str = "casemon-sandbox-token";

const COURTS: [u8; 10] = [40, 41, 56, 32, 60, 65, 45, 77, 83, 85];
const INVALID: [&str; 6] = [
    "05АП-3141/2018",
    "Ф08-8562/19",
    "СИП-715/2022",
    "305-ЭС23-1234",
    "уточнить у клиента",
    "",
];

/// The `i`-th sample case number, canonical.
pub fn case_number(i: usize) -> String {
    let court = COURTS[i % COURTS.len()];
    let year = 2018 + (i % 8);
    format!("А{court:02}-{}/{year}", 10_000 + i * 37)
}

/// The same case as a user might type it: Latin `A`, a space, a two-digit year.
fn latin_spelling(i: usize) -> String {
    let court = COURTS[i % COURTS.len()];
    let year = (2018 + (i % 8)) % 100;
    format!("A {court:02}-{}/{year:02}", 10_000 + i * 37)
}

/// What a sample world holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSpec {
    /// Distinct valid cases on leads in the monitored stage.
    pub valid_cases: usize,
    /// Extra leads repeating earlier cases in another spelling.
    pub duplicate_leads: usize,
    /// Leads with look-alike or garbage numbers (one of them with an empty field).
    pub invalid_leads: usize,
    /// Of the valid cases, how many (the last ones) the court's site does not know.
    pub not_found: usize,
    /// Of the valid cases not monitored yet, how many (the first ones) answer `accepted` first.
    pub accepted: usize,
    /// How many retrieves those answer `accepted` before `found`.
    pub accepted_polls: u32,
    /// Of the valid cases, how many (the first ones) are monitored from the start, each with a new event.
    pub pre_monitored: usize,
    /// Cases monitored from the start that no lead carries.
    pub stale_monitored: usize,
    /// Leads with valid numbers in another stage (ignored).
    pub other_stage_leads: usize,
    /// The monitoring limit.
    pub limit: usize,
}

impl SampleSpec {
    /// The `--sandbox` demo: every behaviour shows up in one run (removal, duplicates, tasks, notes, accepted,
    /// overflow).
    pub fn demo() -> Self {
        Self {
            valid_cases: 24,
            duplicate_leads: 3,
            invalid_leads: 6,
            not_found: 2,
            accepted: 2,
            accepted_polls: 1,
            pre_monitored: 4,
            stale_monitored: 2,
            other_stage_leads: 2,
            limit: 16,
        }
    }

    /// `n` new valid cases and nothing else, under the default limit of 500 (the benchmark input).
    pub fn plain(n: usize) -> Self {
        Self {
            valid_cases: n,
            duplicate_leads: 0,
            invalid_leads: 0,
            not_found: 0,
            accepted: 0,
            accepted_polls: 0,
            pre_monitored: 0,
            stale_monitored: 0,
            other_stage_leads: 0,
            limit: 500,
        }
    }
}

/// The amoCRM and CyberJustice fixtures of a [`SampleSpec`], and where their cases are.
#[derive(Debug, Clone)]
pub struct SampleWorld {
    /// The spec it was built from.
    pub spec: SampleSpec,
    /// The amoCRM account.
    pub amocrm: Fixture,
    /// The CyberJustice account.
    pub cyberjustice: CyberJusticeFixture,
}

impl SampleWorld {
    /// Builds the world; `now` (unix seconds) dates monitoring starts and events.
    pub fn build(spec: SampleSpec, now: i64) -> Self {
        let mut amocrm = Fixture::standard();
        amocrm.pipelines.push(Pipeline {
            id: PIPELINE.0,
            name: "Bankruptcy".to_owned(),
            sort: 3,
            is_main: false,
            is_unsorted_on: true,
            is_archive: false,
            statuses: vec![
                status(8_000_051, "Incoming leads", 10, 1),
                status(PROCEDURE_STARTED.0, "Procedure started", 20, 0),
                status(PROCEDURE_FINISHED.0, "Procedure finished", 30, 0),
            ],
        });
        let mut next_lead = FIRST_LEAD;
        let mut lead = |value: Option<String>, status: StatusId| {
            let mut item = json!({
                "id": next_lead,
                "name": format!("Bankruptcy case {}", next_lead - FIRST_LEAD + 1),
                "pipeline_id": PIPELINE.0,
                "status_id": status.0,
            });
            if let Some(value) = value {
                item["custom_fields_values"] =
                    json!([{ "field_id": CASE_FIELD.0, "values": [{ "value": value }] }]);
            }
            next_lead += 1;
            item
        };
        for i in 0..spec.valid_cases {
            amocrm
                .leads
                .push(lead(Some(case_number(i)), PROCEDURE_STARTED));
        }
        for j in 0..spec.duplicate_leads {
            let i = j % spec.valid_cases.max(1);
            amocrm
                .leads
                .push(lead(Some(latin_spelling(i)), PROCEDURE_STARTED));
        }
        for k in 0..spec.invalid_leads {
            let value = INVALID[k % INVALID.len()];
            let value = (!value.is_empty()).then(|| value.to_owned());
            amocrm.leads.push(lead(value, PROCEDURE_STARTED));
        }
        for m in 0..spec.other_stage_leads {
            amocrm
                .leads
                .push(lead(Some(case_number(10_000 + m)), PROCEDURE_FINISHED));
        }

        let day = 86_400;
        let monitoring_started = now - 30 * day;
        let mut cyberjustice = CyberJusticeFixture::default();
        let known = spec.valid_cases.saturating_sub(spec.not_found);
        let accepted = spec.pre_monitored..spec.pre_monitored + spec.accepted;
        for i in 0..known {
            let mut case = FixtureCase::new(case_number(i))
                .with_event(now - 60 * day, "Определение", Some("О принятии заявления"))
                .with_event(
                    now - 40 * day,
                    "Определение",
                    Some("О назначении заседания"),
                );
            if accepted.contains(&i) {
                case = case.accepted_for(spec.accepted_polls);
            }
            if i < spec.pre_monitored {
                case = case.with_event(now - 2 * day, "Решение", Some("О введении процедуры"));
                cyberjustice.monitored.push(FixtureMonitored {
                    case_number: case_number(i),
                    added_at: monitoring_started,
                });
            }
            cyberjustice.cases.push(case);
        }
        for s in 0..spec.stale_monitored {
            let number = case_number(20_000 + s);
            cyberjustice
                .cases
                .push(FixtureCase::new(number.clone()).with_event(
                    now - 5 * day,
                    "Определение",
                    None,
                ));
            cyberjustice.monitored.push(FixtureMonitored {
                case_number: number,
                added_at: monitoring_started,
            });
        }
        Self {
            spec,
            amocrm,
            cyberjustice,
        }
    }

    /// The stage whose leads carry the monitored cases (their number in the lead field [`CASE_FIELD`]).
    pub fn stage(&self) -> StatusRef {
        StatusRef::new(PIPELINE, PROCEDURE_STARTED)
    }

    /// Lead ids in the monitored stage, in order.
    pub fn lead_count(&self) -> usize {
        self.spec.valid_cases + self.spec.duplicate_leads + self.spec.invalid_leads
    }
}

fn status(id: i64, name: &str, sort: i64, status_type: i64) -> Status {
    Status {
        id,
        name: name.to_owned(),
        sort,
        color: "#99ccff".to_owned(),
        status_type,
        is_editable: true,
    }
}

/// How the emulators of a [`Sandbox`] behave.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// CyberJustice's rate limit (requests per second); the real service's default is 1.
    pub cyberjustice_rate_per_s: u32,
    /// amoCRM's rate limit (7 like the real one).
    pub amocrm_rate_per_s: u32,
    /// Faults of the amoCRM emulator.
    pub amocrm_faults: FaultPlan,
    /// Faults of the CyberJustice emulator.
    pub cyberjustice_faults: FaultPlan,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            cyberjustice_rate_per_s: 10,
            amocrm_rate_per_s: 7,
            amocrm_faults: FaultPlan::none(),
            cyberjustice_faults: FaultPlan::none(),
        }
    }
}

/// Both emulators, serving a [`SampleWorld`].
#[derive(Debug)]
pub struct Sandbox {
    /// The amoCRM emulator (token [`SANDBOX_TOKEN`]).
    pub amocrm: AmoCrmEmulator,
    /// The CyberJustice emulator (API key [`DEFAULT_API_KEY`](crate::cyberjustice::DEFAULT_API_KEY)).
    pub cyberjustice: CyberJusticeEmulator,
    /// The world they serve.
    pub world: SampleWorld,
    /// The options they were started with.
    pub options: SandboxOptions,
}

impl Sandbox {
    /// Builds the world of `spec` and starts both emulators on free loopback ports.
    pub async fn start(spec: SampleSpec, options: SandboxOptions) -> Result<Self, SandboxError> {
        let clock = SandboxClock::real();
        let world = SampleWorld::build(spec, clock.now_unix());
        let amocrm = AmoCrmEmulator::start(amocrm_config(&world, &options, clock.clone())).await?;
        let cyberjustice =
            CyberJusticeEmulator::start(cyberjustice_config(&world, &options, clock)).await?;
        Ok(Self {
            amocrm,
            cyberjustice,
            world,
            options,
        })
    }

    /// Stops both emulators.
    pub async fn shutdown(self) {
        self.amocrm.shutdown().await;
        self.cyberjustice.shutdown().await;
    }
}

/// The amoCRM emulator's settings serving `world`: the long-lived token [`SANDBOX_TOKEN`].
pub fn amocrm_config(
    world: &SampleWorld,
    options: &SandboxOptions,
    clock: SandboxClock,
) -> AmoCrmConfig {
    AmoCrmConfig {
        long_lived_token: Some(SANDBOX_TOKEN.to_owned()),
        rate_limit_per_s: Some(options.amocrm_rate_per_s),
        faults: options.amocrm_faults.clone(),
        fixture: world.amocrm.clone(),
        clock,
        ..AmoCrmConfig::default()
    }
}

/// The CyberJustice emulator's settings serving `world`: the API key
/// [`DEFAULT_API_KEY`](crate::cyberjustice::DEFAULT_API_KEY), the world's limit.
pub fn cyberjustice_config(
    world: &SampleWorld,
    options: &SandboxOptions,
    clock: SandboxClock,
) -> EmulatorConfig {
    EmulatorConfig {
        limit: world.spec.limit,
        rate_limit_per_s: Some(options.cyberjustice_rate_per_s),
        faults: options.cyberjustice_faults.clone(),
        fixture: world.cyberjustice.clone(),
        clock,
        ..EmulatorConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crmsync_domain::CaseNumber;

    #[test]
    fn sample_numbers_are_valid_distinct_and_their_latin_spelling_matches() {
        let numbers: Vec<CaseNumber> = (0..700)
            .map(|i| CaseNumber::parse(&case_number(i)).unwrap())
            .collect();
        let distinct: std::collections::BTreeSet<&CaseNumber> = numbers.iter().collect();
        assert_eq!(distinct.len(), 700);
        for i in [0, 7, 13] {
            assert_eq!(
                CaseNumber::parse(&latin_spelling(i)).unwrap(),
                numbers[i],
                "{i}"
            );
        }
    }

    #[test]
    fn the_demo_world_is_consistent() {
        let world = SampleWorld::build(SampleSpec::demo(), 1_800_000_000);
        let spec = &world.spec;
        assert_eq!(
            world.amocrm.leads.len(),
            world.lead_count() + spec.other_stage_leads
        );
        assert_eq!(
            world.cyberjustice.cases.len(),
            spec.valid_cases - spec.not_found + spec.stale_monitored
        );
        assert_eq!(
            world.cyberjustice.monitored.len(),
            spec.pre_monitored + spec.stale_monitored
        );
        assert!(world.cyberjustice.monitored.len() <= spec.limit);
    }
}
