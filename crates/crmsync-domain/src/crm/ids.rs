//! Typed `i64` identifiers of CRM objects, so ids of different entities cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw number.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

id_type!(
    /// A lead (deal) id.
    LeadId
);
id_type!(
    /// A contact id.
    ContactId
);
id_type!(
    /// A company id.
    CompanyId
);
id_type!(
    /// A task id.
    TaskId
);
id_type!(
    /// A note id.
    NoteId
);
id_type!(
    /// A pipeline (funnel) id.
    PipelineId
);
id_type!(
    /// A status (pipeline stage) id; only unique together with its pipeline, see
    /// [`StatusRef`](super::StatusRef).
    StatusId
);
id_type!(
    /// A CRM user id (responsible, creator).
    UserId
);
id_type!(
    /// A custom field id, as configured in the account.
    FieldId
);
id_type!(
    /// The id of one option of a select, multiselect, radiobutton or multitext field.
    EnumId
);
id_type!(
    /// An account id.
    AccountId
);
id_type!(
    /// A tag id.
    TagId
);
id_type!(
    /// A task type id; see [`TaskTypeId::FOLLOW_UP`] and [`TaskTypeId::MEETING`].
    TaskTypeId
);

impl StatusId {
    /// The system "closed - won" status, present in every pipeline.
    pub const WON: Self = Self(142);
    /// The system "closed - lost" status, present in every pipeline.
    pub const LOST: Self = Self(143);

    /// Whether this is one of the two closing system statuses.
    pub const fn is_closed(self) -> bool {
        self.0 == Self::WON.0 || self.0 == Self::LOST.0
    }
}

impl TaskTypeId {
    /// The standard "follow-up" (call) task type.
    pub const FOLLOW_UP: Self = Self(1);
    /// The standard "meeting" task type.
    pub const MEETING: Self = Self(2);
}
