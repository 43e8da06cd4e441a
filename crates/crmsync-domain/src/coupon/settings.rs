//! The settings of a generation run with the module's validation, and the fields every generated coupon carries.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::capacity::Capacity;
use super::collection::{CaseMode, Collection, CollectionKind};
use super::template::{Placeholders, Template};
use crate::Message;

/// Above this share of the capacity, codes are easy to guess and a warning is given.
pub const GUESSABLE_FILL_RATIO: f64 = 0.25;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The placeholders every template has.
pub const BUILT_IN_PLACEHOLDERS: [char; 3] = ['#', '$', '@'];

/// The three kinds of Bitrix coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponType {
    /// Discounts one basket position in one order (Bitrix `TYPE_BASKET_ROW`, 1).
    BasketRow,
    /// Applies to one order (Bitrix `TYPE_ONE_ORDER`, 2).
    OneOrder,
    /// Applies to several orders, up to a maximum number of uses (Bitrix `TYPE_MULTI_ORDER`, 4).
    MultiOrder,
}

impl CouponType {
    /// Every type.
    pub const ALL: [Self; 3] = [Self::BasketRow, Self::OneOrder, Self::MultiOrder];

    /// The name used in settings, on the command line and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BasketRow => "basket_row",
            Self::OneOrder => "one_order",
            Self::MultiOrder => "multi_order",
        }
    }

    /// The value of Bitrix's `b_sale_discount_coupon.TYPE`.
    pub fn bitrix_code(self) -> u8 {
        match self {
            Self::BasketRow => 1,
            Self::OneOrder => 2,
            Self::MultiOrder => 4,
        }
    }
}

impl fmt::Display for CouponType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CouponType {
    type Err = String;

    /// Accepts `basket_row`, `one_order`, `multi_order` (or with `-`), and Bitrix's codes 1, 2 and 4.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == normalised || t.bitrix_code().to_string() == normalised)
            .ok_or_else(|| {
                format!("`{s}` is not a coupon type: use basket_row (1), one_order (2) or multi_order (4)")
            })
    }
}

/// What every coupon of a run carries besides its code (the Bitrix coupon row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponFields {
    /// The discount (cart rule) the coupon applies.
    pub discount_id: u64,
    /// How often and where the coupon applies.
    #[serde(rename = "type")]
    pub coupon_type: CouponType,
    /// Whether the coupon can be used at all.
    pub active: bool,
    /// Not usable before this time.
    pub active_from: Option<DateTime<Utc>>,
    /// Not usable after this time.
    pub active_to: Option<DateTime<Utc>>,
    /// How many orders a multi-order coupon may be used in.
    pub max_uses: Option<u32>,
    /// Only this user may apply the coupon.
    pub user_id: Option<u64>,
    /// A note for administrators.
    pub description: Option<String>,
}

/// An extra placeholder: `symbol` draws from the union of `collections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderSpec {
    /// The placeholder character.
    pub symbol: char,
    /// The collections it draws from, united without duplicates.
    pub collections: Vec<CollectionKind>,
}

impl FromStr for PlaceholderSpec {
    type Err = String;

    /// Reads `*=digits,latin`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (symbol, collections) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not SYMBOL=COLLECTION[,COLLECTION…]"))?;
        let mut chars = symbol.chars();
        let (Some(symbol), None) = (chars.next(), chars.next()) else {
            return Err(format!("`{s}`: the placeholder must be one character"));
        };
        let collections = collections
            .split(',')
            .map(|name| name.trim().parse::<CollectionKind>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            symbol,
            collections,
        })
    }
}

/// The settings of one generation run, as the journal stores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponSettings {
    /// The code template.
    pub template: String,
    /// How many coupons to generate.
    pub count: u64,
    /// Which letters `$` and `@` (and extra placeholders) draw.
    #[serde(default)]
    pub case: CaseMode,
    /// Whether look-alike characters are left out of every position.
    #[serde(default)]
    pub exclude_lookalikes: bool,
    /// Placeholders beyond `#`, `$` and `@`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<PlaceholderSpec>,
    /// What every coupon carries.
    pub coupon: CouponFields,
}

/// One rejected setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SettingsError {
    /// The setting's name (`template`, `count`, `discount_id`, `type`, `max_uses`, …).
    pub field: &'static str,
    /// Why it was rejected.
    pub reason: Message,
}

/// Every rejected setting, in field order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsErrors(pub Vec<SettingsError>);

impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl SettingsErrors {
    /// Whether `field` was rejected.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
}

/// Settings that passed validation, with their parsed template and what the user should know.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSettings {
    /// The settings.
    pub settings: CouponSettings,
    /// The parsed template.
    pub template: Template,
    /// The template's capacity.
    pub capacity: Capacity,
    /// Advice that does not stop the run (guessable codes, look-alike letters).
    pub warnings: Vec<Message>,
}

#[derive(Default)]
struct Errors(Vec<SettingsError>);

impl Errors {
    fn add(&mut self, field: &'static str, reason: Message) {
        self.0.push(SettingsError { field, reason });
    }
}

const STORABLE_MAX: u64 = i64::MAX as u64;

impl CouponSettings {
    /// The placeholders of these settings: `#`, `$`, `@` in the case mode, plus the extra ones.
    pub fn placeholders(&self) -> Result<Placeholders, SettingsErrors> {
        let mut errors = Errors::default();
        let placeholders = self.build_placeholders(&mut errors);
        if errors.0.is_empty() {
            Ok(placeholders)
        } else {
            Err(SettingsErrors(errors.0))
        }
    }

    fn build_placeholders(&self, errors: &mut Errors) -> Placeholders {
        let mut placeholders = Placeholders::standard(self.case);
        let mut seen: Vec<char> = Vec::new();
        for spec in &self.placeholders {
            if BUILT_IN_PLACEHOLDERS.contains(&spec.symbol) {
                errors.add(
                    "placeholders",
                    Message::new(
                        "placeholder-built-in",
                        format!(
                            "`{}` is a built-in placeholder and cannot be redefined",
                            spec.symbol
                        ),
                    )
                    .arg("symbol", spec.symbol),
                );
                continue;
            }
            if seen.contains(&spec.symbol) {
                errors.add(
                    "placeholders",
                    Message::new(
                        "placeholder-twice",
                        format!("`{}` is defined twice", spec.symbol),
                    )
                    .arg("symbol", spec.symbol),
                );
                continue;
            }
            seen.push(spec.symbol);
            if spec.collections.is_empty() {
                errors.add(
                    "placeholders",
                    Message::new(
                        "placeholder-no-collection",
                        format!("`{}` names no collection", spec.symbol),
                    )
                    .arg("symbol", spec.symbol),
                );
                continue;
            }
            let parts: Vec<Collection> = spec
                .collections
                .iter()
                .map(|&kind| Collection::of_kind(kind, self.case))
                .collect();
            let added = Collection::union(&parts)
                .map_err(|e| e.to_string())
                .and_then(|union| {
                    placeholders
                        .clone()
                        .with(spec.symbol, union)
                        .map_err(|e| e.to_string())
                });
            match added {
                Ok(next) => placeholders = next,
                Err(reason) => errors.add(
                    "placeholders",
                    Message::new("placeholder-invalid", reason.clone())
                        .arg("symbol", spec.symbol)
                        .arg("reason", reason),
                ),
            }
        }
        placeholders
    }

    /// Checks every setting as the module does — template required and parseable, count above 0 and within
    /// the template's capacity, discount required, max uses required (above 0) for multi-order coupons and only
    /// for them, the activity window in order — and returns them with their template and warnings.
    pub fn validate(&self) -> Result<ValidSettings, SettingsErrors> {
        let mut errors = Errors::default();
        let placeholders = self.build_placeholders(&mut errors);
        let template = if self.template.is_empty() {
            errors.add("template", required("template"));
            None
        } else {
            match Template::parse(&self.template, &placeholders, self.exclude_lookalikes) {
                Ok(template) => Some(template),
                Err(error) => {
                    errors.add("template", error.message());
                    None
                }
            }
        };
        if self.count == 0 {
            errors.add("count", positive());
        } else if self.count > STORABLE_MAX {
            errors.add("count", at_most(STORABLE_MAX));
        } else if let Some(template) = &template
            && !template.capacity().admits(self.count)
        {
            errors.add(
                "count",
                Message::new(
                    "count-over-capacity",
                    format!(
                        "the template yields at most {} distinct codes; {} requested",
                        template.capacity(),
                        self.count
                    ),
                )
                .arg("capacity", template.capacity())
                .arg("count", self.count),
            );
        }
        self.validate_coupon(&mut errors);
        match template {
            Some(template) if errors.0.is_empty() => {
                let capacity = template.capacity();
                let warnings = warnings(&template, self.count, self.exclude_lookalikes);
                Ok(ValidSettings {
                    settings: self.clone(),
                    template,
                    capacity,
                    warnings,
                })
            }
            _ => Err(SettingsErrors(errors.0)),
        }
    }

    fn validate_coupon(&self, errors: &mut Errors) {
        let coupon = &self.coupon;
        if coupon.discount_id == 0 {
            errors.add("discount_id", required("discount_id"));
        } else if coupon.discount_id > STORABLE_MAX {
            errors.add("discount_id", at_most(STORABLE_MAX));
        }
        match (coupon.coupon_type, coupon.max_uses) {
            (CouponType::MultiOrder, None) => {
                errors.add("max_uses", required("max_uses"));
            }
            (CouponType::MultiOrder, Some(0)) => {
                errors.add("max_uses", positive());
            }
            (CouponType::BasketRow | CouponType::OneOrder, Some(_)) => errors.add(
                "max_uses",
                Message::new(
                    "max-uses-single",
                    format!(
                        "only multi_order coupons can be used more than once; {} coupons are used once",
                        coupon.coupon_type
                    ),
                )
                .arg("type", coupon.coupon_type),
            ),
            _ => {}
        }
        if let (Some(from), Some(to)) = (coupon.active_from, coupon.active_to)
            && from >= to
        {
            errors.add(
                "active_to",
                Message::new(
                    "active-to-before-from",
                    format!("must be later than active_from ({})", from.to_rfc3339()),
                )
                .arg("from", from.to_rfc3339()),
            );
        }
        if let Some(user_id) = coupon.user_id {
            if user_id == 0 {
                errors.add(
                    "user_id",
                    Message::new(
                        "user-id-positive",
                        "must be a positive id (leave it out for coupons anyone may use)",
                    ),
                );
            } else if user_id > STORABLE_MAX {
                errors.add("user_id", at_most(STORABLE_MAX));
            }
        }
        if let Some(description) = &coupon.description {
            let length = description.chars().count();
            if length > MAX_DESCRIPTION_CHARS {
                errors.add(
                    "description",
                    Message::new(
                        "description-too-long",
                        format!(
                            "has {length} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
                        ),
                    )
                    .arg("length", length)
                    .arg("max", MAX_DESCRIPTION_CHARS),
                );
            }
        }
    }
}

/// Advice about generating `count` codes of `template`: guessable codes (more than [`GUESSABLE_FILL_RATIO`] of
/// the capacity) and, unless look-alikes are excluded, positions mixing Cyrillic and Latin twins.
pub fn warnings(template: &Template, count: u64, exclude_lookalikes: bool) -> Vec<Message> {
    let mut warnings = Vec::new();
    let capacity = template.capacity();
    let ratio = capacity.fill_ratio(count);
    if ratio > GUESSABLE_FILL_RATIO {
        let percent = format!("{:.1}", ratio * 100.0);
        let limit = format!("{:.0}", GUESSABLE_FILL_RATIO * 100.0);
        warnings.push(
            Message::new(
                "warning-guessable",
                format!(
                    "{count} codes are {percent}% of the {capacity} the template yields (more than {limit}%): \
                     anyone trying codes at random will often hit a valid one; add placeholders to make codes \
                     harder to guess"
                ),
            )
            .arg("count", count)
            .arg("percent", percent)
            .arg("capacity", capacity)
            .arg("limit", limit),
        );
    }
    if !exclude_lookalikes {
        for position in template.positions_with_twins() {
            let twins = position
                .collection
                .twins()
                .iter()
                .map(|(c, l)| format!("{c}/{l}"))
                .collect::<Vec<_>>()
                .join(" ");
            warnings.push(
                Message::new(
                    "warning-twins",
                    format!(
                        "position {} (`{}`) mixes Cyrillic and Latin letters that look alike ({twins}): exclude \
                         look-alikes to avoid codes customers cannot tell apart",
                        position.offset, position.placeholder,
                    ),
                )
                .arg("position", position.offset)
                .arg("placeholder", position.placeholder)
                .arg("twins", twins),
            );
        }
    }
    warnings
}

/// Settings as they arrive from a form, a request or the command line: everything optional, text where a value
/// must be parsed. [`SettingsDraft::validate`] reports every problem at once, each naming its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsDraft {
    /// The code template (required).
    pub template: Option<String>,
    /// How many coupons (required, above 0).
    pub count: Option<u64>,
    /// The discount id (required).
    pub discount_id: Option<u64>,
    /// `basket_row`, `one_order` or `multi_order` (or 1, 2, 4); required.
    #[serde(rename = "type")]
    pub coupon_type: Option<String>,
    /// Whether coupons are active (default yes).
    pub active: Option<bool>,
    /// RFC 3339 time or `YYYY-MM-DD` (midnight UTC).
    pub active_from: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD` (midnight UTC).
    pub active_to: Option<String>,
    /// Maximum uses of a multi-order coupon.
    pub max_uses: Option<u64>,
    /// The only user who may apply the coupons.
    pub user_id: Option<u64>,
    /// A note for administrators.
    pub description: Option<String>,
    /// `upper` (default), `lower` or `mixed`.
    pub case: Option<String>,
    /// Leave look-alike characters out.
    pub exclude_lookalikes: Option<bool>,
    /// Extra placeholders, `SYMBOL=COLLECTION[,COLLECTION…]`.
    pub placeholders: Vec<String>,
}

/// Reads an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            format!(
                "`{text}` is not a time: use RFC 3339 (2026-12-01T09:00:00+03:00) or YYYY-MM-DD"
            )
        })
}

impl SettingsDraft {
    /// Parses only the template with its case, look-alike and placeholder options (what a preview needs).
    pub fn parse_template(&self) -> Result<Template, SettingsErrors> {
        let mut errors = Errors::default();
        let case = match self.case.as_deref().map(str::parse::<CaseMode>) {
            Some(Ok(case)) => case,
            Some(Err(reason)) => {
                errors.add(
                    "case",
                    invalid("case-invalid", reason, self.case.as_deref()),
                );
                CaseMode::default()
            }
            None => CaseMode::default(),
        };
        let placeholders = self
            .placeholders
            .iter()
            .filter_map(|spec| {
                spec.parse::<PlaceholderSpec>()
                    .map_err(|reason| {
                        errors.add(
                            "placeholders",
                            invalid("placeholders-invalid", reason, Some(spec)),
                        );
                    })
                    .ok()
            })
            .collect();
        let settings = CouponSettings {
            template: self.template.clone().unwrap_or_default(),
            count: 1,
            case,
            exclude_lookalikes: self.exclude_lookalikes.unwrap_or(false),
            placeholders,
            coupon: CouponFields {
                discount_id: 1,
                coupon_type: CouponType::OneOrder,
                active: true,
                active_from: None,
                active_to: None,
                max_uses: None,
                user_id: None,
                description: None,
            },
        };
        let placeholders = settings.build_placeholders(&mut errors);
        if settings.template.is_empty() {
            errors.add("template", required("template"));
        } else if errors.0.is_empty() {
            match Template::parse(
                &settings.template,
                &placeholders,
                settings.exclude_lookalikes,
            ) {
                Ok(template) => return Ok(template),
                Err(error) => errors.add("template", error.message()),
            }
        }
        Err(SettingsErrors(sorted(errors.0)))
    }

    /// Turns the draft into checked settings, or lists every problem.
    pub fn validate(self) -> Result<ValidSettings, SettingsErrors> {
        let mut errors = Errors::default();
        let template = self.template.unwrap_or_default();
        let count = self.count.unwrap_or_else(|| {
            errors.add("count", required("count"));
            u64::MAX
        });
        let discount_id = self.discount_id.unwrap_or_else(|| {
            errors.add("discount_id", required("discount_id"));
            u64::MAX
        });
        let coupon_type = match self.coupon_type.as_deref().map(str::parse::<CouponType>) {
            Some(Ok(t)) => t,
            Some(Err(reason)) => {
                errors.add(
                    "type",
                    invalid("type-invalid", reason, self.coupon_type.as_deref()),
                );
                CouponType::OneOrder
            }
            None => {
                errors.add("type", required("type"));
                CouponType::OneOrder
            }
        };
        let mut time = |field: &'static str, text: Option<String>| {
            text.and_then(|text| {
                parse_time(&text)
                    .map_err(|e| errors.add(field, invalid("time-invalid", e, Some(&text))))
                    .ok()
            })
        };
        let active_from = time("active_from", self.active_from);
        let active_to = time("active_to", self.active_to);
        let max_uses = self.max_uses.and_then(|uses| {
            u32::try_from(uses)
                .map_err(|_| errors.add("max_uses", at_most(u64::from(u32::MAX))))
                .ok()
        });
        let case = match self.case.as_deref().map(str::parse::<CaseMode>) {
            Some(Ok(case)) => case,
            Some(Err(reason)) => {
                errors.add(
                    "case",
                    invalid("case-invalid", reason, self.case.as_deref()),
                );
                CaseMode::default()
            }
            None => CaseMode::default(),
        };
        let placeholders = self
            .placeholders
            .iter()
            .filter_map(|spec| {
                spec.parse::<PlaceholderSpec>()
                    .map_err(|reason| {
                        errors.add(
                            "placeholders",
                            invalid("placeholders-invalid", reason, Some(spec)),
                        );
                    })
                    .ok()
            })
            .collect();
        let settings = CouponSettings {
            template,
            count,
            case,
            exclude_lookalikes: self.exclude_lookalikes.unwrap_or(false),
            placeholders,
            coupon: CouponFields {
                discount_id,
                coupon_type,
                active: self.active.unwrap_or(true),
                active_from,
                active_to,
                max_uses,
                user_id: self.user_id,
                description: self.description.filter(|d| !d.is_empty()),
            },
        };
        let validated = settings.validate();
        let mut missing_fields: Vec<&'static str> = errors.0.iter().map(|e| e.field).collect();
        if missing_fields.contains(&"type") {
            missing_fields.push("max_uses");
        }
        match validated {
            Ok(valid) if errors.0.is_empty() => Ok(valid),
            Ok(_) => Err(SettingsErrors(sorted(errors.0))),
            Err(SettingsErrors(more)) => {
                errors.0.extend(
                    more.into_iter()
                        .filter(|e| !missing_fields.contains(&e.field)),
                );
                Err(SettingsErrors(sorted(errors.0)))
            }
        }
    }
}

/// `FIELD: required` with the field's own explanation.
fn required(field: &'static str) -> Message {
    let (key, english) = match field {
        "discount_id" => (
            "discount-required",
            "required: the id of the discount the coupons apply",
        ),
        "type" => (
            "type-required",
            "required: basket_row, one_order or multi_order",
        ),
        "max_uses" => ("max-uses-required", "required for multi_order coupons"),
        _ => ("required", "required"),
    };
    Message::new(key, english)
}

fn positive() -> Message {
    Message::new("must-be-positive", "must be greater than 0")
}

fn at_most(max: u64) -> Message {
    Message::new("must-be-at-most", format!("must be at most {max}")).arg("max", max)
}

/// A value that does not parse: `key` names the field's kind, `value` is what was given.
fn invalid(key: &'static str, reason: String, value: Option<&str>) -> Message {
    Message::new(key, reason).arg("value", value.unwrap_or_default())
}

const FIELD_ORDER: [&str; 13] = [
    "template",
    "count",
    "case",
    "placeholders",
    "discount_id",
    "type",
    "max_uses",
    "active",
    "active_from",
    "active_to",
    "user_id",
    "description",
    "exclude_lookalikes",
];

fn sorted(mut errors: Vec<SettingsError>) -> Vec<SettingsError> {
    errors.sort_by_key(|e| {
        FIELD_ORDER
            .iter()
            .position(|f| *f == e.field)
            .unwrap_or(FIELD_ORDER.len())
    });
    errors
}

#[cfg(test)]
mod tests;
