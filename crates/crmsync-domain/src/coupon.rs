//! Discount coupons generated from templates (the Coupanda module).
//!
//! - [`collection`]: the symbol sets a position draws from (digits, Latin, Cyrillic, special, unions), with a
//!   case mode and an optional exclusion of look-alike characters.
//! - [`template`]: `#` digit, `$` Latin letter, `@` Cyrillic letter, `\` escapes, every other character literal;
//!   parsed on characters with positioned errors; more placeholders can be mapped in code.
//! - [`capacity`]: the exact number of distinct codes a template yields, computed without overflow.
//! - [`permutation`]: a keyed Feistel permutation with cycle walking over `[0, n)`.
//! - [`generate`]: unique codes (permuted index → mixed-radix digits → code) and free (non-unique) draws.
//! - [`settings`]: a generation's settings with the module's validation, and the three Bitrix coupon types.

pub mod capacity;
pub mod collection;
pub mod generate;
pub mod permutation;
pub mod settings;
pub mod template;

pub use capacity::Capacity;
pub use collection::{CaseMode, Collection, CollectionError, CollectionKind};
pub use generate::{IndexOutOfRange, UniqueCodes, random_code};
pub use permutation::{IndexPermutation, KeyError, PermutationKey};
pub use settings::{
    CouponFields, CouponSettings, CouponType, GUESSABLE_FILL_RATIO, PlaceholderSpec, SettingsDraft,
    SettingsError, SettingsErrors, ValidSettings,
};
pub use template::{Placeholders, Position, Template, TemplateError, TemplateErrorReason};
