//! The pure part of a generation: settings checked into a plan, and previews.

use crmsync_domain::coupon::{
    Capacity, CouponSettings, SettingsDraft, SettingsError, SettingsErrors, random_code,
};
use crmsync_domain::{Message, NewProcess, ProcessKind};
use rand::Rng;
use serde::Serialize;

/// The journal kind of coupon generation runs.
pub const KIND: &str = "coupons.generate";
/// The most codes a preview shows.
pub const MAX_PREVIEW: usize = 1000;

/// [`KIND`] as a [`ProcessKind`].
pub fn kind() -> ProcessKind {
    ProcessKind::new(KIND).unwrap_or_else(|_| unreachable!("KIND is a valid process kind"))
}

/// A generation ready to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationPlan {
    /// The checked settings.
    pub settings: CouponSettings,
    /// How many distinct codes the template yields.
    pub capacity: Capacity,
    /// How many characters every code has.
    pub code_chars: usize,
    /// Advice that does not stop the run.
    pub warnings: Vec<Message>,
}

impl GenerationPlan {
    /// The journal entry that records the run.
    pub fn new_process(&self) -> Result<NewProcess, serde_json::Error> {
        Ok(NewProcess {
            kind: kind(),
            settings: serde_json::to_value(&self.settings)?,
            total: Some(self.settings.count),
        })
    }
}

/// Checks `draft` with the module's rules (every problem at once) and plans the run.
pub fn plan(draft: SettingsDraft) -> Result<GenerationPlan, SettingsErrors> {
    let valid = draft.validate()?;
    Ok(GenerationPlan {
        code_chars: valid.template.code_chars(),
        settings: valid.settings,
        capacity: valid.capacity,
        warnings: valid.warnings,
    })
}

/// Sample codes of a template: drawn freely (they may repeat), nothing stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The template as written.
    pub template: String,
    /// Sample codes.
    pub codes: Vec<String>,
    /// How many distinct codes the template yields.
    pub capacity: Capacity,
}

/// `count` sample codes of the template in `draft` (only its template, case, look-alike and placeholder options
/// are read), drawn from `rng`.
pub fn preview<R: Rng + ?Sized>(
    draft: &SettingsDraft,
    count: usize,
    rng: &mut R,
) -> Result<Preview, SettingsErrors> {
    if count == 0 || count > MAX_PREVIEW {
        return Err(SettingsErrors(vec![SettingsError {
            field: "count",
            reason: Message::new(
                "preview-count",
                format!("a preview shows 1 to {MAX_PREVIEW} codes; {count} requested"),
            )
            .arg("max", MAX_PREVIEW)
            .arg("count", count),
        }]));
    }
    let template = draft.parse_template()?;
    let codes = (0..count).map(|_| random_code(&template, rng)).collect();
    Ok(Preview {
        template: template.source().to_owned(),
        codes,
        capacity: template.capacity(),
    })
}
